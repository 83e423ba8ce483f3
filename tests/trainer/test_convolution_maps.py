"""trainer.feature_maps: a CNN's maps are its convolutions' outputs; the snapshot's image state redraws them."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from trainer.feature_maps import feature_maps, first_kernels, image_state, load_image_state


def _cnn(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3),
                         nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 12 * 12, 10))


def test_maps_are_the_convolutions_outputs_and_follow_the_weights():
    model, image = _cnn(0), np.zeros((28, 28), np.float32)
    image[6:22, 13:15] = 1.0                                     # a "1"
    model.train()
    layers = feature_maps(model, image, (0.1307, 0.3081))
    assert model.training and [m.maps.shape for m in layers] == [(4, 28, 28), (6, 12, 12)]
    assert layers[1].label == "conv 2: 4→6, 3×3"
    x = torch.from_numpy((image - 0.1307) / 0.3081)[None, None]
    with torch.no_grad():
        first = model[0](x)
        second = model[3](model[2](model[1](first)))
    np.testing.assert_allclose(layers[0].maps, first[0].numpy(), atol=1e-6)
    np.testing.assert_allclose(layers[1].maps, second[0].numpy(), atol=1e-6)
    assert all(not conv._forward_hooks for conv in (model[0], model[3]))   # the hooks are gone
    np.testing.assert_array_equal(first_kernels(model), model[0].weight.detach()[:, 0].numpy())

    other = np.zeros((28, 28), np.float32)
    other[13:15, 6:22] = 1.0                                     # a dash: other maps
    assert not np.allclose(feature_maps(model, other)[0].maps, feature_maps(model, image)[0].maps)

    trained = _cnn(1)                                            # a window's copy takes a snapshot's state
    state = image_state(trained)
    assert {k for k, _ in state} == {"0.weight", "0.bias", "3.weight", "3.bias", "4.weight", "4.bias",
                                     "4.running_mean", "4.running_var", "4.num_batches_tracked"}
    assert load_image_state(model, state)
    np.testing.assert_allclose(feature_maps(model, image)[1].maps, feature_maps(trained, image)[1].maps, atol=1e-6)
    assert not load_image_state(nn.Sequential(nn.Conv2d(1, 8, 5)), state)      # another shape: refused
    assert image_state(nn.Sequential(nn.Linear(784, 10))) == ()
