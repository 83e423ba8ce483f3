"""The user's CSV file end to end: the experiment stores it, train() learns it (classes and regression),
the command line runs it or exits 2 in one line, the exported script reproduces the run, the views'
numbers (plane, predicted vs actual, worst rows, class table) and a moved or changed file is told apart."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from trainer.__main__ import main as cli, summary
from trainer.config import ConfigError, Experiment
from trainer.data import load
from trainer.export import write_script
from trainer.loop import run_to_end
from trainer.models import model_from_state
from trainer.presets import load_preset
from trainer.tabular import plane, provenance
from trainer.tabular.datasets import csv_data_spec, spec_for_file
from trainer.tabular.errors import TableError
from trainer.tabular.reader import read_table
from trainer.tabular.choose import select

REPO = Path(__file__).resolve().parents[2]


def flowers_csv(tmp_path: Path, sep: str = ";", decimal: str = ",", n: int = 150) -> Path:
    """Iris as a spreadsheet in a German locale would save it: semicolons, decimal commas, CRLF, a BOM."""
    from sklearn.datasets import load_iris
    b = load_iris()
    lines = [sep.join(["sepal length", "sepal width", "petal length", "petal width", "species"])]
    for x, y in list(zip(b.data, b.target))[:n]:
        lines.append(sep.join(f"{v:.1f}".replace(".", decimal) for v in x) + sep + str(b.target_names[y]))
    path = tmp_path / "flowers.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def prices_tsv(tmp_path: Path) -> Path:
    """A regression without a header: y = 3 a - 2 b + noise, tab-separated."""
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 10, size=(200, 2))
    y = 3 * x[:, 0] - 2 * x[:, 1] + 50 + rng.randn(200) * 0.5
    path = tmp_path / "prices.tsv"
    path.write_text("\n".join(f"{a:.3f}\t{b:.3f}\t{t:.3f}" for (a, b), t in zip(x, y)) + "\n")
    return path


def on_file(path: Path, epochs: int = 60, **choose) -> Experiment:
    exp = load_preset("spiral").with_overrides({"train.epochs": epochs, "train.device": "cpu",
                                               "model.layers": [{"kind": "linear", "units": 16},
                                                                {"kind": "activation", "fn": "relu"}]})
    return replace(exp, data=spec_for_file(str(path), base=exp.data, **choose))


def test_the_experiment_stores_path_hash_dialect_and_columns_and_round_trips(tmp_path):
    exp = on_file(flowers_csv(tmp_path))
    c = exp.data.csv
    assert exp.data.name == "csv" and Path(c.path) == (tmp_path / "flowers.csv").resolve()
    assert len(c.sha256) == 64 and (c.separator, c.decimal, c.header) == (";", ",", True)
    assert c.target == "species" and exp.data.features[0] == "sepal length" and len(exp.data.features) == 4
    assert c.class_names == ("setosa", "versicolor", "virginica") and exp.data.standardize
    assert Experiment.from_json(exp.to_json()) == exp
    assert exp.with_overrides({"data.csv.drop_bad_rows": True}).data.csv.drop_bad_rows
    with pytest.raises(ConfigError, match=r"^data.features: the target 'species' cannot also be a feature"):
        exp.with_overrides({"data.features": ["sepal length", "species"]})
    with pytest.raises(ConfigError, match=r"^data.csv.task: unknown value 'clustering'"):
        exp.with_overrides({"data.csv.task": "clustering"})


def test_a_csv_with_text_labels_trains_and_keeps_its_class_names(tmp_path):
    exp = on_file(flowers_csv(tmp_path), epochs=150)
    splits = load(exp.data)
    assert splits.class_names == ("setosa", "versicolor", "virginica") and splits.feature_names[0] == "sepal length"
    assert splits.test_rows.min() >= 2                     # lines of the file; the header is line 1
    f = run_to_end(exp)
    assert f.metrics["test_accuracy"] >= 80 and f.metrics["confusion"].shape == (3, 3)
    model = model_from_state(exp, f.state)
    table = plane.class_table(f.metrics["confusion"], splits.class_names)
    assert [r.name for r in table] == ["setosa", "versicolor", "virginica"] and sum(r.count for r in table) == 22
    worst = plane.worst_rows(model, exp, splits, k=5)
    assert len(worst) == 5 and worst[0].error >= worst[-1].error and worst[0].actual in splits.class_names
    text = (tmp_path / "flowers.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = text[worst[0].row - 1].split(";")                # the row as the file has it
    assert np.allclose(worst[0].values, [float(c.replace(",", ".")) for c in cells[:4]], atol=1e-5)
    assert cells[4] == worst[0].actual


def test_the_plane_of_two_features_or_two_components_holds_the_rest_at_the_training_means(tmp_path):
    exp = on_file(flowers_csv(tmp_path), epochs=150)
    splits = load(exp.data)
    model = model_from_state(exp, run_to_end(exp).state)
    choices = plane.plane_choices(splits)
    assert choices[0][1].kind == "pca" and len(choices) == 1 + 6
    view = plane.prediction_plane(model, exp, splits, plane.PlaneChoice("features", 2, 3), resolution=40)
    assert view.axis_labels == ("petal length", "petal width") and "other 2 inputs held at their training means" \
        in view.note
    assert view.probabilities.shape == (40, 40, 3) and np.allclose(view.probabilities.sum(axis=2), 1, atol=1e-5)
    assert view.points.shape == (150, 2) and view.points[:, 0].max() <= 6.9 + 1e-4      # in centimetres
    xmin, xmax, ymin, ymax = view.extent
    assert xmin < 1.0 and xmax > 6.9 and np.bincount(view.parts).tolist() == [106, 22, 22]
    # Small petals are setosa, large ones virginica: the corners of the plane say so.
    assert view.probabilities[0, 0].argmax() == 0 and view.probabilities[-1, -1].argmax() == 2
    pca = plane.prediction_plane(model, exp, splits, plane.PlaneChoice("pca"), resolution=30)
    assert pca.axis_labels[0].startswith("PC 1 (") and "principal components" in pca.note
    _, axes, share = plane.principal_axes(splits)
    assert np.allclose(axes @ axes.T, np.eye(2), atol=1e-6) and share[0] > share[1] > 0
    assert pca.probabilities.shape == (30, 30, 3)


def test_a_regression_file_trains_through_the_loop_with_rmse_and_r2(tmp_path):
    exp = on_file(prices_tsv(tmp_path), epochs=300)
    assert exp.data.csv.task == "regression" and exp.data.csv.header is False and exp.data.csv.target == "column 3"
    f = run_to_end(exp)
    m = f.metrics
    assert m["test_r2"] > 0.95 and m["test_rmse"] < 3.0                  # the noise is 0.5; y spans ~40
    out = summary(exp, f)
    assert {"test_mse", "test_rmse", "test_r2"} <= out.keys() and "test_accuracy" not in out
    splits = load(exp.data)
    model = model_from_state(exp, f.state)
    actual, predicted = plane.predicted_vs_actual(model, exp, splits)
    assert np.allclose(actual, m["actual"]) and np.allclose(predicted, m["predictions"], atol=1e-4)
    view = plane.prediction_plane(model, exp, splits, plane.PlaneChoice("features", 0, 1), resolution=20)
    assert view.values.shape == (20, 20) and view.probabilities is None
    assert view.values[0, -1] > view.values[-1, 0]     # high a, low b: high y
    worst = plane.worst_rows(model, exp, splits, k=3)
    assert worst[0].confidence is None and worst[0].error == max(abs(p - a) for p, a in zip(predicted, actual))


def test_moved_and_changed_files_are_told_apart_and_located(tmp_path):
    path = flowers_csv(tmp_path)
    spec = on_file(path).data
    assert provenance.check_file(spec).ok
    moved = tmp_path / "elsewhere.csv"
    path.rename(moved)
    check = provenance.check_file(spec)
    assert check.status == "moved" and "not there any more" in check.message and str(path.resolve()) in check.message
    with pytest.raises(TableError, match="no such file"):
        load(spec)
    located = provenance.locate(spec, moved)
    assert provenance.check_file(located).ok and located.csv.path == str(moved.resolve())
    moved.write_bytes(moved.read_bytes().replace(b"5,1;3,5", b"5,2;3,5", 1))
    check = provenance.check_file(located)
    assert check.status == "changed" and "SHA-256 differs" in check.message
    with pytest.raises(TableError, match="changed since the experiment was made"):
        load(located)
    with pytest.raises(TableError, match="is not the experiment's file"):
        provenance.locate(spec, moved)


def test_bad_cells_are_reported_when_the_file_is_imported(tmp_path):
    path = flowers_csv(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"4,9;3,0;1,4", b"4,9;NaN;1,4", 1))   # line 3's sepal width
    table = read_table(path)
    with pytest.raises(TableError, match=r"row 3, column 'sepal width': holds 'NaN'"):
        csv_data_spec(table, select(table))
    spec = csv_data_spec(table, select(table), drop_bad_rows=True)
    assert spec.csv.drop_bad_rows and sum(load(spec).sizes) == 149


# -- the command line ------------------------------------------------------------------------------

def test_run_trains_on_a_data_file_and_prints_the_summary(tmp_path, capsys):
    path = flowers_csv(tmp_path)
    assert cli(["run", "spiral", "--data-file", str(path), "--target", "species", "--quiet",
                "--set", "train.epochs=30", "--set", "train.device=cpu"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["epochs_run"] == 30 and 0 <= line["test_accuracy"] <= 100


@pytest.mark.parametrize("content, words", [
    (b"", "the file is empty"),
    (b"a;b;c\n", "has a header row but no data rows"),
    (b"a,b,c\n1,2,x\n3,4,y,5\n", "row 3: has 4 cells, but the header has 3"),
    (b"\x00\x01\x02binary", "is a binary file"),
])
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert cli(["run", "spiral", "--data-file", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and words in err and err.count("\n") == 1


def test_a_missing_target_and_target_without_a_file(tmp_path, capsys):
    path = flowers_csv(tmp_path)
    assert cli(["run", "spiral", "--data-file", str(path), "--target", "colour", "--quiet"]) == 2
    assert "no column 'colour'" in capsys.readouterr().err
    assert cli(["run", "spiral", "--target", "colour", "--quiet"]) == 2
    assert "--target and --drop-bad-rows need --data-file" in capsys.readouterr().err


def test_a_bad_file_in_a_real_process_exits_2_without_a_traceback(tmp_path):
    path = tmp_path / "text.csv"
    path.write_text("a,b,label\n" + "\n".join(f"{i},{'x' if i == 7 else i},c{i % 2}" for i in range(20)) + "\n")
    proc = subprocess.run([sys.executable, "-m", "trainer", "run", "spiral", "--data-file", str(path),
                           "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    # 'b' holds mostly numbers, so it is a default feature, and its text cell is named
    assert proc.stderr.strip() == f"error: {path}, row 9, column 'b': 'x' is not a number; a feature column " \
                                  "must hold numbers (leave the column out, or fix the cell)"


# -- the exported script reproduces a CSV run --------------------------------------------------------

def run_script(path: Path, *args: str) -> dict:
    env = {"OMP_NUM_THREADS": str(torch.get_num_threads()), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, str(path), *args], cwd=path.parent, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["classes", "regression"])
def test_the_exported_script_takes_the_csv_path_and_reproduces_the_run(tmp_path, kind):
    path = flowers_csv(tmp_path) if kind == "classes" else prices_tsv(tmp_path)
    exp = on_file(path, epochs=80)
    exp = exp.with_overrides({"train.batch_size": 32} if kind == "classes" else {})
    script = write_script(exp, tmp_path / "train.py")
    copy = tmp_path / "copy" / path.name   # the script reads the file it is given
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    path.unlink()
    got = run_script(script, str(copy))
    app = summary(exp, run_to_end(replace(exp, data=provenance.locate(exp.data, copy))))
    assert set(got) == set(app)
    for key in ("reason", "epochs_run", "best_epoch", "params", "test_accuracy"):
        assert got.get(key) == app.get(key), key
    for key in ("final_train_loss", "best_val_loss", "test_mse", "test_rmse", "test_r2"):
        if key in app:
            assert abs(got[key] - app[key]) <= 1e-6 * max(1.0, abs(app[key])), (key, got[key], app[key])
