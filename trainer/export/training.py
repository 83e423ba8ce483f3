"""Section 3 of the script: the five-step loop with validation, divergence checks and early stopping."""
from __future__ import annotations

from textwrap import dedent

from .plan import _Plan, _has, _fill, _indent, _mistaken


def _train_mode_comment(plan: _Plan) -> str:
    if _has(plan, "dropout") and _has(plan, "batchnorm"):
        return "training mode: dropout drops units, batch norm uses the batch's statistics"
    if _has(plan, "dropout"):
        return "training mode: dropout is on"
    if _has(plan, "batchnorm"):
        return "training mode: batch norm uses the batch's statistics"
    return "training mode (no dropout here, but a good habit)"


def _eval_mode_comment(plan: _Plan) -> str:
    if _has(plan, "dropout") or _has(plan, "batchnorm"):
        return "evaluation mode: " + ", ".join(
            text for kind, text in (("dropout", "no dropout"), ("batchnorm", "batch norm uses its running averages"))
            if _has(plan, kind))
    return "evaluation mode"


def _training(plan: _Plan) -> str:
    t = plan.exp.train
    every = max(1, t.epochs // 10)
    what = "3. Train: the five-step loop, with validation" + (" and early stopping" if t.patience else "")
    title = f"# ── {what} {'─' * (84 - len(what))}"
    parts = []
    setup = [title, f"n_epochs = {t.epochs}"]
    if t.patience:
        setup.append(f"patience = {t.patience}   # stop when validation has not improved for this many epochs")
    if plan.batch:
        setup += [f"batch_size = {plan.batch}",
                  "n = len(X_train)",
                  "# Shuffling has its own generator, so it never disturbs the random numbers dropout draws.",
                  "shuffle = torch.Generator().manual_seed(SEED)"]
    setup += ["train_losses, val_losses = [], []"]
    if not plan.mistake.validate_no_grad:
        setup.append("val_history = []   # every validation loss tensor, to look at later")
    setup += [
              "best_val_loss = float('inf')",
              "best_epoch = 0"]
    if t.restore_best:
        setup.append("best_state = None")
    setup += ["# If training ever blows up to inf or NaN, we go back to the last weights that were finite.",
              "last_good = {k: v.clone() for k, v in model.state_dict().items()}",
              'reason = "completed"',
              "t0 = time.perf_counter()"]
    parts.append("\n".join(setup))

    body = [_step_full(plan) if not plan.batch else _step_batches(plan), _validate(plan), _after_epoch(plan, every)]
    if plan.exp.optim.lr_decay != 1.0:
        body.insert(1, "scheduler.step()                      # the learning rate for the next epoch: lr *= gamma")
    loop = "for epoch in range(n_epochs):\n" + "\n\n".join(_indent(b) for b in body)
    parts.append(loop)
    if t.restore_best:
        parts.append(dedent("""\
            # Keep the weights of the best validation epoch, not the last ones.
            if best_state is not None and reason != "diverged":
                model.load_state_dict(best_state)"""))
    return "\n\n".join(parts)


def _step_full(plan: _Plan) -> str:
    if plan.loss == "bce":
        return _fill("""\
            # ── Train: the five steps, on the whole training set at once (full batch) ──
            model.train()                             # $mode
            outputs = model(X_train)                  # ① forward
            if torch.isfinite(outputs).all():         # (BCELoss refuses NaN: weights that blew up give NaN)
                loss = criterion(outputs, y_train)    # ② loss
                $zero_grad
                loss.backward()                       # ④ backward: autograd fills every parameter's .grad
                optimizer.step()                      # ⑤ update the weights
                train_loss = loss.item()              # .item() -> a Python float
            else:
                train_loss = math.nan                 # handled below as a divergence""",
                     mode=_train_mode_comment(plan), zero_grad=_zero_grad(plan, 38))
    return _fill("""\
        # ── Train: the five steps, on the whole training set at once (full batch) ──
        model.train()                         # $mode
        outputs = model(X_train)              # ① forward
        loss = criterion(outputs, y_train)    # ② loss
        $zero_grad
        loss.backward()                       # ④ backward: autograd fills every parameter's .grad
        optimizer.step()                      # ⑤ update the weights
        train_loss = loss.item()              # .item() -> a Python float""", mode=_train_mode_comment(plan),
                 zero_grad=_zero_grad(plan, 38))


def _zero_grad(plan: _Plan, width: int) -> str:
    """Step ③, or the line a learner forgot (width: the column the step comments start at)."""
    if plan.mistake.zero_grad:
        return "optimizer.zero_grad()".ljust(width) + "# ③ clear the old gradients (BEFORE backward!)"
    return "# optimizer.zero_grad()".ljust(width) + _mistaken(plan)


def _step_batches(plan: _Plan) -> str:
    check = ""
    if plan.loss == "bce":
        check = ("\n    if not torch.isfinite(outputs).all():   # BCELoss refuses NaN: the weights blew up"
                 "\n        total_loss = torch.tensor(math.nan)  # handled below as a divergence"
                 "\n        break")
    return _fill("""\
        # ── Train: the five steps on each mini-batch, in a new random order every epoch ──
        model.train()                         # $mode
        order = torch.randperm(n, generator=shuffle).to(DEVICE)
        total_loss = torch.zeros((), device=DEVICE)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb, yb = X_train[idx], y_train[idx]
            outputs = model(xb)               # ① forward$check
            loss = criterion(outputs, yb)     # ② loss (the mean over this batch)
            $zero_grad
            loss.backward()                   # ④ backward: autograd fills every parameter's .grad
            optimizer.step()                  # ⑤ update the weights
            total_loss += loss.detach() * len(idx)
        # The epoch's training loss: each batch's mean weighted by its size, over all samples.
        train_loss = total_loss.item() / n""", mode=_train_mode_comment(plan), check=check,
                 zero_grad=_zero_grad(plan, 34))


def _validate(plan: _Plan) -> str:
    if not plan.mistake.validate_no_grad:
        return _validate_recording(plan)
    if plan.loss == "bce":
        loss_line = ("# BCELoss refuses outputs that are not probabilities, so NaN outputs count as NaN loss.\n"
                     "val_loss = criterion(val_out, y_val).item() if torch.isfinite(val_out).all() "
                     "else math.nan")
    else:
        loss_line = "val_loss = criterion(val_out, y_val).item()"
    acc = ""
    if plan.task != "regression":
        acc = "\n" + _correct(plan, "val_out", "y_val", "val_acc")
    return _fill("""\
        # ── Validate: evaluation mode, no gradients ──
        $eval
        with torch.no_grad():                 # nothing here needs a gradient
            val_out = model(X_val)
            $loss_line$acc""", eval=_eval_line(plan),
                 loss_line=loss_line.replace("\n", "\n    "), acc=acc.replace("\n", "\n    "))


def _eval_line(plan: _Plan) -> str:
    if plan.mistake.validate_in_eval:
        return "model.eval()".ljust(38) + f"# {_eval_mode_comment(plan)}"
    return "# model.eval()".ljust(38) + _mistaken(plan)


def _validate_recording(plan: _Plan) -> str:
    """Validation with torch.no_grad() forgotten: the loss tensors kept in val_history hold their graphs."""
    keep = ("val_loss_tensor = criterion(val_out, y_val)\n"
            "val_history.append(val_loss_tensor)   # kept, and with it the graph of this whole pass\n"
            "val_loss = val_loss_tensor.item()")
    if plan.loss == "bce":
        keep = ("if torch.isfinite(val_out).all():   # BCELoss refuses NaN outputs\n"
                + _indent(keep) + "\nelse:\n    val_loss = math.nan")
    acc = "\n" + _correct(plan, "val_out", "y_val", "val_acc") if plan.task != "regression" else ""
    return _fill("""\
        # ── Validate: evaluation mode ──
        $eval
        $mistake
        val_out = model(X_val)
        $keep$acc""", eval=_eval_line(plan), mistake=_mistaken(plan), keep=keep, acc=acc)


def _correct(plan: _Plan, outputs: str, y: str, name: str) -> str:
    if plan.classes_as_index:
        return f"{name} = (torch.argmax({outputs}, dim=1) == {y}).sum().item() / len({y}) * 100"
    return f"{name} = (({outputs} > 0.5).float() == {y}).sum().item() / len({y}) * 100"


def _after_epoch(plan: _Plan, every: int) -> str:
    t = plan.exp.train
    keep_best = ""
    if t.restore_best:
        keep_best = "\n    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}"
    acc = " ({val_acc:.1f}%)" if plan.task != "regression" else ""
    stop = ""
    if t.patience:
        stop = dedent("""

            # ── Early stopping ──
            if epoch - best_epoch >= patience:
                print(f"Early stopping at epoch {epoch} (best: {best_epoch})")
                reason = "early_stopped"
                break""")
    return _fill("""\
        # ── Diverged? (a learning rate too large can blow the weights up to inf or NaN) ──
        state = model.state_dict()
        weights_finite = all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())
        if not (math.isfinite(train_loss) and math.isfinite(val_loss) and weights_finite):
            model.load_state_dict(last_good)   # put back the last finite weights, and stop
            print(f"Diverged at epoch {epoch}; kept the last finite weights")
            reason = "diverged"
            break
        last_good = {k: v.clone() for k, v in state.items()}
        train_losses.append(train_loss)
        val_losses.append(val_loss)

        # ── Remember the best epoch ──
        if val_loss < best_val_loss:
            best_val_loss, best_epoch = val_loss, epoch$keep_best

        if epoch % $every == 0:
            print(f"Epoch {epoch:5d}: Train {train_loss:.4f} | Val {val_loss:.4f}$acc")$stop""",
                 keep_best=keep_best, every=every, acc=acc, stop=stop)
