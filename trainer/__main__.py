"""The headless command line: `python -m trainer presets | run | branch | export | grad`."""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from typing import Any

from .config import ConfigError, Experiment, parse_override
from .events import BatchProgress, DataProgress, Diverged, EpochEnd, Finished, Started
from .presets import load_experiment, load_preset, names


class UsageError(Exception):
    """Bad input from the command line: printed as one `error:` line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a known failure (no data, no CUDA, unreadable file) as one line
        from .checkpoint import CheckpointError
        from .loop import TrainingError
        from .mnist import DataError
        if isinstance(exc, (DataError, TrainingError, CheckpointError, OSError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose epilog can be written when the help is shown: what it lists may need torch,
    which parsing the command line must not import (`grad` parses its expression first)."""

    def __init__(self, *args: Any, epilog_from: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.epilog_from = epilog_from

    def format_help(self) -> str:
        if self.epilog_from is not None:
            self.epilog = self.epilog_from()
        return super().format_help()


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m trainer", description="Neural Playground, headless.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("presets", help="list the lesson presets")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("run", help="train a preset or an experiment file")
    p.add_argument("experiment", metavar="NAME|FILE.json")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="change one setting, e.g. optim.lr=0.1 (repeatable)")
    p.add_argument("--data-root", help="folder holding MNIST/raw")
    _data_file_options(p)
    p.add_argument("--out", help="save the trained model (checkpoint) in this folder, with the run's timeline "
                                 "(every epoch's weights, or a spacing for large models: see `branch`)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("branch", help="train on from a recorded epoch of a saved run (time travel)",
                       description="Load the run saved in DIR (by `run --out` or the window), take its weights, "
                                   "optimizer and random state at the end of epoch K, and train on from there with "
                                   "the settings changed by --set; save the branch (with the whole timeline) in "
                                   "--out and print the same JSON line as `run`. Without --set the line equals the "
                                   "parent's except `seconds`.", epilog_from=_branch_settings)
    p.add_argument("run_dir", metavar="DIR", help="a folder (or model file) saved with its timeline")
    p.add_argument("--epoch", type=int, required=True, metavar="K",
                   help="the epoch to train on from, counted from 0 as `run`'s JSON (best_epoch), the curves and "
                        "the timeline bar count (the status bar's 'epoch K+1'): the branch keeps epochs 0..K and "
                        "trains epoch K+1 on; large models record every few epochs (an error lists them)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                   help="change one setting a branch may change (listed below), e.g. optim.lr=0.001 or "
                        "model.layers[2].p=0.5 (repeatable)")
    p.add_argument("--from", dest="line", metavar="BRANCH",
                   help="the line to branch: 'main' (the run itself) or a branch's key (b1, b2, ...; listed when "
                        "it is not found); default: the one current when DIR was saved (the branch made last by "
                        "this command, the one shown in the window)")
    p.add_argument("--data-root", help="folder holding MNIST/raw, if not where the run found it")
    p.add_argument("--out", required=True, metavar="DIR2", help="the folder to save the branch in")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_branch)

    p = sub.add_parser("export", help="write a standalone PyTorch script for an experiment")
    p.add_argument("experiment", metavar="NAME|FILE.json")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    p.add_argument("-o", "--output", required=True, help="the script to write")
    p.add_argument("--ddp", action="store_true",
                   help="a script for torchrun: DistributedDataParallel over several processes or machines")
    _data_file_options(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("grad", help="the value, gradients and autograd graph of an expression")
    p.add_argument("expression", metavar="EXPR",
                   help='e.g. "(w * x + b - y) ** 2"; one starting with "-" goes after "--"')
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE...]",
                   help="the values, e.g. w=2,x=[1,2] (every name given requires grad; repeatable)")
    p.set_defaults(func=cmd_grad)
    return parser


def cmd_presets(args: argparse.Namespace) -> int:
    for name in names():
        print(f"{name}\t{load_preset(name).description}")
    return 0


def _data_file_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-file", metavar="PATH.csv", help="train on this CSV / TSV file (trainer/tabular)")
    p.add_argument("--target", metavar="COLUMN", help="the column to predict (default: the last)")
    p.add_argument("--drop-bad-rows", action="store_true", help="drop rows with empty, NaN or inf cells")


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    exp = load_experiment(args.experiment)
    overrides = dict(parse_override(text) for text in args.overrides)
    if overrides:
        exp = exp.with_overrides(overrides)
    if getattr(args, "data_root", None):
        exp = replace(exp, data=replace(exp.data, root=args.data_root))
    if getattr(args, "data_file", None):
        from .tabular.datasets import spec_for_file
        exp = replace(exp, data=spec_for_file(args.data_file, args.target, base=exp.data,
                                              drop_bad_rows=args.drop_bad_rows))
    elif getattr(args, "target", None) or getattr(args, "drop_bad_rows", False):
        raise UsageError("--target and --drop-bad-rows need --data-file")
    return exp


def summary(exp: Experiment, finished: Finished) -> dict[str, Any]:
    """The JSON line `run` prints last (the exported script prints the same keys)."""
    out: dict[str, Any] = {
        "preset": exp.name or "custom",
        "reason": finished.reason,
        "epochs_run": finished.epochs_run,
        "best_epoch": finished.best_epoch,
        "params": finished.params,
        "final_train_loss": finished.history[-1]["train_loss"] if finished.history else None,
        "best_val_loss": finished.best_val_loss,
    }
    m = finished.metrics
    if "test_accuracy" in m:
        out["test_accuracy"] = round(m["test_accuracy"], 4)
    else:
        out["test_mse"] = m["test_mse"]
        for key in ("test_rmse", "test_r2"):   # regression, in the target's own units
            if key in m:
                out[key] = m[key]
    for key in ("w", "b"):
        if key in finished.extra:
            out[key] = finished.extra[key]
    out["seconds"] = round(finished.seconds, 3)
    out["device"] = finished.device
    # JSON has no NaN / Infinity (json.dumps would write them anyway): a run that diverged or
    # stopped before its first epoch reports null instead, so strict parsers can read the line.
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


def _branch_settings() -> str:
    """The `branch` help's epilog: what --set may change (the model's shapes and its data stay)."""
    from .timeline.branching import BRANCHABLE
    paths = ", ".join(path for path in BRANCHABLE if path not in ("name", "description"))
    return (f"Settings --set may change: {paths} (model.layers[*].p: a dropout layer's rate). Any other "
            f"(a layer's size, the data, the seed) changes what the run is: start a new run.")


def cmd_run(args: argparse.Namespace) -> int:
    exp = experiment_from_args(args)
    if args.out:
        _check_out_dir(args.out)
    tree = None
    if args.out:      # the timeline is kept only where it is saved
        from .timeline.runs import RunTree
        tree = RunTree(exp)
    finished = _train(exp, quiet=args.quiet, tree=tree)
    if args.out:
        from .checkpoint import save
        path = save(args.out, exp, finished, tree=tree)
        print(f"saved {path}", file=sys.stderr)
    print(json.dumps(summary(exp, finished)))
    return 0


def cmd_branch(args: argparse.Namespace) -> int:
    """Train on from epoch K of DIR's current branch; save the tree with the new branch as its current one."""
    from .checkpoint import load
    from .timeline.branching import branch_problem
    from .timeline.files import describe_epochs
    _check_out_dir(args.out)
    ck = load(args.run_dir)
    if ck.tree is None:
        raise UsageError(f"{args.run_dir}: no timeline in {ck.path.name} (saved without one, or before timelines "
                         f"existed): train it again with `python -m trainer run ... --out DIR`")
    tree = ck.tree
    line = args.line or tree.current
    if line not in tree.branches:
        raise UsageError(f"--from {line}: no such line in {ck.path.name}; it has "
                         + ", ".join(f"{key} ({b.label})" for key, b in tree.branches.items()))
    parent = tree[line]
    recorded = tree.epochs(parent.key)
    if args.epoch not in recorded:
        where = "out of range" if not recorded or not recorded[0] <= args.epoch <= recorded[-1] else "not recorded"
        raise UsageError(f"--epoch {args.epoch}: {where}; recorded epochs: {describe_epochs(recorded)}")
    overrides = dict(parse_override(text) for text in args.overrides)
    child = parent.experiment.with_overrides(overrides) if overrides else parent.experiment
    resume = tree.resume(parent.key, args.epoch)
    if args.data_root:    # where the data lives is no setting of the run: both read it from there
        child = replace(child, data=replace(child.data, root=args.data_root))
        resume = replace(resume, experiment=replace(resume.experiment, data=replace(resume.experiment.data,
                                                                                     root=args.data_root)))
    problem = branch_problem(resume.experiment, child)
    if problem is not None:
        raise problem
    if args.epoch + 1 >= child.train.epochs:
        raise UsageError(f"--epoch {args.epoch}: nothing left to train: the run's train.epochs is "
                         f"{child.train.epochs} (epochs 0-{child.train.epochs - 1}); raise it with "
                         f"--set train.epochs=N")
    print(f"branching {parent.key} ({parent.label}) at epoch {args.epoch}", file=sys.stderr)
    branch = tree.add_branch(parent.key, args.epoch, child)
    finished = _train(child, quiet=args.quiet, tree=tree, resume=resume)
    from .checkpoint import save
    path = save(args.out, child, finished, tree=tree)
    print(f"saved {path} (branch {branch.key} of {parent.key}: {branch.label})", file=sys.stderr)
    print(json.dumps(summary(child, finished)))
    return 0


def _train(exp: Experiment, quiet: bool, tree=None, resume=None) -> Finished:
    """Run train() with the progress bar; with `tree`, record the timeline into its current branch."""
    from .control import Control
    from .events import Keyframe
    from .loop import train
    branch = None if tree is None else tree[tree.current]
    bar = _ProgressBar(enabled=not quiet)
    finished = None
    for event in train(exp, Control(), record=0 if tree is None else tree.budget, resume=resume):
        if isinstance(event, DataProgress):
            bar.data(event)
        elif isinstance(event, Started):
            bar.start(event.epochs)
        elif isinstance(event, BatchProgress):
            bar.batch(event)
        elif isinstance(event, EpochEnd):
            bar.epoch(event)
        elif isinstance(event, Diverged):
            bar.note(event.message)
        elif isinstance(event, Keyframe) and branch is not None:
            branch.timeline.add(event.frame)
        elif isinstance(event, Finished):
            finished = event
    bar.close()
    assert finished is not None
    if branch is not None:
        branch.history, branch.metrics, branch.reason = finished.history, finished.metrics, finished.reason
    return finished


def _check_out_dir(out: str) -> None:
    from pathlib import Path
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")


def cmd_export(args: argparse.Namespace) -> int:
    from .export import ExportError, write_script
    exp = experiment_from_args(args)
    try:
        path = write_script(exp, args.output, ddp=args.ddp)
    except ExportError as exc:  # a bad -o: one line, and no torch import on the way out
        raise UsageError(str(exc)) from None
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_grad(args: argparse.Namespace) -> int:
    """One JSON line: value, grads, graph. The text is parsed (never eval'd) before torch is imported."""
    from .autograd.expression import ParseError, parse, parse_bindings
    try:
        parse(args.expression)
    except ParseError as exc:
        raise UsageError(f"EXPR {exc}") from None
    values: dict[str, Any] = {}
    for text in args.at:
        try:
            given = parse_bindings(text)
        except ParseError as exc:
            raise UsageError(f"--at {text[:40]!r} {exc}") from None
        twice = sorted(set(given) & set(values))
        if twice:
            raise UsageError(f"--at: {', '.join(twice)} given twice")
        values.update(given)
    from .autograd.graph import BackwardError, gradients
    try:
        print(json.dumps(gradients(args.expression, values)))
    except ParseError as exc:
        raise UsageError(f"EXPR {exc}") from None
    except BackwardError as exc:
        raise UsageError(str(exc)) from None
    return 0


class _ProgressBar:
    """One line on stderr, redrawn at most 10 times a second."""

    def __init__(self, enabled: bool):
        import time
        self.enabled, self.total, self.last, self.time = enabled, 0, 0.0, time.perf_counter
        self.pending = ""

    def start(self, total: int) -> None:
        self.total = total

    def data(self, e: DataProgress) -> None:
        self._draw(f"{e.stage} {e.done}/{e.total or '?'}")

    def batch(self, e: BatchProgress) -> None:
        self._draw(f"epoch {e.epoch + 1}/{self.total}  batch {e.batch}/{e.n_batches}")

    def epoch(self, e: EpochEnd) -> None:
        width = 30
        filled = int(width * (e.epoch + 1) / max(self.total, 1))
        acc = f"  val acc {e.val_acc:.1f}%" if e.val_acc is not None else ""
        self._draw(f"[{'#' * filled}{'.' * (width - filled)}] {e.epoch + 1}/{self.total}  "
                   f"train {e.train_loss:.4f}  val {e.val_loss:.4f}{acc}")

    def note(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write("\n" + text + "\n")

    def _draw(self, text: str, force: bool = False) -> None:
        self.pending = text
        now = self.time()
        if self.enabled and (force or now - self.last >= 0.1):
            self.last = now
            sys.stderr.write("\r" + text.ljust(90)[:120])
            sys.stderr.flush()

    def close(self) -> None:
        """Draw the final state (the throttle may have skipped it) and end the line."""
        if self.enabled and self.pending:
            self._draw(self.pending, force=True)
            sys.stderr.write("\n")


if __name__ == "__main__":
    sys.exit(main())
