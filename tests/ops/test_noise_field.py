"""RandomNoiseField: the generic op contract runs in test_contract.py (registry-driven); here its own maths."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import kornia_diffaug as kd
from kornia_diffaug.functional.noise import add_noise_field, noise_field, noise_grid_sizes
from tests._strategies import ATOL, images


def op(seed: int = 0, **kw) -> kd.RandomNoiseField:
    return kd.RandomNoiseField(generator=torch.Generator().manual_seed(seed), **kw)


@given(x=images(max_side=40), cells=st.integers(1, 6), octaves=st.integers(1, 3), per_channel=st.booleans(),
       mode=st.sampled_from(["bicubic", "bilinear"]))
def test_shape_dtype_finite_and_gradient_is_identity(x, cells, octaves, per_channel, mode):
    m = op(amplitude=(0.05, 0.2), cells=cells, octaves=octaves, per_channel=per_channel, mode=mode)
    xr = x.clone().requires_grad_(True)
    y = m(xr)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert torch.isfinite(y.float()).all()
    w = torch.rand_like(y)
    (y * w).sum().backward()
    torch.testing.assert_close(xr.grad, w)


@given(x=images(min_b=1, max_b=4, max_side=32, dtypes=[torch.float16, torch.bfloat16]))
def test_half_precision_matches_float32(x):
    y_low = op(3, amplitude=(0.1, 0.3))(x)
    y_ref = op(3, amplitude=(0.1, 0.3))(x.float())
    torch.testing.assert_close(y_low.float(), y_ref, atol=ATOL[x.dtype] + 0.02, rtol=0)


def test_linear_in_amplitude_and_zero_amplitude_is_exact_identity():
    x = torch.rand(4, 3, 24, 20, dtype=torch.float64)
    d1 = op(5, amplitude=(0.1, 0.1))(x) - x
    d2 = op(5, amplitude=(0.2, 0.2))(x) - x
    torch.testing.assert_close(d2, 2 * d1)
    assert torch.equal(op(5, amplitude=(0.0, 0.0))(x), x)


def test_per_channel_and_shared_fields():
    x = torch.zeros(3, 3, 16, 16)
    shared = op(1, amplitude=(0.1, 0.1), per_channel=False)(x)
    assert torch.equal(shared[:, 0], shared[:, 1]) and torch.equal(shared[:, 0], shared[:, 2])
    own = op(1, amplitude=(0.1, 0.1), per_channel=True)(x)
    assert not torch.allclose(own[:, 0], own[:, 1])


def _radial_power(field: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean power spectrum of ``(N, H, W)`` fields and each frequency's radius in cycles per image."""
    n, h, w = field.shape
    spec = torch.fft.fft2(field - field.mean((1, 2), keepdim=True)).abs().pow(2).mean(0)
    fy = torch.fft.fftfreq(h).view(-1, 1) * h
    fx = torch.fft.fftfreq(w).view(1, -1) * w
    return spec, (fy**2 + fx**2).sqrt()


@pytest.mark.parametrize("mode", ["bicubic", "bilinear"])
def test_spectrum_is_low_pass(mode):
    cells, side = 4, 64
    g = torch.Generator().manual_seed(0)
    field = noise_field([torch.randn(64, 1, cells, cells, generator=g)], (side, side), mode)[:, 0]
    spec, radius = _radial_power(field)
    high = radius > 2 * cells  # beyond twice the grid's Nyquist frequency (cells / 2 cycles per image)
    frac_high = spec[high].sum() / spec.sum()
    white = torch.randn(64, side, side, generator=g)
    wspec, _ = _radial_power(white)
    white_high = wspec[high].sum() / wspec.sum()
    assert white_high > 0.9
    # Only the interpolation kernel's side lobes remain up there (measured: about 0.035 vs 0.95 for white noise).
    assert frac_high < 0.05, f"{mode}: {float(frac_high):.4f} of the power above {2 * cells} cycles/image"
    assert frac_high < white_high / 20
    # and the power is concentrated below the grid's own resolution (measured: about 0.92)
    assert spec[radius <= cells].sum() / spec.sum() > 0.85


def test_octaves_add_finer_detail_and_zero_mean():
    g = torch.Generator().manual_seed(1)
    sizes = noise_grid_sizes((64, 64), (4, 4), 3)
    assert sizes == [(4, 4), (8, 8), (16, 16)]
    grids = [torch.randn(64, 1, *s, generator=g) for s in sizes]
    one = noise_field(grids[:1], (64, 64))[:, 0]
    three = noise_field(grids, (64, 64), persistence=1.0)[:, 0]  # equal weights per octave
    s1, r = _radial_power(one)
    s3, _ = _radial_power(three)
    band = r > 4  # above the first octave's grid (measured: 0.083 of the power for one octave, 0.35 for three)
    assert s3[band].sum() / s3.sum() > 3 * s1[band].sum() / s1.sum()
    assert abs(float(three.mean())) < 0.05


def test_grid_is_clipped_to_tiny_images_and_cells_pair():
    assert noise_grid_sizes((3, 50), (4, 6), 2) == [(3, 6), (3, 12)]
    y = op(amplitude=(0.1, 0.1), cells=(2, 5), octaves=2)(torch.zeros(2, 1, 3, 50))
    assert y.shape == (2, 1, 3, 50) and y.abs().sum() > 0
    assert op(amplitude=(0.1, 0.1))(torch.zeros(2, 2, 1, 1)).shape == (2, 2, 1, 1)


def test_learnable_amplitude_receives_gradient():
    hi = torch.tensor(0.3, requires_grad=True)
    y = kd.RandomNoiseField(amplitude=(0.0, hi), generator=torch.Generator().manual_seed(0))(torch.zeros(4, 3, 16, 16))
    y.pow(2).sum().backward()
    assert hi.grad is not None and torch.isfinite(hi.grad) and hi.grad > 0


@settings(max_examples=10)
@given(seed=st.integers(0, 2**20))
def test_replay_and_functional_agree(seed):
    x = torch.rand(3, 2, 12, 9)
    m = op(seed, amplitude=(0.0, 0.2), octaves=2)
    y = m(x)
    p = m._params
    direct = add_noise_field(x, [p["noise_0"], p["noise_1"]], p["amplitude"], "bicubic", 0.5)
    torch.testing.assert_close(y, direct)
    assert torch.equal(m(x, params=p), y)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"amplitude": (-0.1, 0.1)}, ValueError, "amplitude"),
        ({"cells": 0}, ValueError, "cells"),
        ({"cells": 2.5}, TypeError, "cells"),
        ({"octaves": 0}, ValueError, "octaves"),
        ({"persistence": 0.0}, ValueError, "persistence"),
        ({"mode": "nearest"}, ValueError, "mode"),
        ({"per_channel": "yes"}, TypeError, "per_channel"),
    ],
)
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        kd.RandomNoiseField(**kwargs)


def test_functional_rejects_mismatched_grids():
    with pytest.raises(ValueError, match="grids"):
        add_noise_field(torch.zeros(2, 3, 8, 8), [torch.zeros(2, 2, 4, 4)], 0.1)
    with pytest.raises(ValueError, match="mode"):
        noise_field([torch.zeros(1, 1, 2, 2)], (4, 4), mode="area")


def test_registered_as_policy_and_works_in_a_sequential():
    import kornia.augmentation as K

    aug = kd.make_policy("noise_field", amplitude=(0.0, 0.1), generator=torch.Generator().manual_seed(0))
    seq = K.AugmentationSequential(aug, data_keys=["input", "mask"])
    x, mask = torch.rand(2, 3, 16, 16), torch.ones(2, 1, 16, 16)
    y, m = seq(x, mask)
    assert y.shape == x.shape and torch.equal(m, mask)
