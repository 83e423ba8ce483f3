"""Bad input and faults in the core (issue 7): random / mutated experiment JSON, killed saves,
foreign checkpoints, CUDA out of memory, and the command line's one-line errors.

What test_config / test_checkpoint / test_cli / test_mnist already prove is not repeated here.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trainer import checkpoint, loop
from trainer.__main__ import main as cli
from trainer.checkpoint import CheckpointError
from trainer.config import ConfigError, Experiment
from trainer.loop import TrainingError, run_to_end
from trainer.models import build_model
from trainer.pacing import Pacing
from trainer.presets import load_experiment, load_preset, names

REPO = Path(__file__).resolve().parents[2]
# Fresh random examples on a developer's machine; in CI the same ones every run, so a red CI
# always names a bug that reproduces.
FUZZ = settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TOP = {"schema", "name", "description", "data", "model", "optim", "train"}


# -- the only outcomes of loading an experiment: a valid Experiment or ConfigError -------------------
def check_outcome(load: Callable[[], Experiment], max_len: int = 1000) -> str:
    """Run a loader; it may return a valid Experiment or raise ConfigError, nothing else."""
    try:
        exp = load()
    except ConfigError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1, repr(message)                          # one line
        assert message == (f"{exc.path}: {exc.reason}" if exc.path else exc.reason)
        assert len(message) < max_len, message[:200]     # a 10,000-character value is not echoed whole
        return "error"
    assert isinstance(exp, Experiment)
    # A loaded experiment is a real one: it writes strict JSON and reads back equal.
    text = exp.to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} written into an experiment"))
    assert Experiment.from_json(text) == exp
    return "ok"


NASTY = [None, True, False, 0, -1, 1, 2**31, 2**63, -2**63, 2**64, 10**30, 10**400, -10**400,
         0.0, -0.0, 0.5, -0.5, 1e-320, 1e308, -1e308, math.nan, math.inf, -math.inf, "", "1", "0.1", "nan",
         "relu", "linear", "\u0000", "😀" * 50, "\ud800", "ß\u202e", "a" * 10_000, [], [None], [[]], {},
         {"kind": "linear"}, {"": None}]

json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=20) | st.sampled_from(NASTY))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree: (key, index, ...) tuples, the root included."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _parent(root: Any, path: tuple) -> Any:
    for part in path[:-1]:
        root = root[part]
    return root


DEEP = "@@deep@@"


@st.composite
def mutated_presets(draw) -> str:
    """A real preset's JSON with keys deleted, values replaced, keys added, and one value made extreme in the text."""
    raw = load_preset(draw(st.sampled_from(names()))).to_dict()
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_paths(raw)))
        op = draw(st.sampled_from(["delete", "replace", "replace", "add", "wrap"]))
        if not path:
            if op in ("replace", "wrap"):
                raw = draw(json_values) if op == "replace" else [raw]
            continue
        parent, key = _parent(raw, path), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(json_values)
        elif op == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=10))] = draw(json_values)
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"value": parent[key]}, str(parent[key])]))
        if not isinstance(raw, (dict, list)):
            break
    # What json.dumps cannot write: nesting deeper than Python recurses, numbers longer than Python
    # converts (4,300 digits) or a float holds. Written into the text in place of one value.
    extreme = draw(st.sampled_from(["none", "deep", "digits", "digits"]))
    places = [p for p in _paths(raw) if p]
    if extreme != "none" and places:
        path = draw(st.sampled_from(places))
        _parent(raw, path)[path[-1]] = DEEP
    text = json.dumps(raw, ensure_ascii=draw(st.booleans()))
    if extreme == "deep":
        depth = draw(st.sampled_from([2, 50, 900, 5_000, 200_000]))
        opener = draw(st.sampled_from(["[", '{"a": ']))
        closer = "]" if opener == "[" else "}"
        value = opener * depth + "1" + closer * depth
    else:
        value = draw(st.sampled_from(["-", ""])) + "9" * draw(st.sampled_from([309, 400, 4_301, 20_000]))
        value += draw(st.sampled_from(["", ".5", "e5", "e-999"]))
    return text.replace(json.dumps(DEEP), value)


@st.composite
def damaged_bytes(draw) -> bytes:
    """A (mutated) preset as bytes, then cut, flipped, spliced with bytes that are not UTF-8, re-encoded."""
    text = draw(mutated_presets() | st.sampled_from([load_preset(n).to_json() for n in names()]))
    # A lone surrogate ("\ud800" written with ensure_ascii=False) has no UTF-8 form: keep it as the
    # invalid bytes a damaged file would hold, rather than failing to make the example.
    data = text.encode("utf-8", "surrogatepass")
    op = draw(st.sampled_from(["truncate", "flip", "insert", "utf16", "bom", "nul", "none"]))
    if op == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif op == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data = data[:i] + bytes([data[i] ^ draw(st.integers(1, 255))]) + data[i + 1:]
    elif op == "insert":
        i = draw(st.integers(0, len(data)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80", b"\xf8\x88\x80\x80\x80"])
                    | st.binary(max_size=8))
        data = data[:i] + junk + data[i:]
    elif op == "utf16":
        data = text.encode("utf-16", "surrogatepass")
    elif op == "bom":
        data = b"\xef\xbb\xbf" + data
    elif op == "nul":
        data = data.replace(b":", b":\x00", 1)
    return data


@FUZZ
@given(value=json_values, sections=st.dictionaries(st.sampled_from(sorted(TOP)), json_values))
def test_random_json_is_an_experiment_or_a_config_error(value, sections):
    check_outcome(lambda: Experiment.from_json(json.dumps(value)))
    check_outcome(lambda: Experiment.from_json(json.dumps(sections)))      # an experiment's keys, random values


@FUZZ
@given(text=mutated_presets())
def test_mutated_presets_are_an_experiment_or_a_config_error(text):
    check_outcome(lambda: Experiment.from_json(text))
    check_outcome(lambda: Experiment.from_json(text.encode("utf-8", "surrogatepass")))


@FUZZ
@given(data=damaged_bytes() | st.binary(max_size=200))
def test_damaged_files_through_load_experiment_are_an_experiment_or_a_config_error(data, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "fuzzed-experiment.json"
    path.write_bytes(data)
    outcome = check_outcome(lambda: load_experiment(str(path)))
    if outcome == "error":
        with pytest.raises(ConfigError) as info:
            load_experiment(str(path))
        assert f"(in {path})" in str(info.value)                           # the file is named


@FUZZ
@given(name=st.text(max_size=300) | st.sampled_from(["", ".", "..", "/", "/etc", "x" * 5000, "x" * 5000 + ".json",
                                                      "a\x00b", "a\x00b.json", "/dev/null", "/proc/self/mem",
                                                      "~/none.json", "spiral ", "SPIRAL"]))
def test_any_name_or_path_is_an_experiment_or_a_config_error(name, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.getbasetemp())
    assume(not name.startswith("/dev/") or name == "/dev/null")   # never read a device that blocks
    check_outcome(lambda: load_experiment(name), max_len=10_000)        # the message names the path, whole


@pytest.mark.parametrize("text, message", [
    ('{"schema": 1, "data": {}, "model": {}, "optim": {"lr": ' + "1" * 5000 + "}, \"train\": {}}",
     "optim.lr: must be a finite number, got inf"),
    ('{"schema": 1, "data": {}, "model": {}, "optim": {"lr": 1' + "0" * 400 + "}, \"train\": {}}",
     "optim.lr: must be a finite number, got inf"),
    ('{"schema": 1, "data": {}, "model": {}, "optim": {"lr": 1e999}, "train": {}}',
     "optim.lr: must be a finite number, got inf"),
    ('{"schema": 1, "data": {}, "model": {}, "optim": {"lr": NaN}, "train": {}}',
     "optim.lr: must be a finite number, got nan"),
    ('{"schema": 1, "data": {"n_samples": -Infinity}, "model": {}, "optim": {}, "train": {}}',
     "data.n_samples: must be an integer, got -inf"),
    ('{"schema": 1, "data": {}, "model": {"layers": [{"kind": "activation", "fn": "relu", "p": NaN}]},'
     ' "optim": {}, "train": {}}', "model.layers[0].p: an activation layer has no p"),
    ('{"schema": 1, "data": {}, "model": {"layers": [{"kind": "linear", "units": 4, "fn": "relu"}]},'
     ' "optim": {}, "train": {}}', "model.layers[0].fn: a linear layer has no fn"),
    ('{"schema": 1, "data": {}, "model": {}, "optim": {}, "train": {}, "a\\nb": 1}',
     "'a\\nb': unknown setting"),
    ("\ufeff" + load_preset("xor-mlp").to_json(), None),           # a byte-order mark, as Notepad writes
    (b"\xef\xbb\xbf" + load_preset("xor-mlp").to_json().encode(), None),
])
def test_hand_picked_extremes(text, message):
    if message is None:
        assert Experiment.from_json(text) == load_preset("xor-mlp")
        return
    with pytest.raises(ConfigError) as info:
        Experiment.from_json(text)
    assert str(info.value).startswith(message)


def test_python_values_too_big_for_a_float_name_the_field():
    raw = load_preset("xor-mlp").to_dict()
    for huge in (10**400, -10**5000):                 # str() of the second one would raise, too
        raw["optim"]["lr"] = huge
        with pytest.raises(ConfigError) as info:
            Experiment.from_dict(raw)
        assert str(info.value) == "optim.lr: must be a finite number, got an integer beyond 1e308"
    with pytest.raises(ConfigError, match=r"^train\.1: unknown setting$"):
        Experiment.from_dict({**raw, "optim": load_preset("xor-mlp").to_dict()["optim"],
                              "train": {1: 2, "epochs": 3}})           # a key that is not text


# -- checkpoints: a kill -9 in the middle of a save ---------------------------------------------------
KILLER = r"""
import json, os, random, signal, sys, time
import numpy as np
import torch
torch.set_num_threads(1)                      # no thread pool: forking below is safe
from trainer.checkpoint import save_state
from trainer.config import Experiment
from trainer.models import build_model
from trainer.pacing import Pacing

exp = Experiment.from_json(sys.argv[1])
base, rounds, rng = sys.argv[2], int(sys.argv[3]), random.Random(int(sys.argv[4]))
state = {k: (np.arange(v.numel(), dtype=np.float32).reshape(v.shape) % 97) / 97
         for k, v in build_model(exp).state_dict().items()}
for r in range(rounds):
    folder = os.path.join(base, f"round{r}")
    hold_in_fsync = r == 0        # round 0: killed for sure between writing the data and os.replace
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            k = 0
            while True:
                k += 1
                if hold_in_fsync and k == 2:
                    real = os.fsync
                    def fsync(fd):
                        real(fd)
                        os.write(wfd, b"in fsync\n")
                        time.sleep(120)
                    os.fsync = fsync
                t0 = time.perf_counter()
                save_state(folder, exp, state, [], {"generation": k})
                os.write(wfd, f"saved {k} {time.perf_counter() - t0:.4f}\n".encode())
        finally:
            os._exit(0)
    os.close(wfd)
    reader = os.fdopen(rfd)
    first = reader.readline().split()
    assert first[:2] == ["saved", "1"], first
    if hold_in_fsync:
        assert reader.readline().strip() == "in fsync"
    else:
        time.sleep(rng.uniform(0, 3 * float(first[2])))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    saved = [int(line.split()[1]) for line in reader.read().splitlines() if line.startswith("saved")]
    print(json.dumps({"folder": folder, "last_saved": max(saved, default=1), "held": hold_in_fsync}), flush=True)
"""


def test_a_save_killed_at_any_moment_leaves_the_previous_checkpoint_loadable(tmp_path):
    # ~6.5 MB of weights: a save takes long enough for a random kill to land inside it.
    exp = load_preset("mnist-mlp").with_overrides({"model.layers": [{"kind": "linear", "units": 2048}]})
    seed = random.randrange(2**32)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", KILLER, exp.to_json(indent=None), str(tmp_path), "6", str(seed)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rounds = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rounds) == 6
    reference = {k: torch.from_numpy((np.arange(v.numel(), dtype=np.float32).reshape(v.shape) % 97) / 97)
                 for k, v in build_model(exp).state_dict().items()}
    temp_name = re.compile(r"^\.model\.[^/]+\.pt$")    # atomic_path: .<stem>.<random><suffix>
    for r in rounds:
        folder = Path(r["folder"])
        ck = checkpoint.load(folder)                       # the last complete save, whole
        generation = ck.metrics["generation"]
        # Killed after os.replace but before it said so: one newer; never an older or a broken one.
        assert generation in (r["last_saved"], r["last_saved"] + 1), (r, generation, seed)
        assert ck.experiment == exp
        torch.testing.assert_close(ck.model.state_dict()["0.weight"], reference["0.weight"], rtol=0, atol=0)
        leftovers = [p.name for p in folder.iterdir() if p.name != "model.pt"]
        assert all(temp_name.match(name) for name in leftovers), (leftovers, seed)
        if r["held"]:
            # Killed inside the save: a complete newer temp file lies there, and load never trusts it.
            assert generation == 1 and len(leftovers) == 1
            stale = folder / leftovers[0]
            assert torch.load(stale, weights_only=True)["metrics"] == json.dumps({"generation": 2})
        # The next save into the same folder works and is what loads.
        checkpoint.save_state(folder, exp, {k: v.numpy() for k, v in reference.items()}, [], {"generation": 99})
        assert checkpoint.load(folder).metrics["generation"] == 99


# -- checkpoints: foreign and spoofed files ------------------------------------------------------------
@pytest.fixture(scope="module")
def xor_checkpoint(tmp_path_factory) -> dict:
    """The payload of a real checkpoint of xor-mlp (2-4-1), to spoof field by field."""
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 3})
    path = checkpoint.save(tmp_path_factory.mktemp("xor"), exp, run_to_end(exp))
    return torch.load(path, weights_only=True)


def _with(payload: dict, **changes) -> dict:
    return {**payload, **changes}


NOT_FIT = "its weights do not fit its architecture (Error(s) in loading state_dict for Sequential: "
SPOOFS: dict[str, tuple[Callable[[dict], Any], str]] = {
    "another architecture's weights under this experiment": (lambda p: _with(
        p, state_dict=build_model(load_preset("spiral")).state_dict()), NOT_FIT + "Missing key(s)"),
    "these weights under another architecture's experiment": (lambda p: _with(
        p, experiment=load_preset("mnist-mlp").to_json(), metrics="{}"), NOT_FIT + "Missing key(s)"),
    "a plain nn.Linear state_dict": (lambda p: _with(p, state_dict=torch.nn.Linear(2, 1).state_dict()),
                                     NOT_FIT + "Missing key(s) in state_dict: \"0.weight\""),
    "same keys, other shapes": (lambda p: _with(p, state_dict={k: torch.zeros(7, *v.shape[1:])
                                                               for k, v in p["state_dict"].items()}),
                                NOT_FIT + "size mismatch for 0.weight: copying a param with shape "
                                          "torch.Size([7, 2]) from checkpoint, the shape in current model is "
                                          "torch.Size([4, 2])"),
    "weights that are not numbers": (lambda p: _with(p, state_dict={k: "w" for k in p["state_dict"]}),
                                     "its weights do not fit its architecture (new(): invalid data type 'str')"),
    "weights that are NaN": (lambda p: _with(p, state_dict={k: torch.full_like(v, math.nan)
                                                            for k, v in p["state_dict"].items()}),
                             "damaged (its weights are not all finite numbers)"),
    "no weights at all": (lambda p: _with(p, state_dict=None), "its weights do not fit its architecture"),
    "the experiment as an object, not text": (lambda p: _with(p, experiment=json.loads(p["experiment"])),
                                              "damaged (TypeError: the experiment is dict, not JSON text)"),
    "the experiment as a number": (lambda p: _with(p, experiment=7),
                                   "damaged (TypeError: the experiment is int, not JSON text)"),
    "the experiment as a tensor": (lambda p: _with(p, experiment=torch.zeros(3)),
                                   "damaged (TypeError: the experiment is Tensor, not JSON text)"),
    "an invalid experiment": (lambda p: _with(p, experiment=p["experiment"].replace('"lr": 0.01', '"lr": -1')),
                              "its experiment is invalid (optim.lr: must be > 0, got -1)"),
    "the history as an object": (lambda p: _with(p, history="{}"),
                                 "damaged (ValueError: the history is not a list of epochs)"),
    "the history as numbers": (lambda p: _with(p, history="[1, 2]"),
                               "damaged (ValueError: history[0] is not an epoch record)"),
    "history records without losses": (lambda p: _with(p, history='[{"epoch": 0}]'),
                                       "damaged (ValueError: history[0] is not an epoch record)"),
    "the history as a list, not text": (lambda p: _with(p, history=[]), "damaged (TypeError: the JSON object"),
    "the metrics as a list": (lambda p: _with(p, metrics="[1]"),
                              "damaged (ValueError: the test metrics are not an object)"),
    "a confusion matrix that is text": (lambda p: _with(p, metrics='{"confusion": "many"}'),
                                        "damaged (ValueError: the confusion matrix is not 2x2 counts)"),
    "a normalisation with three numbers": (lambda p: _with(p, norm=[0.1, 0.3, 0.5]),
                                           "damaged (ValueError: the input normalisation (0.1, 0.3, 0.5) is not "
                                           "(mean, std > 0))"),
    "a normalisation with std 0": (lambda p: _with(p, norm=[0.0, 0.0]), "damaged (ValueError: the input "
                                                                       "normalisation (0.0, 0.0) is not"),
    "a normalisation that is NaN": (lambda p: _with(p, norm=[math.nan, 1.0]), "damaged (ValueError: the input "
                                                                             "normalisation (nan, 1.0) is not"),
    "a version that is text": (lambda p: _with(p, version="1"),
                               "not a Neural Playground model file (format version '1')"),
    "a version below 1": (lambda p: _with(p, version=0), "not a Neural Playground model file (format version 0)"),
    "no format marker": (lambda p: {k: v for k, v in p.items() if k != "format"},
                         "not a Neural Playground model file"),
}


@pytest.mark.parametrize("what", list(SPOOFS))
def test_a_foreign_or_spoofed_checkpoint_is_refused_with_one_line(what, xor_checkpoint, tmp_path):
    path = tmp_path / "model.pt"
    spoof, reason = SPOOFS[what]
    torch.save(spoof(dict(xor_checkpoint)), path)
    with pytest.raises(CheckpointError) as info:
        checkpoint.load(path)
    message, detail = str(info.value), info.value.detail      # the dialog's words; the log's technical reason
    assert detail.startswith(reason) and "\n" not in detail and len(detail) < 400, detail
    assert message.startswith(f"{path}: ") and "\n" not in message and "Error" not in message, message
    assert message.split(": ", 1)[1].startswith(("not a Neural Playground model file", "the file is damaged",
                                                  "its experiment is invalid")), message


def test_the_unspoofed_payload_loads(xor_checkpoint, tmp_path):
    """The spoofs above differ from a good file only in what they change."""
    torch.save(dict(xor_checkpoint), tmp_path / "model.pt")
    assert checkpoint.load(tmp_path).experiment.name == "xor-mlp"


class Payload:
    """Unpickling this would write the marker file: proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_a_refused_file_gets_a_plain_reason_never_torchs_advice(xor_checkpoint, tmp_path):
    """torch's own text says to retry with weights_only=False (unsafe for a file from elsewhere) in colour codes."""
    marker = tmp_path / "marker"
    files = {"random bytes": np.random.default_rng(5).bytes(3000), "empty": b"",
             "a pickle that runs code": pickle.dumps({"format": checkpoint.FORMAT, "x": Payload(marker)})}
    torch.save({**xor_checkpoint, "experiment": Payload(marker)}, tmp_path / "torch-evil.pt")
    torch.save(dict(xor_checkpoint), tmp_path / "good.pt")
    files["a torch file that runs code"] = (tmp_path / "torch-evil.pt").read_bytes()
    files["truncated"] = (tmp_path / "good.pt").read_bytes()[:500]
    reasons = {   # the technical reason, for the log: the unpickler's own words, never torch's advice
        "random bytes": "refused by the weights-only unpickler: Unsupported operand",
        "empty": "it ends too early",
        "a pickle that runs code": "refused by the weights-only unpickler: Unsupported operand",
        "a torch file that runs code": "refused by the weights-only unpickler: Unsupported global: GLOBAL",
        "truncated": "RuntimeError: PytorchStreamReader failed reading zip archive: failed finding central directory",
    }
    for what, data in files.items():
        path = tmp_path / "model.pt"
        path.write_bytes(data)
        with pytest.raises(CheckpointError) as info:
            checkpoint.load(path)
        said = checkpoint.HOLDS_OBJECTS if what == "a torch file that runs code" else checkpoint.NOT_A_MODEL
        assert str(info.value) == f"{path}: {said}", what
        detail = info.value.detail
        assert detail.startswith(reasons[what]) and "weights_only" not in detail and "\x1b" not in detail, what
    assert not marker.exists()


# -- training faults: CUDA out of memory ----------------------------------------------------------------
OOM_MESSAGE = "the GPU ran out of memory; choose a smaller batch size or train.device=cpu"


def _oom(*args, **kwargs):
    raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 8.00 GiB total)")


def _oom_generator(*args, **kwargs):
    _oom()
    yield  # pragma: no cover


@pytest.mark.parametrize("where, replacement", [
    ("_train_epoch", _oom_generator),     # the forward / backward pass
    ("_evaluate", _oom),                  # the validation pass after an epoch
    ("_tensors", _oom),                   # moving the data onto the device at the start
    ("_snapshot", _oom),                  # the decision-boundary grid
])
def test_cuda_out_of_memory_becomes_a_clear_training_error(where, replacement, monkeypatch):
    monkeypatch.setattr(loop._Run, where, replacement)
    exp = load_preset("xor-mlp").with_overrides({"train.epochs": 3})
    with pytest.raises(TrainingError) as info:
        run_to_end(exp, pacing=Pacing(snapshot_every_s=1e-9))
    assert str(info.value) == OOM_MESSAGE
    assert info.value.__cause__ is None and info.value.__suppress_context__   # no torch traceback chained


def test_cuda_out_of_memory_on_the_command_line_is_one_line_and_status_2(monkeypatch, capsys):
    monkeypatch.setattr(loop._Run, "_train_epoch", _oom_generator)
    assert cli(["run", "xor-mlp", "--quiet", "--set", "train.epochs=3"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"error: {OOM_MESSAGE}\n"


# -- the command line: every bad experiment file exits 2 with one line ---------------------------------
def _file(raw: Any) -> bytes:
    return raw if isinstance(raw, bytes) else json.dumps(raw).encode()


def _xor(**changes) -> dict:
    raw = load_preset("xor-mlp").to_dict()
    for path, value in changes.items():
        section, key = path.split("__")
        raw[section][key] = value
    return raw


BAD_FILES = {
    "empty": (b"", "the file is empty"),
    "only whitespace": (b"  \n\t\n", "the file is empty"),
    "truncated": (b'{"schema": 1, "data": {"name": "xor"',
                  "not valid JSON: Expecting ',' delimiter at line 1 column 37"),
    "not JSON": (b"epochs = 5\n", "not valid JSON: Expecting value at line 1 column 1"),
    "not UTF-8": (b'{"name": "\xff\xfe"}', "not a UTF-8 text file (invalid start byte at byte 10)"),
    "a newer schema": (_file({**_xor(), "schema": 2}),
                       "schema: version 2 is newer than this program reads (1); update Neural Playground"),
    "a wrong type": (_file(_xor(train__epochs="ten")), "train.epochs: must be an integer, got a string"),
    "out of range": (_file(_xor(optim__lr=0)), "optim.lr: must be > 0, got 0"),
    "a missing section": (_file({k: v for k, v in _xor().items() if k != "optim"}), "optim: missing"),
    "an unknown setting": (_file(_xor(train__epoch=5)), "train.epoch: unknown setting"),
    "a list, not an object": (b"[]", "an experiment must be a JSON object, got a list"),
}


@pytest.mark.parametrize("what", list(BAD_FILES))
def test_a_bad_experiment_file_on_the_command_line_exits_2_with_one_line(what, tmp_path, capsys):
    data, message = BAD_FILES[what]
    path = tmp_path / "experiment.json"
    path.write_bytes(data)
    for command in (["run", str(path), "--quiet"], ["export", str(path), "-o", str(tmp_path / "x.py")]):
        assert cli(command) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1, captured.err
        assert captured.err.startswith(f"error: {message}") and f"(in {path})" in captured.err, captured.err
    assert not (tmp_path / "x.py").exists()


@pytest.mark.parametrize("args, message", [
    (["run", "DIR"], "error: DIR: cannot be read (Is a directory)"),
    (["run", "x" * 5000], "error: " + "x" * 5000 + ": cannot be read (File name too long)"),
    (["run", "xor-mlp", "--set", "train.epochs=1e999"], "error: train.epochs: must be an integer, got inf"),
    (["run", "xor-mlp", "--set", "optim.lr=NaN"], "error: optim.lr: must be a finite number, got nan"),
    (["run", "xor-mlp", "--set", "model.layers=[{\"kind\": \"linear\"}]"], "error: model.layers[0].units: missing"),
    (["run", "xor-mlp", "--set", "data=3"], "error: data: must be an object, got an integer"),
    (["run", "xor-mlp", "--set", "=1"], "error: =1: expected PATH=VALUE, e.g. optim.lr=0.1"),
    (["run", "xor-mlp", "--set", "optim.lr=1" + "0" * 5000], "error: optim.lr: must be a finite number, got inf"),
])
def test_odd_command_lines_exit_2_with_one_line(args, message, tmp_path, capsys):
    args = [str(tmp_path) if a == "DIR" else a for a in args]
    message = message.replace("DIR", str(tmp_path))
    assert cli(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(message), captured.err
