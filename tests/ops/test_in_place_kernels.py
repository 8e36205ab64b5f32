"""Ops with an in-place kernel (``apply_transform_``, used on the CPU for a batch a pipeline lends them or for
their own output copy) write the same bits as their ``apply_transform``, and the ops called as a whole give the
same result whether or not the batch is lent."""

from __future__ import annotations

import pytest
import torch

from kornia_diffaug.ops._alloc import writable_batch
from kornia_diffaug.ops.albu import (
    AlbuBlur,
    AlbuBrightnessContrast,
    AlbuCoarseDropout,
    AlbuColorJitter,
    AlbuGaussianBlur,
    AlbuGaussNoise,
    AlbuHueSaturationValue,
)

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]
DROPOUTS = [
    {"num_holes_range": (1, 4), "hole_height_range": (0.05, 0.4), "hole_width_range": (0.05, 0.4)},
    {"num_holes_range": (0, 3), "hole_height_range": (1, 9), "hole_width_range": (2, 12), "fill": 0.5},
    {"num_holes_range": (2, 5), "hole_height_range": (3, 8), "hole_width_range": (3, 8), "fill": (0.1, 0.2, 0.9)},
    # 1.x's Cutout: centres anywhere, so holes are clipped at every border
    {"num_holes_range": (1, 3), "hole_height_range": (6, 14), "hole_width_range": (6, 14),
     "placement": "cutout_1x"},
]


@pytest.mark.parametrize("kwargs", DROPOUTS, ids=range(len(DROPOUTS)))
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_coarse_dropout_in_place_matches_its_transform(kwargs, dtype):
    op = AlbuCoarseDropout(**kwargs, p=1.0, generator=torch.Generator().manual_seed(0))
    x = torch.rand(23, 3, 17, 21, generator=torch.Generator().manual_seed(1)).to(dtype)
    params = op.forward_parameters(x.shape)
    ref = op.apply_transform(x, params, {})
    y = x.clone()
    assert op.apply_transform_(y, params, {}) is y
    assert torch.equal(y, ref)
    assert not torch.equal(ref, x) or kwargs["num_holes_range"][0] == 0


@pytest.mark.parametrize("by_max", [True, False])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("span", [(0.0, 1.0), (-0.3, 1.4)], ids=["unit", "outside"])
def test_brightness_contrast_in_place_matches_the_function(by_max, dtype, span):
    from kornia_diffaug.functional import albu as FA

    g = torch.Generator().manual_seed(4)
    x = (torch.rand(9, 3, 11, 13, generator=g) * (span[1] - span[0]) + span[0]).to(dtype)
    alpha = 1 + torch.rand(9, generator=g) * 0.6 - 0.3
    beta = torch.rand(9, generator=g) * 0.6 - 0.3
    ref = FA.brightness_contrast(x, alpha, beta, by_max)
    y = x.clone()
    assert FA.brightness_contrast_(y, alpha, beta, by_max) is y
    assert torch.equal(y, ref) and not torch.equal(y, x)
    empty = x[:0].clone()
    assert FA.brightness_contrast_(empty, alpha[:0], beta[:0], by_max).shape == empty.shape


@pytest.mark.parametrize("per_channel", [True, False])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("span", [(0.0, 1.0), (-0.3, 1.4)], ids=["unit", "outside"])
def test_gauss_noise_in_place_matches_the_function(per_channel, dtype, span):
    from kornia_diffaug.functional import albu as FA

    g = torch.Generator().manual_seed(7)
    x = (torch.rand(5, 3, 11, 13, generator=g) * (span[1] - span[0]) + span[0]).to(dtype)
    seed = torch.randint(0, 2**62, (5,), generator=g)
    std, mean = torch.rand(5, generator=g) * 0.2, torch.rand(5, generator=g) * 0.1 - 0.05
    ref = FA.gauss_noise(x, seed, std, mean, per_channel)
    y = x.clone()
    assert FA.gauss_noise_(y, seed, std, mean, per_channel) is y
    assert torch.equal(y, ref) and not torch.equal(y, x)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("taps", [1, 5, 23])
def test_separable_blur_writes_into_out_even_its_input(dtype, taps):
    from kornia_diffaug.functional import albu as FA

    g = torch.Generator().manual_seed(12)
    x = torch.rand(5, 3, 28, 30, generator=g).to(dtype)
    k = FA.gaussian_kernels(torch.rand(5, generator=g) + 0.5, torch.full((5,), taps), taps)
    ref = FA.separable_blur(x, k)
    out = torch.empty_like(x)
    assert FA.separable_blur(x, k, out=out) is out and torch.equal(out, ref)
    y = x.clone()
    assert FA.separable_blur(y, k, out=y) is y and torch.equal(y, ref)
    with pytest.raises(ValueError, match="out must be a tensor of the input's shape"):
        FA.separable_blur(x, k, out=out[:2])


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_no_in_place_kernel_where_autograd_tracks_a_parameter(p):
    # A parameter that needs a gradient keeps the out-of-place path, so the gradient reaches it.
    x = torch.rand(12, 3, 8, 8, generator=torch.Generator().manual_seed(13))
    op = AlbuBrightnessContrast(p=p, generator=torch.Generator().manual_seed(14))
    params = op.forward_parameters(x.shape)
    alpha = params["alpha"].clone().requires_grad_(True)
    y = op(x, params={**params, "alpha": alpha})
    y.sum().backward()
    gate = params["batch_prob"] > 0.5
    assert alpha.grad is not None and bool((alpha.grad[gate] != 0).all())
    assert bool((alpha.grad[~gate] == 0).all())
    with torch.no_grad():
        assert torch.equal(y, op(x, params=params))


def _ops():
    ops = {f"coarse_dropout_{i}": (lambda p, g, kw=kw: AlbuCoarseDropout(**kw, p=p, generator=g))
           for i, kw in enumerate(DROPOUTS)}
    return {
        **ops,
        "brightness_contrast": lambda p, g: AlbuBrightnessContrast(p=p, generator=g),
        "gauss_noise": lambda p, g: AlbuGaussNoise((0.02, 0.1), p=p, generator=g),
        # ColorJitter and HueSaturationValue compute each lent row from its view and write it back; the blurs
        # write each image from its padded copy into its own row
        "color_jitter": lambda p, g: AlbuColorJitter((0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.1, 0.1), p=p,
                                                     generator=g),
        "hue_saturation_value": lambda p, g: AlbuHueSaturationValue(p=p, generator=g),
        "gaussian_blur_23": lambda p, g: AlbuGaussianBlur((23, 23), (0.1, 2.0), p=p, generator=g),
        "gaussian_blur_small": lambda p, g: AlbuGaussianBlur((3, 7), (0.5, 1.5), p=p, generator=g),
        "blur": lambda p, g: AlbuBlur((3, 9), p=p, generator=g),
    }


@pytest.mark.parametrize("p", [0.4, 1.0])
@pytest.mark.parametrize("name", list(_ops()))
def test_ops_give_the_batched_result_lent_or_not(name, p):
    # Lent, the op writes into the very tensor it was given; not lent, into its own copy, the input untouched;
    # either way the result is the batched transform blended by the gate, bit for bit.
    make = _ops()[name]
    x = torch.rand(13, 3, 30, 30, generator=torch.Generator().manual_seed(10))
    outs = []
    for lend in (False, True):
        op = make(p, torch.Generator().manual_seed(11))
        xi = x.clone()
        with torch.no_grad(), writable_batch(xi if lend else None):
            y = op(xi)
        assert (y.data_ptr() == xi.data_ptr()) is lend
        assert lend or torch.equal(xi, x)
        outs.append(y)
    op = make(p, torch.Generator().manual_seed(11))
    params = op.forward_parameters(x.shape)
    gate = params["batch_prob"].view(-1, 1, 1, 1) > 0.5
    assert torch.equal(outs[0], outs[1])
    assert torch.equal(outs[0], torch.where(gate, op.apply_transform(x, params, {}), x))
