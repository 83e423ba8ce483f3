"""A run and its branches: which experiment each trained, from where, and what it recorded.

A branch holds only its own epochs (those after the epoch it starts from); its earlier epochs are
its parent's, looked up through the tree, so branching costs no copy of the past.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Experiment
from .branching import BRANCHABLE, differences, setting_name
from .frame import Frame, Resume
from .timeline import DEFAULT_BUDGET, Timeline

MAIN = "main"


@dataclass
class Branch:
    key: str                               # MAIN for the run itself, then "b1", "b2", ...
    label: str                             # what the branch changed, for the list
    experiment: Experiment
    parent: str | None = None              # the branch it starts from (None for MAIN)
    from_epoch: int | None = None          # the parent's epoch it trains on from (its first is +1)
    history: list[dict[str, Any]] = field(default_factory=list)   # every epoch, the parent's first ones too
    timeline: Timeline = field(default_factory=Timeline)         # its own recorded epochs only
    metrics: dict[str, Any] = field(default_factory=dict)         # test metrics once finished
    reason: str = ""                       # how it ended (Finished.reason); "" while training / never ran


class RunTree:
    """The branches of one run, by key; `current` is the one the views show."""

    def __init__(self, experiment: Experiment, budget_bytes: int = DEFAULT_BUDGET):
        self.budget = budget_bytes
        self.branches: dict[str, Branch] = {MAIN: Branch(MAIN, "the run", experiment,
                                                         timeline=Timeline(budget_bytes))}
        self.current = MAIN
        self.made = 0     # branches made so far, deleted ones too: the next one is b{made + 1}

    def __getitem__(self, key: str) -> Branch:
        return self.branches[key]

    def add_branch(self, parent: str, from_epoch: int, experiment: Experiment) -> Branch:
        """A new branch of `parent` from its recorded `from_epoch`; it becomes the current one."""
        base = self.branches[parent]
        self.made += 1
        branch = Branch(f"b{self.made}", branch_label(base.experiment, experiment, from_epoch), experiment,
                        parent, from_epoch, [dict(r) for r in base.history[:from_epoch + 1]],
                        Timeline(self.budget))
        self.branches[branch.key] = branch
        self.current = branch.key
        return branch

    def delete(self, key: str) -> list[str]:
        """Remove a branch and the branches made from it; the run itself stays. Returns the keys removed."""
        if key == MAIN or key not in self.branches:
            return []
        gone = [key, *self.made_from(key)]
        for k in gone:
            del self.branches[k]
        if self.current in gone:
            self.current = MAIN
        return gone

    def made_from(self, key: str) -> list[str]:
        """The branches made from `key`, directly or from one of them (what deleting it removes too)."""
        return [other for other in self.branches if other != key and self._descends(other, key)]

    def _descends(self, key: str, ancestor: str) -> bool:
        parent = self.branches[key].parent
        while parent is not None:
            if parent == ancestor:
                return True
            parent = self.branches[parent].parent
        return False

    def epochs(self, key: str) -> list[int]:
        """The recorded epochs a branch can show: its parent's up to where it starts, then its own."""
        branch = self.branches[key]
        if branch.parent is None:
            return list(branch.timeline.epochs)
        past = [e for e in self.epochs(branch.parent) if e <= branch.from_epoch]
        return past + list(branch.timeline.epochs)

    def frame(self, key: str, epoch: int) -> Frame:
        """The recorded frame of `epoch` as the branch saw it (KeyError when not recorded)."""
        branch = self.branches[key]
        if branch.parent is not None and epoch <= branch.from_epoch:
            return self.frame(branch.parent, epoch)
        return branch.timeline.frame(epoch)

    def nearest(self, key: str, epoch: int) -> Frame:
        epochs = self.epochs(key)
        if not epochs:
            raise IndexError("nothing recorded")
        return self.frame(key, min(epochs, key=lambda e: (abs(e - epoch), e)))

    def resume(self, key: str, epoch: int) -> Resume:
        """What `train(resume=...)` needs to branch from `key` at its recorded `epoch`."""
        frame = self.frame(key, epoch)
        branch = self.branches[key]
        return Resume(frame, branch.experiment, [dict(r) for r in branch.history[:epoch + 1]],
                      self.frame(key, frame.best_epoch).state)

    def states(self, key: str) -> list[dict]:
        """The weights' path of a branch, from its run's first recorded epoch."""
        return [self.frame(key, e).state for e in self.epochs(key)]

    def nbytes(self) -> int:
        return sum(b.timeline.nbytes() for b in self.branches.values())


def branch_label(parent: Experiment, child: Experiment, from_epoch: int) -> str:
    """e.g. 'learning rate 0.01 -> 0.001 from epoch 40' (the docks' words; epochs counted from 0, as the
    curves, the timeline bar and `python -m trainer branch --epoch` count them)."""
    changes = [f"{setting_name(path)} {_value(before)} -> {_value(after)}"
               for path, before, after in differences(parent.to_dict(), child.to_dict(), "")
               if path not in ("name", "description")]
    what = ", ".join(changes[:2]) + (f" (+{len(changes) - 2})" if len(changes) > 2 else "") or "no change"
    return f"{what} from epoch {from_epoch}"


def _value(value: Any) -> str:
    return f"{len(value)} points" if isinstance(value, list) else str(value)


__all__ = ["BRANCHABLE", "Branch", "MAIN", "RunTree", "branch_label"]
