"""Whether "Branch from here" can train the docks' settings on from an epoch, and if not, why (in words).

Qt-free: the controller asks, and shows the answer; the rule of what a branch may change is
trainer.timeline.branching's (BRANCHABLE, branch_problem), checked here before anything starts.
"""
from __future__ import annotations

from trainer.config import Experiment
from trainer.timeline.runs import RunTree

NOTHING_RECORDED = ("No run is recorded: train first, then branch from any epoch of it. (A run is cleared when "
                    "its data or layers change: a branch keeps the model's shapes and its data.)")
STOP_FIRST = ("A run is training: stop it first (Esc), then branch from any of its epochs. "
              "Moving the timeline shows its earlier epochs meanwhile.")


def refusal(tree: RunTree | None, parent: str, epoch: int | None, experiment: Experiment) -> tuple[str, str] | None:
    """(title, message) when `experiment` cannot train on from `parent`'s recorded `epoch`; None when it can.

    The message names the setting (as --set names it) and says what to do."""
    if tree is None or epoch is None or epoch not in tree.epochs(parent):
        return "Nothing to branch from", NOTHING_RECORDED
    from trainer.timeline.branching import branch_problem
    problem = branch_problem(tree[parent].experiment, experiment)
    if problem is not None:
        return "Cannot branch with these settings", str(problem)
    t = experiment.train
    if epoch + 1 >= t.epochs:
        return ("Nothing to train from here",
                f"train.epochs: the run has {t.epochs:,} epochs and this is epoch {epoch + 1:,}; "
                f"raise Epochs in the Optimizer dock to train on from here")
    best = tree.frame(parent, epoch).best_epoch
    if t.patience and epoch - best >= t.patience:   # trainer.loop stops such a branch before its first epoch
        return ("Nothing to train from here",
                f"train.patience: the validation loss has not improved for {epoch - best:,} epochs here, and Early "
                f"stop ends a run after {t.patience:,}; raise Early stop in the Optimizer dock (or set it off) to "
                "train on from here")
    return None


__all__ = ["NOTHING_RECORDED", "STOP_FIRST", "refusal"]
