"""`python -m trainer grad`: one JSON line; every input outside the grammar exits 2 with one line naming
the position, before anything is computed (torch is not even imported)."""
from __future__ import annotations

import builtins
import json
import subprocess
import sys

import pytest

from trainer.__main__ import main
from trainer.autograd.expression import MAX_LENGTH, ParseError, parse, parse_bindings

# (expression, the position the refusal names)
REFUSED = [
    ('__import__("os")', 0),                      # an unknown function, before the string it would read
    ('__import__("pathlib").Path("CANARY").touch()', 0),
    ("a.b", 1),                                   # attribute access
    ("w.grad", 1),
    ("lambda x: x", 7),
    ('"a string"', 0),
    ("'w'", 0),
    ("a" * 10_000, MAX_LENGTH),
    ("(" * 500 + "a" + ")" * 500, MAX_LENGTH),     # over the length limit first
    ("(" * 300 + "a" + ")" * 300, 40),            # deep nesting within the length limit
    ("a*" + "-" * 300 + "a", 42),                 # a run of signs (an expression may not start with '-' here:
                                                  # argparse reads that as an option; `grad -- "-a"` works)
    ("foo(a)", 0),                                # unknown function
    ("exp(a) b", 7),                              # trailing garbage
    ("a +", 3),
    ("a)", 1),
    ("(a", 2),
    ("sum(a, b)", 5),
    ("x[0]", 1),
    ("a @ b", 2),
    ("a = 1", 2),
    ("", 0),
    ("exp", 3),
    ("1e999 * a", 0),
]


def guarded_main(argv: list[str]) -> int:
    """main(argv) with eval, exec and compile watched: the user's text must never reach them
    (Python's own imports still compile module sources through them)."""
    user = argv[1]
    saved = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def watch(name):
        def call(source, *args, **kwargs):
            text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
            if isinstance(text, str) and user and user in text:
                raise AssertionError(f"user text reached {name}")
            return saved[name](source, *args, **kwargs)
        return call
    for name in saved:
        setattr(builtins, name, watch(name))
    try:
        return main(argv)
    finally:
        for name, fn in saved.items():
            setattr(builtins, name, fn)


@pytest.mark.parametrize("text,position", REFUSED, ids=[t[:24] for t, _ in REFUSED])
def test_every_refused_expression_exits_2_with_one_line_naming_the_position(text, position, capsys,
                                                                          tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.position == position
    assert guarded_main(["grad", text, "--at", "a=1,b=2"]) == 2
    err = capsys.readouterr()
    assert err.out == ""
    lines = err.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: EXPR position ") and f"position {position}:" in lines[0]
    assert "Traceback" not in err.err
    assert not (tmp_path / "CANARY").exists()


@pytest.mark.parametrize("at,fragment", [
    ("w=NaN", "NaN"), ("w=[1,[2]]", "rectangular"), ("w=[[[1]]]", "nest"), ('w="a"', "not a number"),
    ("w=true", "not a number"), ("w=1,w=2", "twice"), ("w=", "empty"), ("w=" + "[1," * 60 + "1]", "nest"),
    ("w=__import__('os')", "position 2"), ("2", "NAME=VALUE"), ("w=[" + ",".join(["1"] * 65) + "]", "at most 64"),
])
def test_bad_values_exit_2_with_one_line(at, fragment, capsys):
    assert guarded_main(["grad", "w * 2", "--at", at]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and err[0].startswith("error: --at")


def test_names_without_values_shapes_that_do_not_combine_and_vectors_exit_2(capsys):
    assert guarded_main(["grad", "w * q", "--at", "w=1"]) == 2
    assert "position 4: q has no value" in capsys.readouterr().err
    assert guarded_main(["grad", "v + u", "--at", "v=[1,2],u=[1,2,3]"]) == 2
    assert "position 2:" in capsys.readouterr().err
    assert guarded_main(["grad", "v * 2", "--at", "v=[1,2]"]) == 2
    assert "sum(...)" in capsys.readouterr().err
    assert guarded_main(["grad", "w", "--at", "w=1,z=2"]) == 2
    assert "z is not in the expression" in capsys.readouterr().err


def test_grad_prints_one_json_line_with_value_grads_and_graph(capsys):
    assert guarded_main(["grad", "(w * x + b - y) ** 2", "--at", "w=2,x=3", "--at", "b=1,y=5"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    result = json.loads(out[0])
    assert result["value"] == 4.0
    assert result["grads"] == {"w": 12.0, "x": 8.0, "b": 4.0, "y": -4.0}
    names = [n["name"] for n in result["graph"]]
    assert names.count("AccumulateGrad") == 4
    assert [n for n in names if n != "AccumulateGrad"] == ["MulBackward0", "AddBackward0", "SubBackward0",
                                                          "PowBackward0"]
    pow_node = result["graph"][-1]
    assert result["graph"][pow_node["inputs"][0]]["name"] == "SubBackward0"


def test_tensor_values_give_tensor_gradients(capsys):
    assert guarded_main(["grad", "sum(m * v)", "--at", "m=[[1, 2], [3, 4]],v=[10, 20]"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["value"] == 10 + 40 + 30 + 80
    assert result["grads"] == {"m": [[10.0, 20.0], [10.0, 20.0]], "v": [4.0, 6.0]}


def test_bindings_split_at_top_level_commas_only():
    assert parse_bindings("w=2, x=[1, 2],m=[[1,2],[3,4]]") == {"w": 2.0, "x": [1.0, 2.0],
                                                               "m": [[1.0, 2.0], [3.0, 4.0]]}


def test_a_refusal_in_a_fresh_process_imports_no_torch(repo_root):
    """Nothing runs for a refused expression: the one line comes before torch is even imported."""
    code = ("import sys; from trainer.__main__ import main; "
            "rc = main(['grad', '__import__(\"os\").system(\"echo hi\")', '--at', 'a=1']); "
            "print(rc, 'torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["2", "False"], proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "unknown function '__import__'" in proc.stderr


def test_the_command_line_itself(run_cli):
    ok = run_cli("grad", "tanh(a * b) + exp(a)", "--at", "a=0.5,b=-1", timeout=300)
    assert ok.returncode == 0, ok.stderr
    result = json.loads(ok.stdout.strip().splitlines()[-1])
    assert {n["name"] for n in result["graph"]} >= {"TanhBackward0", "ExpBackward0", "MulBackward0", "AddBackward0"}
    bad = run_cli("grad", "lambda x: x", "--at", "x=1", timeout=300)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == "error: EXPR position 7: unexpected name 'x'; expected an operator (+ - * / **) " \
                                 "or the end"
