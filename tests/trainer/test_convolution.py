"""The convolution lesson's numbers equal PyTorch's on the same numbers (conv2d, relu, max_pool2d)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainer.convolution import (KERNELS, KernelError, feature_map, max_pool, mnist_test_digits, out_size,
                                 parse_kernel, relu, same_padding, step, unit_image)


def _torch_conv(image: np.ndarray, kernel: np.ndarray, padding: int) -> np.ndarray:
    x = torch.from_numpy(image)[None, None]
    w = torch.from_numpy(np.ascontiguousarray(kernel))[None, None]
    return F.conv2d(x, w, padding=padding)[0, 0].numpy()


@pytest.fixture(scope="module")
def digit(mnist_root) -> np.ndarray:
    images, labels = mnist_test_digits(mnist_root)
    assert images.shape == (10_000, 28, 28) and labels[0] == 7
    return unit_image(images[0])


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("same", [False, True])
def test_feature_map_is_torch_conv2d(digit, name, same):
    kernel = KERNELS[name]
    pad = same_padding(kernel) if same else 0
    ours = feature_map(digit, kernel, pad)
    assert ours.shape == out_size(digit, kernel, pad) == ((28, 28) if same else (28 - kernel.shape[0] + 1,) * 2)
    np.testing.assert_allclose(ours, _torch_conv(digit, kernel, pad), rtol=0, atol=1e-12)


def test_a_typed_kernel_steps_to_the_maps_cells_and_pools_like_torch(digit):
    rng = np.random.default_rng(0)
    kernel = parse_kernel([[f"{v:.3f}" for v in row] for row in rng.normal(size=(5, 5))])
    fmap = feature_map(digit, kernel, 2)
    np.testing.assert_allclose(fmap, _torch_conv(digit, kernel, 2), atol=1e-12)
    ink = int(np.argmax(digit))                    # with same padding, output cell = the patch's centre
    for position in (0, 27, ink, 28 * 28 - 1):      # corners (in the padding) and on the 7's stroke
        s = step(digit, kernel, 2, position)
        assert (s.row, s.col) == divmod(position, 28)
        np.testing.assert_allclose(s.products, s.patch * kernel)
        assert s.total == pytest.approx(fmap[s.row, s.col], abs=1e-12)
    on_ink = step(digit, kernel, 2, ink)
    assert on_ink.patch[2, 2] == digit.max() == 1.0 and np.count_nonzero(on_ink.products) > 5
    t = torch.from_numpy(fmap)[None, None]
    np.testing.assert_array_equal(relu(fmap), F.relu(t)[0, 0].numpy())
    np.testing.assert_array_equal(max_pool(relu(fmap)), F.max_pool2d(F.relu(t), 2)[0, 0].numpy())
    odd = fmap[:27, :27]                            # a last odd row and column are dropped, as in torch
    np.testing.assert_array_equal(max_pool(odd), F.max_pool2d(torch.from_numpy(odd)[None, None], 2)[0, 0].numpy())


def test_typed_cells_are_numbers_or_a_message_naming_the_cell():
    assert parse_kernel([["1", " -2.5", "0"], ["1e-1", "0", "0"], ["0", "0", "+3"]])[0, 1] == -2.5
    with pytest.raises(KernelError, match=r"row 2, column 3: '__import__\(\"os\"\)' is not a number"):
        parse_kernel([["0"] * 3, ["0", "0", '__import__("os")'], ["0"] * 3])
    with pytest.raises(KernelError, match="row 1, column 1: is empty"):
        parse_kernel([[""] + ["0"] * 2] + [["0"] * 3] * 2)
    with pytest.raises(KernelError, match="finite"):
        parse_kernel([["nan"] + ["0"] * 2] + [["0"] * 3] * 2)
    with pytest.raises(KernelError, match="3x3 or 5x5"):
        parse_kernel([["0"] * 4] * 4)
