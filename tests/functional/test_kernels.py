"""Kernels of kornia_diffaug.functional against their definitions."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from kornia_diffaug import functional as F
from tests._strategies import ATOL, images


@given(images())
def test_brightness_is_per_sample_add(x):
    b = torch.linspace(-0.5, 0.5, x.shape[0], dtype=torch.float64)
    y = F.brightness_shift(x, b)
    assert y.shape == x.shape and y.dtype == x.dtype
    ref = x.double() + b.view(-1, 1, 1, 1)
    torch.testing.assert_close(y.double(), ref, atol=ATOL[x.dtype] * 4, rtol=0)


@given(images(dtypes=[torch.float64]))
def test_saturation_and_contrast_match_formulas(x):
    f = torch.linspace(0.0, 2.0, x.shape[0], dtype=torch.float64)
    m_c = x.mean(1, keepdim=True)
    torch.testing.assert_close(F.saturation_scale(x, f), (x - m_c) * f.view(-1, 1, 1, 1) + m_c)
    m = x.mean((1, 2, 3), keepdim=True)
    torch.testing.assert_close(F.contrast_scale(x, f), (x - m) * f.view(-1, 1, 1, 1) + m)


@given(images(dtypes=[torch.float64]))
def test_unit_factors_are_identity(x):
    torch.testing.assert_close(F.saturation_scale(x, 1.0), x)
    torch.testing.assert_close(F.contrast_scale(x, 1.0), x)
    torch.testing.assert_close(F.brightness_shift(x, 0.0), x)


def _loop_translate(x, tx, ty):
    out = torch.zeros_like(x)
    _, _, h, w = x.shape
    for i in range(x.shape[0]):
        for v in range(h):
            for u in range(w):
                sv, su = v - int(ty[i]), u - int(tx[i])
                if 0 <= sv < h and 0 <= su < w:
                    out[i, :, v, u] = x[i, :, sv, su]
    return out


@given(images(max_b=3, max_side=9), st.data())
def test_integer_translate_matches_pixel_loop(x, data):
    b, _, h, w = x.shape
    tx = torch.tensor(data.draw(st.lists(st.integers(-w - 1, w + 1), min_size=b, max_size=b)), dtype=torch.long)
    ty = torch.tensor(data.draw(st.lists(st.integers(-h - 1, h + 1), min_size=b, max_size=b)), dtype=torch.long)
    y = F.integer_translate(x, tx, ty)
    assert torch.equal(y, _loop_translate(x, tx, ty))


def test_translate_gradient_is_adjoint_and_twice_differentiable():
    x = torch.randn(3, 2, 5, 7, dtype=torch.float64, requires_grad=True)
    tx, ty = torch.tensor([2, -1, 0]), torch.tensor([-3, 0, 1])
    assert torch.autograd.gradcheck(lambda t: F.integer_translate(t, tx, ty), (x,))
    assert torch.autograd.gradgradcheck(lambda t: F.integer_translate(t, tx, ty), (x,))


def test_cutout_matches_reference_mask_and_clipping():
    x = torch.ones(2, 1, 6, 5)
    top, left = torch.tensor([-2, 4]), torch.tensor([3, -1])
    size = torch.tensor([3, 3])
    y = F.cutout(x, top, left, size, size)
    expected0 = torch.ones(6, 5)
    expected0[0:1, 3:5] = 0
    expected1 = torch.ones(6, 5)
    expected1[4:6, 0:2] = 0
    assert torch.equal(y[0, 0], expected0) and torch.equal(y[1, 0], expected1)


def test_cutout_multiple_holes_and_fill():
    x = torch.zeros(1, 3, 8, 8)
    top = torch.tensor([[0, 5]])
    left = torch.tensor([[0, 5]])
    hw = torch.tensor([[2, 2]])
    y = F.cutout(x, top, left, hw, hw, fill=torch.tensor([1.0, 2.0, 3.0]))
    assert y[0, :, :2, :2].flatten().unique().tolist() == [1.0, 2.0, 3.0]
    assert torch.equal(y[0, 2, 5:7, 5:7], torch.full((2, 2), 3.0))
    assert int((y[0, 0] != 0).sum()) == 8


def test_kernels_reject_bad_input():
    with pytest.raises(TypeError, match="floating"):
        F.brightness_shift(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), 0.1)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\).*\(3, 4, 4\)"):
        F.contrast_scale(torch.zeros(3, 4, 4), 1.0)
    with pytest.raises(ValueError, match="shift_x"):
        F.integer_translate(torch.zeros(2, 1, 4, 4), torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="factor"):
        F.saturation_scale(torch.zeros(2, 3, 4, 4), torch.ones(3))


def test_matrix_moves_points_like_pixels():
    tx, ty = torch.tensor([2, -1]), torch.tensor([1, 3])
    m = F.translation_matrix(tx, ty)
    pts = torch.tensor([[1.0, 1.0, 1.0], [4.0, 0.0, 1.0]])
    moved = torch.einsum("bij,bj->bi", m, pts)
    assert moved[:, :2].tolist() == [[3.0, 2.0], [3.0, 3.0]]


def test_hue_rotation_stays_finite_in_half_precision_outside_unit_range():
    """Regression (found by Hypothesis): a pixel with a tiny positive max and a negative min made the
    saturation ``delta / v`` overflow in float16, and ``v * s * 0`` a NaN that the next contrast step's
    image mean spread over the whole sample."""
    from kornia_diffaug.functional.albu.color import _hue_rotate, color_jitter

    x = torch.tensor([1e-7, -0.9, -0.5], dtype=torch.float16).view(1, 3, 1, 1).expand(1, 3, 2, 2).contiguous()
    x[0, :, 1, 1] = torch.tensor([0.2, 0.7, 0.4], dtype=torch.float16)
    assert torch.isfinite(_hue_rotate(x, torch.tensor([0.37])).float()).all()
    factors = torch.tensor([[1.05, 0.96, 1.12, 0.37]])
    y = color_jitter(x, factors, torch.tensor([[0, 3, 1, 2]]))  # brightness, hue, contrast, saturation
    assert torch.isfinite(y.float()).all()
    # In range, the hue rotation is unchanged: a quarter turn of a pure red is chartreuse-green (h 0 -> 1.5).
    red = torch.tensor([1.0, 0.0, 0.0]).view(1, 3, 1, 1)
    torch.testing.assert_close(_hue_rotate(red, torch.tensor([0.25])).flatten(), torch.tensor([0.5, 1.0, 0.0]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_color_jitter_per_image_cpu_path_gives_the_batched_steps_bits(dtype):
    """A few images on the CPU take a per-image path with host factors; a batch of 9 or more takes the batched
    per-slot steps. Same bits, in every order, with inactive ops, grey images and inputs outside [0, 1]."""
    from kornia_diffaug.functional.albu.color import color_jitter

    g = torch.Generator().manual_seed(0)
    for trial in range(30):
        n, c = 1 + trial % 3, (3, 3, 1)[trial % 3]
        x = torch.rand(n, c, 9, 7, generator=g)
        x = (x * 1.4 - 0.2 if trial % 5 == 0 else x).to(dtype)
        f = torch.rand(n, 4, generator=g) * 1.2 + 0.3
        f[:, 3] = torch.rand(n, generator=g) - 0.5
        order = torch.rand(n, 4, generator=g).argsort(1)
        active = tuple(bool(v) for v in torch.rand(4, generator=g) > 0.3)
        few = color_jitter(x, f, order, active)
        batched = color_jitter(x.repeat(9, 1, 1, 1), f.repeat(9, 1), order.repeat(9, 1), active)
        assert torch.equal(few, batched[:n]), (trial, active)


def test_a_same_on_batch_parameter_gives_every_sample_the_same_bits():
    # An expanded (stride-0) per-sample parameter once let the whole batch run as one 1-D pow loop, where the last
    # sample's pixels fell in the scalar tail (1 ulp from the vectorised body): identical inputs, different rows.
    from kornia_diffaug.functional.albu import gamma

    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        x = torch.rand(1, 3, 12, 10, generator=g).expand(6, -1, -1, -1).contiguous()
        y = gamma(x, torch.full((1,), 1.1321).expand(6))
        assert all(torch.equal(y[0], y[i]) for i in range(6))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_long_blurs_by_matrix_products_match_the_shifted_slices(dtype):
    """Kernels of 13+ taps on the CPU without autograd run as banded matrix products (blocks of 32 outputs, the
    last one partial); the same correlation as the shifted-slice sums."""
    from kornia_diffaug.functional.albu.filter import _blur_by_products, _blur_by_slices, gaussian_kernels

    g = torch.Generator().manual_seed(0)
    tol = 1e-6 if dtype == torch.float32 else 1e-13
    for taps, shape in ((13, (1, 3, 70, 45)), (23, (1, 1, 33, 96)), (31, (1, 2, 17, 129)), (23, (1, 3, 224, 224))):
        x = torch.rand(shape, generator=g, dtype=dtype)
        k = gaussian_kernels(torch.rand(1, generator=g) * 3 + 0.5, torch.tensor([taps]), taps).to(dtype)
        got, want = _blur_by_products(x, k, taps // 2), _blur_by_slices(x, k, taps // 2)
        torch.testing.assert_close(got, want, rtol=tol, atol=tol)


def test_blur_taps_below_the_smallest_normal_number_are_flushed():
    """A Gaussian's far taps can be subnormal in float32 (sigma 0.3, 23 taps), and every product with one is
    several times slower on x86: such taps count as 0, so a bright column leaves exact zeros (not 1e-40s)."""
    from kornia_diffaug.functional.albu.filter import _flush_subnormal, gaussian_kernels, separable_blur

    k = gaussian_kernels(torch.tensor([0.3]), torch.tensor([23]), 23).float()
    tiny = torch.finfo(torch.float32).tiny
    sub = (k > 0) & (k < tiny)
    assert sub.any()  # the premise: this kernel has subnormal taps
    flushed = _flush_subnormal(k)
    assert torch.equal(flushed[sub], torch.zeros(int(sub.sum()))) and torch.equal(flushed[~sub], k[~sub])
    x = torch.zeros(1, 1, 30, 40)
    x[..., 20] = 1.0  # each column of the output: one tap of the kernel (the vertical sum is 1)
    for grad in (False, True):  # the products (no autograd) and the slices
        y = separable_blur(x.requires_grad_(grad), k)
        assert not ((y > 0) & (y < tiny)).any()


def test_affine_warp_from_two_part_maps_matches_the_full_maps():
    """On the CPU without autograd through the matrix, an affine warp hands the sampler each source map as two
    small parts (``a u + c`` and ``b v``) summed once over the grid; with a matrix that requires grad it builds
    the full maps. The two agree, for every border mode, interpolation and an output size of its own."""
    from kornia_diffaug.functional.albu.geometry import affine_matrix, warp

    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 37, 45, generator=g)
    m = affine_matrix(torch.randn(3, 2, generator=g) * 4, torch.randn(3, 2, generator=g) * 5,
                      1 + 0.2 * torch.randn(3, 2, generator=g), torch.randn(3, generator=g) * 30, (21.5, 17.5))
    for border in (0, 1, 2, 4):
        for interp in (0, 1, 2):
            parts = warp(x, m, (41, 30), interp, border, 0.25)
            full = warp(x, m.clone().requires_grad_(True), (41, 30), interp, border, 0.25).detach()
            torch.testing.assert_close(parts, full, atol=1e-6, rtol=0)
