"""Section 4 of the script: the test set, and the JSON summary line `python -m trainer run` prints too."""
from __future__ import annotations

import json
from textwrap import dedent

from ..config import Experiment
from .plan import _Plan, _fill
from .tabular import target_scaled


def _evaluation(plan: _Plan) -> str:
    if plan.loss == "bce":
        loss = "test_loss = criterion(test_out, y_test).item() if torch.isfinite(test_out).all() else math.nan"
    else:
        loss = "test_loss = criterion(test_out, y_test).item()"
    if plan.task == "regression":
        tail = _regression_figures(plan) + '\nprint(f"Test MSE: {test_mse:.4f}, RMSE: {test_rmse:.4f}, R^2: {test_r2:.3f}")'
        if not plan.exp.model.layers:
            tail = _regression_figures(plan) + "\n" + dedent("""\
                w, b = model[0].weight.item(), model[0].bias.item()
                print(f"Learned: y = {w:.3f}x + {b:.3f}")
                print("True:    y = 2.000x + 1.000")
                print(f"Test MSE: {test_loss:.4f}")""")
        predict = ""
    else:
        if plan.loss == "bce":
            predict = ("\n    test_pred = (test_out > 0.5).float()   # probability above 0.5 -> class 1")
            tail = "test_accuracy = (test_pred == y_test).sum().item() / len(y_test) * 100"
        else:
            predict = ("\n    test_pred = torch.softmax(test_out, dim=1).argmax(dim=1)   "
                       "# the most probable class")
            tail = "test_accuracy = (test_pred == y_test).sum().item() / len(y_test) * 100"
        tail += '\nprint(f"Test accuracy: {test_accuracy:.2f}%")'
    return _fill("""\
        # ── 4. Evaluate on the test set ─────────────────────────────────────────────────────────
        model.eval()
        with torch.no_grad():
            test_out = model(X_test)
            $loss$predict
        $tail""", loss=loss, predict=predict, tail=tail)


def _regression_figures(plan: _Plan) -> str:
    """test_mse, test_rmse and test_r2 in the target's own units, as trainer.metrics.regression gives them."""
    scaled = target_scaled(plan.exp)
    return dedent("""\
        # In the target's own units: the root mean squared error, and R^2 (1 = perfect,
        # 0 = no better than always predicting the mean).
        pred = test_out[:, 0].cpu().numpy().astype(np.float64)
        actual = y_test[:, 0].cpu().numpy().astype(np.float64)""") + ("""
pred, actual = pred * y_std + y_mean, actual * y_std + y_mean   # undo the target's standardisation"""
                                                                    if scaled else "") + dedent(f"""
        err = pred - actual
        test_mse = {"float(np.mean(err ** 2))" if scaled else "test_loss"}
        test_rmse = math.sqrt(float(np.mean(err ** 2)))
        spread = float(np.sum((actual - np.mean(actual)) ** 2))
        test_r2 = 1.0 - float(np.sum(err ** 2)) / spread if spread > 0 else math.nan""")


def _summary(plan: _Plan) -> str:
    lines = [f'    "preset": {_title_key(plan.exp)},',
             '    "reason": reason,',
             '    "epochs_run": len(train_losses),',
             '    "best_epoch": best_epoch,',
             '    "params": sum(p.numel() for p in model.parameters()),',
             '    "final_train_loss": train_losses[-1] if train_losses else None,',
             '    "best_val_loss": best_val_loss,']
    if plan.task == "regression":
        lines += ['    "test_mse": test_mse,', '    "test_rmse": test_rmse,', '    "test_r2": test_r2,']
        if not plan.exp.model.layers:
            lines += ['    "w": w,', '    "b": b,']
    else:
        lines.append('    "test_accuracy": round(test_accuracy, 4),')
    lines += ['    "seconds": round(time.perf_counter() - t0, 3),',
              '    "device": str(DEVICE),']
    return ("# The last line: the same JSON keys as the app's command-line `run` prints.\n"
            "summary = {\n" + "\n".join(lines) + "\n}\n"
            "# JSON has no NaN or Infinity: a number that is not finite is written as null, as the app does.\n"
            "summary = {k: None if isinstance(v, float) and not math.isfinite(v) else v "
            "for k, v in summary.items()}\n"
            "print(json.dumps(summary))")


def _title_key(exp: Experiment) -> str:
    """The preset name as a string literal (a JSON string is also a valid Python one)."""
    return json.dumps(exp.name or "custom", ensure_ascii=False)
