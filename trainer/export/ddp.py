"""The run as a torchrun script: DistributedDataParallel over several processes (or machines).

Every process reads the same data and builds the same model (DDP copies rank 0's starting weights
to the others); a DistributedSampler deals each process its share of the training rows every epoch,
and DDP averages the gradients, so one step still sees one batch of `batch_size` rows in all. Every
process validates on the whole validation set with the same weights, so all of them make the same
early-stopping decision. Rank 0 alone prints, and its last line is the JSON object `run` prints.
It does not repeat the app's run number for number (the rows are dealt in another order), only its
result to within the noise of a reshuffle; the single-process script (`render_script`) does that.
"""
from __future__ import annotations

from .data import _data
from .evaluation import _evaluation, _summary
from .model import _model
from .plan import _Plan, _fill, _title, _docstring_safe
from .training import _correct


def _ddp_header(plan: _Plan) -> str:
    exp = plan.exp
    usage = "torchrun --nproc_per_node=2 this_script.py" + (" [MNIST_FOLDER]" if exp.data.name == "mnist" else "")
    return _fill('''\
        """$title: exported from Neural Playground for torchrun (DistributedDataParallel).

        Run it on one machine with two processes:
            $usage
        or on two machines (run this on each, with --node_rank=0 on the first and 1 on the second):
            torchrun --nnodes=2 --nproc_per_node=1 --node_rank=0 --master_addr=FIRST_MACHINE \\
                     --master_port=29500 this_script.py
        Processes talk over gloo on the CPU and over NCCL when CUDA is there (one GPU per process).
        Only rank 0 prints; its last line is one JSON object with the keys the app's `run` prints.
        """''', title=_docstring_safe(_title(exp)), usage=usage)


def _ddp_setup(plan: _Plan) -> str:
    t = plan.exp.train
    stdlib = sorted({"builtins", "json", "math", "os", "time"} | ({"sys"} if plan.exp.data.name == "mnist" else set()))
    imports = "\n".join(f"import {name}" for name in stdlib)
    torchvision = "\nfrom torchvision import datasets" if plan.exp.data.name == "mnist" else ""
    device = {"cpu": "False", "cuda": "True"}.get(t.device, "torch.cuda.is_available()")
    return _fill('''\
        $imports

        import numpy as np
        import torch
        import torch.distributed as dist
        from torch import nn
        from torch.nn.parallel import DistributedDataParallel as DDP
        from torch.utils.data.distributed import DistributedSampler$torchvision


        # ── Settings: who am I among the processes torchrun started? ─────────────────────────────
        SEED = $seed
        USE_CUDA = $device
        RANK = int(os.environ["RANK"])               # this process, 0 .. WORLD_SIZE - 1, across machines
        LOCAL_RANK = int(os.environ["LOCAL_RANK"])   # this process on its machine: which GPU it takes
        WORLD_SIZE = int(os.environ["WORLD_SIZE"])
        if USE_CUDA:
            torch.cuda.set_device(LOCAL_RANK)
            DEVICE = torch.device("cuda", LOCAL_RANK)
        else:
            DEVICE = torch.device("cpu")
        dist.init_process_group("nccl" if USE_CUDA else "gloo")   # gloo: the CPU backend
        if RANK != 0:   # one voice: the other processes work silently
            builtins.print = lambda *args, **kwargs: None''', imports=imports, torchvision=torchvision,
                 seed=t.seed, device=device)


def _ddp_training(plan: _Plan) -> str:
    t = plan.exp.train
    batch = plan.batch or plan.n_train
    every = max(1, t.epochs // 10)
    acc = "\n" + _correct(plan, "val_out", "y_val", "val_acc") if plan.task != "regression" else ""
    shown = " ({val_acc:.1f}%)" if plan.task != "regression" else ""
    keep = "\n        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}" \
        if t.restore_best else ""
    stop = ("\n    if epoch - best_epoch >= patience:   # every process sees the same validation loss\n"
            "        reason = \"early_stopped\"\n        break") if t.patience else ""
    restore = ("\n\n# Keep the weights of the best validation epoch, not the last ones.\n"
               "if best_state is not None:\n    model.load_state_dict(best_state)") if t.restore_best else ""
    return _fill('''\
        # ── 3. Train: DDP averages the gradients of all processes at every step ──────────────────
        # DDP starts every process from rank 0's weights; dropout then draws differently in each.
        ddp_model = DDP(model, device_ids=[LOCAL_RANK] if USE_CUDA else None)
        torch.manual_seed(SEED + RANK)
        n_epochs, patience = $epochs, $patience
        # Each step takes $batch rows in all: batch_size from each of the WORLD_SIZE processes.
        batch_size = max(1, $batch // WORLD_SIZE)
        sampler = DistributedSampler(range(len(X_train)), num_replicas=WORLD_SIZE, rank=RANK,
                                     shuffle=True, seed=SEED)
        train_losses, val_losses = [], []
        best_val_loss, best_epoch, best_state = float("inf"), 0, None
        reason = "completed"
        t0 = time.perf_counter()
        for epoch in range(n_epochs):
            sampler.set_epoch(epoch)   # a new order every epoch, the same in every process
            mine = torch.tensor(list(sampler), device=DEVICE)   # this process's rows
            ddp_model.train()
            total = torch.zeros(2, device=DEVICE)   # loss sum and row count, summed over processes below
            for start in range(0, len(mine), batch_size):
                idx = mine[start:start + batch_size]
                outputs = ddp_model(X_train[idx])
                loss = criterion(outputs, y_train[idx])
                optimizer.zero_grad()
                loss.backward()   # DDP all-reduces (averages) the gradients here
                optimizer.step()
                total += torch.stack([loss.detach() * len(idx), torch.tensor(float(len(idx)), device=DEVICE)])
            dist.all_reduce(total)
            train_loss = (total[0] / total[1]).item()$decay

            model.eval()   # every process validates on all of it, with the same weights
            with torch.no_grad():
                val_out = model(X_val)
                val_loss = criterion(val_out, y_val).item()$acc
            if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
                reason = "diverged"
                break
            train_losses.append(train_loss)
            val_losses.append(val_loss)
            if val_loss < best_val_loss:
                best_val_loss, best_epoch = val_loss, epoch$keep
            if epoch % $every == 0:
                print(f"Epoch {epoch:5d}: Train {train_loss:.4f} | Val {val_loss:.4f}$shown")$stop$restore''',
                 epochs=t.epochs, patience=t.patience or 0, batch=batch, every=every,
                 acc=acc.replace("\n", "\n        "), shown=shown,
                 keep=keep, stop=stop, restore=restore,
                 decay=_DECAY_STEP if plan.exp.optim.lr_decay != 1.0 else "")


_DECAY_STEP = "\n    scheduler.step()   # lr *= gamma for the next epoch"


def render_ddp_script(plan: _Plan) -> str:
    """The torchrun script for the plan's experiment."""
    parts = [_ddp_header(plan), _ddp_setup(plan), _data(plan), _model(plan), _ddp_training(plan),
             _evaluation(plan), _summary(plan), "dist.destroy_process_group()"]
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


__all__ = ["render_ddp_script"]
