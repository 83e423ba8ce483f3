"""scikit-learn's real datasets (trainer/tabular/catalog.py, datasets.py): the table matches scikit-learn,
the splits are standardised with training statistics only, and the sets train to sensible accuracy."""
from __future__ import annotations

import numpy as np
import pytest

from trainer.config import ConfigError, DataSpec, Experiment, LayerSpec, ModelSpec, OptimSpec, TrainSpec, \
    input_dim, n_classes, task_of
from trainer.data import load
from trainer.loop import run_to_end
from trainer.tabular.catalog import REAL_DATASETS
from trainer.tabular.datasets import class_names_of, real_arrays


@pytest.mark.parametrize("name", sorted(REAL_DATASETS))
def test_the_table_says_what_scikit_learn_ships(name):
    info = REAL_DATASETS[name]
    x, y, rows, features, classes, task = real_arrays(DataSpec(name=name))
    assert x.shape == (info.n_rows, info.n_features) and len(features) == info.n_features
    assert input_dim(DataSpec(name=name)) == info.n_features
    if info.task == "regression":
        assert task_of(DataSpec(name=name)) == "regression" and n_classes(DataSpec(name=name)) == 1
    else:
        import sklearn.datasets
        names = tuple(str(n) for n in getattr(sklearn.datasets, info.loader)().target_names)
        assert names == info.class_names == class_names_of(DataSpec(name=name))
        assert sorted(set(y.tolist())) == list(range(len(names))) == list(range(n_classes(DataSpec(name=name))))
    assert info.description and info.label


def test_splits_are_standardised_with_the_training_rows_only_and_carry_names():
    s = load(DataSpec(name="diabetes", seed=7))
    assert s.sizes == (310, 66, 66) and s.task == "regression" and s.feature_names[:3] == ("age", "sex", "bmi")
    assert np.allclose(s.x_train.mean(axis=0), 0, atol=1e-5) and np.allclose(s.x_train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(s.x_test.mean(axis=0), 0, atol=1e-3)    # the test rows were not used
    assert abs(float(s.y_train.mean())) < 1e-5 and s.target_scale[0] > 100   # progression ~150 in the file
    raw, *_ = real_arrays(DataSpec(name="diabetes"))
    test_raw = s.unscale_x(s.x_test)
    assert np.allclose(test_raw, raw[s.test_rows], rtol=1e-5, atol=1e-4)    # test_rows point at the source
    plain = load(DataSpec(name="diabetes", seed=7, standardize=False))
    assert plain.feature_scale is None and np.allclose(plain.x_test, raw[plain.test_rows], rtol=1e-6)


def test_a_subset_of_features_and_bad_settings_name_the_field():
    s = load(DataSpec(name="iris", features=("petal length (cm)", "petal width (cm)")))
    assert s.input_dim == 2 and s.feature_names == ("petal length (cm)", "petal width (cm)")
    with pytest.raises(ConfigError, match="^data.features: iris has no feature 'colour'"):
        load(DataSpec(name="iris", features=("colour",)))
    with pytest.raises(ConfigError, match="^data.extra_points: points cannot be added to iris"):
        Experiment(data=DataSpec(name="iris", extra_points=((0.0, 0.0, 1),)))
    with pytest.raises(ConfigError, match="^data.features: only tabular data"):
        Experiment(data=DataSpec(name="spiral", features=("x",)))
    with pytest.raises(ConfigError, match="^data.csv: missing"):
        Experiment(data=DataSpec(name="csv"))


def small_mlp(name: str, seed: int, units: int = 16, lr: float = 0.01, epochs: int = 300, patience: int = 50,
              **data) -> Experiment:
    layers = () if units == 0 else (LayerSpec("linear", units=units), LayerSpec("activation", fn="relu"))
    """The default split (data.seed 42, 70/15/15); `seed` draws the starting weights."""
    return Experiment(data=DataSpec(name=name, **data), model=ModelSpec(layers=layers),
                      optim=OptimSpec(lr=lr), train=TrainSpec(epochs=epochs, patience=patience, seed=seed, device="cpu"))


# Chosen on the lowest mean validation loss over training seeds 1-3 on the default split, from 0/8/16
# hidden units x lr 0.01/0.1 x weight decay 0/0.01/0.03 (the grid and every figure: the issue 17 notes).
IRIS = {"units": 8, "lr": 0.01, "epochs": 1000, "patience": 100}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_iris_reaches_90_percent_on_its_test_rows(seed):
    f = run_to_end(small_mlp("iris", seed, **IRIS))
    assert f.metrics["test_accuracy"] >= 90.0, f.metrics["test_accuracy"]


@pytest.mark.parametrize("name, floor", [("wine", 85.0), ("breast-cancer", 85.0), ("digits", 85.0)])
def test_the_other_classification_sets_learn(name, floor):
    f = run_to_end(small_mlp(name, 1, epochs=150))
    assert f.metrics["test_accuracy"] >= floor and f.metrics["confusion"].shape == (n_classes(DataSpec(name=name)),) * 2


def test_diabetes_regression_explains_part_of_the_variance_through_the_loop():
    f = run_to_end(small_mlp("diabetes", 1, epochs=200))
    m = f.metrics
    assert f.history[-1]["train_acc"] is None and "test_accuracy" not in m
    assert 0.2 < m["test_r2"] < 0.8 and 40 < m["test_rmse"] < 80       # in the target's units (progression)
    assert abs(m["test_mse"] - m["test_rmse"] ** 2) < 1e-6 * m["test_mse"]
    assert m["predictions"].shape == m["actual"].shape == (m["n_test"],) and m["actual"].min() > 20


def test_a_cnn_sees_the_8x8_digits_as_images_and_learns_them():
    """Issue 17's digits are images: a network starting with conv2d gets each row as 1x8x8."""
    from trainer.models import build_model
    cnn = (LayerSpec("conv2d", channels=8, kernel=3, padding=1), LayerSpec("activation", fn="relu"),
           LayerSpec("maxpool2d", kernel=2), LayerSpec("flatten"), LayerSpec("linear", units=32),
           LayerSpec("activation", fn="relu"))
    exp = Experiment(data=DataSpec(name="digits"), model=ModelSpec(layers=cnn), optim=OptimSpec(lr=0.01),
                     train=TrainSpec(epochs=8, batch_size=64, seed=1, device="cpu"))
    model = build_model(exp)
    assert tuple(model[0].unflattened_size) == (1, 8, 8) and model[1].in_channels == 1
    assert run_to_end(exp).metrics["test_accuracy"] >= 90.0
    some_pixels = DataSpec(name="digits", features=tuple(load(DataSpec(name="digits")).feature_names[:10]))
    with pytest.raises(ConfigError, match=r"model\.layers\[0\]"):   # 10 pixels are no image: refused
        Experiment(data=some_pixels, model=ModelSpec(layers=cnn))
