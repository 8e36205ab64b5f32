"""StyleGAN2-ADA's kernels (functional/ada/): the anti-aliased resampler and its banded axis maps, the
image-filter bank, and the paper's release as a reference."""

from __future__ import annotations

import pytest
import torch

from kornia_diffaug.functional.ada import ada_augment, ada_resample
from kornia_diffaug.functional.ada.color import imgfilter_bank, imgfilter_gains
from kornia_diffaug.functional.ada.geometry import geometry_matrices
from kornia_diffaug.functional.ada.resample import resample_antialiased, resample_nearest


def test_antialiased_resampler_is_exact_for_integer_shifts_away_from_borders():
    x = torch.rand(3, 2, 20, 24, dtype=torch.float64)
    params = {"xint": torch.tensor([[0.0, 0.0], [3.0, -2.0], [-1.0, 4.0]])}
    _, m_inv = geometry_matrices(params, (20, 24), torch.float64)
    y = resample_antialiased(x, m_inv)  # forced through the 2x up / bilinear / down path
    exact = resample_nearest(x, m_inv)
    torch.testing.assert_close(y[..., 6:-6, 6:-6], exact[..., 6:-6, 6:-6], atol=1e-6, rtol=0)
    torch.testing.assert_close(y[0], x[0], atol=1e-6, rtol=0)  # the identity is exact up to the borders too


def test_large_images_use_the_banded_operators_exactly():
    from kornia_diffaug.functional.ada.resample import _AxisOp

    a = torch.zeros(150, 310, dtype=torch.float64)
    for i in range(150):  # a band like the upsampling map's: output 2i..2i+9 reads input i
        a[i, 2 * i : 2 * i + 10] = torch.rand(min(10, 310 - 2 * i), dtype=torch.float64)
    a[:, 300:] = 0  # a block of outputs that reads nothing
    v = torch.rand(4, 3, 150, dtype=torch.float64)
    for block in (16, 64, 256):  # CPU blocks, mid-size, accelerator blocks (a partial last block)
        op = _AxisOp(a, block=block)
        assert op.dense is None and len(op.blocks) == -(-310 // block)
        torch.testing.assert_close(op(v), v @ a)  # along the last axis
        torch.testing.assert_close(op(v.transpose(-1, -2), dim=-2), (v @ a).transpose(-1, -2))  # along rows
    with pytest.raises(ValueError, match="dim"):
        op(v, dim=0)
    x = torch.rand(1, 2, 70, 130, dtype=torch.float64)
    y = resample_antialiased(x, torch.eye(3, dtype=torch.float64)[None])
    torch.testing.assert_close(y, x, atol=1e-6, rtol=0)


def test_sampling_grid_mirrors_only_outside_the_margin():
    from kornia_diffaug.functional.ada.resample import _sampling_grid, reflect_coordinates

    g = torch.Generator().manual_seed(3)
    h, w, q = 9, 12, 3
    m_inv = torch.eye(3, dtype=torch.float64).repeat(5, 1, 1)
    m_inv[:, :2, :] += torch.randn(5, 2, 3, generator=g, dtype=torch.float64) * torch.tensor([0.5, 0.5, 8.0])
    xs = torch.arange(-5, 2 * w + 5, dtype=torch.float64) / 2 - 0.25
    ys = torch.arange(-5, 2 * h + 5, dtype=torch.float64) / 2 - 0.25
    grid = _sampling_grid(m_inv, xs, ys, (h, w), q)
    a = m_inv[:, :2, :, None, None]  # (B, 2, 3, 1, 1)
    src = a[:, :, 0] * xs.view(1, 1, 1, -1) + a[:, :, 1] * ys.view(1, 1, -1, 1) + a[:, :, 2]  # (B, 2, Hs, Ws)
    for axis, n in ((0, w), (1, h)):
        s = src[:, axis]
        outside = (s < -q) | (s > n - 1 + q)
        assert outside.any() and (~outside).any()
        expected = torch.where(outside, reflect_coordinates(s, n), s)
        torch.testing.assert_close(grid[..., axis], (2 * (expected + q) + 1) / (n + 2 * q) - 1)


def test_imgfilter_bank_and_power_normalisation():
    bank = imgfilter_bank(torch.float64)
    delta = torch.zeros(bank.shape[1], dtype=torch.float64)
    delta[bank.shape[1] // 2] = 1
    torch.testing.assert_close(bank.sum(0), delta)  # unit gains: the identity filter
    t = torch.exp2(torch.randn(7, 4, dtype=torch.float64))
    e = torch.tensor([10, 1, 1, 1], dtype=torch.float64) / 13
    g = torch.ones(7, 4, dtype=torch.float64)
    for i in range(4):  # the paper's band-by-band loop
        ti = torch.ones(7, 4, dtype=torch.float64)
        ti[:, i] = t[:, i]
        g = g * ti / (e * ti.square()).sum(1, keepdim=True).sqrt()
    torch.testing.assert_close(imgfilter_gains(t), g)
    x = torch.rand(2, 3, 9, 9, dtype=torch.float64)
    torch.testing.assert_close(ada_augment(x, {"imgfilter": torch.full((2, 4), 1.0 + 1e-12)}), x)


def test_one_resampling_is_sharper_than_two():
    torch.manual_seed(0)
    x = torch.nn.functional.avg_pool2d(torch.rand(4, 3, 64, 64, dtype=torch.float64), 3, 1, 1)
    angle = torch.full((4,), 0.3, dtype=torch.float64)
    _, r = geometry_matrices({"rotate_pre": angle}, (64, 64), torch.float64)
    _, r_back = geometry_matrices({"rotate_pre": -angle}, (64, 64), torch.float64)
    _, half = geometry_matrices({"rotate_pre": angle / 2}, (64, 64), torch.float64)
    once = ada_resample(ada_resample(x, r), r_back)
    twice = ada_resample(ada_resample(ada_resample(x, half), half), r_back)
    c = (slice(None), slice(None), slice(16, 48), slice(16, 48))
    assert (once - x)[c].square().mean() < (twice - x)[c].square().mean()


def test_axis_op_banded_backward_matches_dense():
    from kornia_diffaug.functional.ada.resample import _axis_operators, lowpass_filter

    key = tuple(lowpass_filter(torch.float64).tolist())
    for op in _axis_operators(300, key, torch.float64, "cpu"):
        assert op.dense is None and op.adjoint is not None
        n_in = op.n_in
        dense = op.apply_(torch.eye(n_in, dtype=torch.float64))
        x = torch.rand(2, 5, n_in, dtype=torch.float64, requires_grad=True)
        g = torch.randn(2, 5, dense.shape[1], dtype=torch.float64)
        (gx,) = torch.autograd.grad(op(x), x, g)
        torch.testing.assert_close(op(x), x @ dense)
        torch.testing.assert_close(gx, g @ dense.T)
        xr = torch.rand(2, n_in, 7, dtype=torch.float64, requires_grad=True)  # along rows
        gr = torch.randn(2, dense.shape[1], 7, dtype=torch.float64)
        (gxr,) = torch.autograd.grad(op(xr, -2), xr, gr)
        torch.testing.assert_close(op(xr, -2), dense.T @ xr)
        torch.testing.assert_close(gxr, dense @ gr)


def test_banded_and_dense_resampling_agree(monkeypatch):
    from kornia_diffaug.functional.ada import resample

    g = torch.Generator().manual_seed(4)
    x = torch.rand(2, 2, 100, 97, generator=g, dtype=torch.float64, requires_grad=True)
    prm = {"rotate_pre": torch.tensor([0.3, -2.0], dtype=torch.float64), "scale": torch.tensor([0.7, 1.3])}
    _, m_inv = geometry_matrices(prm, (100, 97), torch.float64)
    w = torch.randn(2, 2, 100, 97, generator=g, dtype=torch.float64)
    results = []
    for banded_min in (96, 10_000):  # banded operators (axes >= 96 on CPU), then dense products only
        monkeypatch.setattr(resample, "_BANDED_MIN", banded_min)
        resample._axis_operators.cache_clear()
        y = resample_antialiased(x, m_inv)
        (gx,) = torch.autograd.grad((y * w).sum(), x)
        results.append((y, gx))
    resample._axis_operators.cache_clear()
    torch.testing.assert_close(results[0][0], results[1][0])
    torch.testing.assert_close(results[0][1], results[1][1])


def test_without_phase_compensation_the_resampler_is_the_papers():
    """Against an independent implementation of the release's steps (batch-wide reflect padding, upfirdn-style
    filters, ``affine_grid``), away from the borders where the two pad differently."""
    from benchmarks.reference_ada import centred, reference_resample

    g = torch.Generator().manual_seed(5)
    h, w = 48, 40
    x = torch.nn.functional.interpolate(torch.rand(4, 3, 12, 10, generator=g, dtype=torch.float64), size=(h, w),
                                        mode="bicubic")  # fmt: skip
    prm = {
        "scale": torch.tensor([1.0, 1.1, 0.9, 1.0], dtype=torch.float64),
        "rotate_pre": torch.tensor([0.0, 0.2, -0.3, 2.5], dtype=torch.float64),
        "aniso": torch.tensor([1.0, 1.0, 1.1, 0.9], dtype=torch.float64),
        "xfrac": torch.tensor([[0.3, -0.6], [0.3, -0.2], [0.0, 0.4], [0.25, 0.0]], dtype=torch.float64),
    }
    _, m_inv = geometry_matrices(prm, (h, w), torch.float64)
    ref = reference_resample(x, centred(m_inv, (h, w)))
    ours = resample_antialiased(x, m_inv, compensate_phase=False)
    # Output pixels whose source lies at least 8 px inside the image (both filters and the bilinear taps).
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    sx = m_inv[:, 0, 0, None, None] * xs + m_inv[:, 0, 1, None, None] * ys + m_inv[:, 0, 2, None, None]
    sy = m_inv[:, 1, 0, None, None] * xs + m_inv[:, 1, 1, None, None] * ys + m_inv[:, 1, 2, None, None]
    inner = (sx >= 8) & (sx <= w - 9) & (sy >= 8) & (sy <= h - 9)
    assert (inner.flatten(1).double().mean(1) > 0.2).all()
    diff = (ours - ref).abs().amax(1)
    assert diff[inner].max() < 1e-9
    # The default moves content exactly by m_inv instead: the same for a pure shift (sample 0), different
    # wherever the linear part is not the identity.
    comp = resample_antialiased(x, m_inv)
    torch.testing.assert_close(comp[0], ours[0], atol=1e-12, rtol=0)
    assert (comp - ref).abs().amax(1)[1:][inner[1:]].max() > 1e-3


def test_resample_antialiased_gradient_and_double_backward():
    """The adjoint of the resampling (what the discriminator's gradient goes through), and its own gradient
    (R1 differentiates it again), checked numerically under rotations, scalings and reflected borders."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 2, 6, 7, generator=g, dtype=torch.float64, requires_grad=True)
    prm = {"scale": torch.tensor([1.3, 0.8], dtype=torch.float64), "rotate_pre": torch.tensor([0.7, -2.1])}
    _, m_inv = geometry_matrices(prm, (6, 7), torch.float64)
    assert torch.autograd.gradcheck(lambda t: resample_antialiased(t, m_inv), (x,), fast_mode=True)
    assert torch.autograd.gradgradcheck(lambda t: resample_antialiased(t, m_inv), (x,), fast_mode=True)
