"""The classic training mistakes a learner can make on purpose: one table.

Each row says what the Optimizer dock calls it, one line on what went wrong and why, how the one
training loop (trainer/loop.py) applies it, and how the exported script (trainer/export/) writes
it: the line as a learner would have got it wrong, marked with a `MISTAKE` comment. The field
`train.mistake` (trainer/config.py) names a row; "none" is the correct loop.

Pure data, no torch: trainer.config imports it, and the window reads it before torch is loaded.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# What marks a mistake's line in the exported script (tests look for it).
SCRIPT_MARK = "MISTAKE (on purpose):"


@dataclass(frozen=True)
class Mistake:
    key: str                 # the value of train.mistake
    label: str               # the dock's radio button
    why: str                 # one line: what went wrong and why (the curves' title line, the tooltip)
    # -- how the loop applies it -------------------------------------------------------------------
    zero_grad: bool = True           # False: optimizer.zero_grad() is never called
    validate_in_eval: bool = True    # False: validation runs in training mode (dropout, batch norm)
    validate_no_grad: bool = True    # False: validation records a graph, and each kept val loss holds it
    softmax_first: bool = False      # softmax on the logits before CrossEntropyLoss (which has its own)
    lr_factor: float = 1.0           # the optimizer's learning rate is optim.lr times this
    needs_cross_entropy: bool = False   # only meaningful with a cross_entropy loss (validated)
    # -- what the window compares with the normal run ------------------------------------------------
    shows: str = "train_loss"        # the curve the mistake affects: its last value and jumpiness are compared
    # -- how the exported script writes it ---------------------------------------------------------
    script: str = ""         # the comment after SCRIPT_MARK on the mistaken line


NONE = Mistake("none", "None", "The loop as it should be.")

MISTAKE_TABLE: dict[str, Mistake] = {m.key: m for m in (
    NONE,
    Mistake("no_zero_grad", "Forget optimizer.zero_grad()",
            "optimizer.zero_grad() was never called: backward() adds to .grad, so every step follows the sum "
            "of all past gradients, old directions keep pushing, and the loss ends higher and jumpier.",
            zero_grad=False,
            script="zero_grad() forgotten, so each backward() adds to the old gradients"),
    Mistake("no_eval", "Forget model.eval() when validating",
            "model.eval() was never called before validating: dropout still drops units and batch norm uses "
            "(and updates) the batch's statistics, so the validation figures are noisy and too pessimistic.",
            validate_in_eval=False, shows="val_loss",
            script="model.eval() forgotten: dropout and batch norm stay in training mode"),
    Mistake("no_no_grad", "Forget torch.no_grad() when validating",
            "Validation ran without torch.no_grad(): autograd recorded every pass for a backward that never "
            "comes, and each validation loss kept in the history holds its graph, so memory grows every epoch.",
            validate_no_grad=False, shows="graph_mb",
            script="no torch.no_grad(): autograd records this pass"),
    Mistake("softmax_ce", "Softmax before CrossEntropyLoss",
            "The model ends in a softmax, but CrossEntropyLoss applies its own: it reads probabilities in "
            "[0, 1] as logits, so the loss has a floor well above 0 and its gradients shrink: it learns slowly.",
            softmax_first=True, needs_cross_entropy=True,
            script="CrossEntropyLoss applies softmax itself; this one squashes the logits twice"),
    Mistake("lr_x100", "Learning rate 100× too large",
            "The learning rate is 100 times the chosen one: each step overshoots the valley it aims at, so "
            "the loss jumps around or blows up to inf/NaN instead of settling.",
            lr_factor=100.0,
            script="100x the learning rate these settings ask for"),
)}
MISTAKES = tuple(MISTAKE_TABLE)


def mistake(key: str) -> Mistake:
    """The row of train.mistake (validated by trainer.config; an unknown key raises KeyError)."""
    return MISTAKE_TABLE[key]


def without_mistake(experiment: Any) -> Any:
    """The same experiment with the loop as it should be: the normal run a mistake is shown beside."""
    return replace(experiment, train=replace(experiment.train, mistake=NONE.key))


__all__ = ["without_mistake", "Mistake", "MISTAKE_TABLE", "MISTAKES", "NONE", "SCRIPT_MARK", "mistake"]
