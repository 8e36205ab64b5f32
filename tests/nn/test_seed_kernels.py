"""Kernels behind the seed methods (sub-pixel translation, relaxed gates, straight-through boxes) and the
Cutout variants (several holes, a fill value) checked against Kornia's RandomErasing semantics."""

from __future__ import annotations

import kornia.augmentation as K
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import kornia_diffaug as kd
from kornia_diffaug.functional import integer_translate, rectangle_mask
from kornia_diffaug.functional.geometry_subpixel import subpixel_translate
from kornia_diffaug.functional.relaxed import box_mask, relaxed_bernoulli
from tests._strategies import ATOL, images


@given(x=images(min_b=1, max_b=4, max_side=16), data=st.data())
def test_subpixel_translate_is_exact_for_integer_shifts(x, data):
    b = x.shape[0]
    tx = torch.tensor(data.draw(st.lists(st.integers(-20, 20), min_size=b, max_size=b)), dtype=torch.float32)
    ty = torch.tensor(data.draw(st.lists(st.integers(-20, 20), min_size=b, max_size=b)), dtype=torch.float32)
    assert torch.equal(subpixel_translate(x, tx, ty), integer_translate(x, tx, ty))


@given(x=images(min_b=1, max_b=4, max_side=16), fx=st.floats(0.0, 0.999), n=st.integers(-3, 3))
def test_subpixel_translate_is_the_bilinear_blend_of_neighbours(x, fx, n):
    b = x.shape[0]
    zero = torch.zeros(b)
    t = torch.full((b,), n + fx)
    got = subpixel_translate(x, t, zero)
    want = (1 - fx) * integer_translate(x.double(), torch.full((b,), n), zero) + fx * integer_translate(
        x.double(), torch.full((b,), n + 1), zero
    )
    assert got.dtype == x.dtype
    torch.testing.assert_close(got.double(), want, atol=2 * ATOL[x.dtype] + 1e-6, rtol=0)


def test_subpixel_translate_gradcheck_in_x_and_shifts():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 2, 5, 7, dtype=torch.float64, generator=g, requires_grad=True)
    tx = torch.tensor([0.3, -1.6, 2.45], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor([-0.7, 0.2, 1.1], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(subpixel_translate, (x, tx, ty))
    with pytest.raises(ValueError, match="shift_x"):
        subpixel_translate(x, tx[:2], ty)
    with pytest.raises(TypeError, match="shift_y"):
        subpixel_translate(x, tx, torch.tensor([1, 2, 3]))


def test_relaxed_bernoulli_forward_is_hard_and_gradient_is_positive():
    g = torch.Generator().manual_seed(0)
    u = torch.rand(20000, generator=g)
    p = torch.tensor(0.3, requires_grad=True)
    gate = relaxed_bernoulli(p, u, temperature=0.2)
    assert set(gate.detach().unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(gate.detach(), (u < 0.3).float())
    assert abs(float(gate.detach().mean()) - 0.3) < 0.02
    gate.sum().backward()
    assert p.grad > 0  # raising p opens more gates
    zero = relaxed_bernoulli(torch.tensor(0.0, requires_grad=True), u, 0.1)
    one = relaxed_bernoulli(torch.tensor(1.0, requires_grad=True), u, 0.1)
    assert zero.detach().sum() == 0 and one.detach().sum() == len(u)
    with pytest.raises(ValueError, match="temperature"):
        relaxed_bernoulli(p, u, 0.0)


def test_box_mask_is_the_hard_rectangle_with_soft_gradients():
    cy, cx = torch.tensor([4.0, 0.0]), torch.tensor([5.0, 9.0])
    hh = torch.tensor([2.0, 3.0], requires_grad=True)
    hw = torch.tensor([1.5, 2.0], requires_grad=True)
    m = box_mask(cy, cx, hh, hw, (10, 12))
    want = torch.zeros(2, 1, 10, 12)
    want[0, 0, 3:6, 4:7] = 1  # |v - 4| < 2, |u - 5| < 1.5
    want[1, 0, 0:3, 8:11] = 1  # |v - 0| < 3, |u - 9| < 2
    assert torch.equal(m.detach(), want)
    m.sum().backward()
    assert (hh.grad > 0).all() and (hw.grad > 0).all()


# --- Cutout variants (RandomCutout is the foundation's op; these check its multi-hole and fill options) ---


@given(holes=st.integers(1, 5), fill=st.floats(-1.0, 1.0), ratio=st.floats(0.1, 0.6), seed=st.integers(0, 999))
def test_cutout_holes_and_fill(holes, fill, ratio, seed):
    x = torch.rand(4, 3, 20, 16) + 2.0  # values never equal to the fill
    op = kd.RandomCutout(ratio, num_holes=holes, fill=fill, generator=torch.Generator().manual_seed(seed))
    y = op(x)
    p = op._params
    mask = rectangle_mask(p["top"], p["left"], p["height"], p["width"], (20, 16)).expand_as(x)
    assert torch.equal(y[mask], torch.full_like(y[mask], fill))  # every hole pixel is the fill, in all channels
    assert torch.equal(y[~mask], x[~mask])  # everything else is untouched
    side_h, side_w = int(20 * ratio + 0.5), int(16 * ratio + 0.5)
    erased = mask[:, 0].flatten(1).sum(1)
    assert (erased <= holes * side_h * side_w).all()
    assert p["top"].shape == ((4,) if holes == 1 else (4, holes))


def test_cutout_holes_may_straddle_the_border_unlike_random_erasing():
    # RandomCutout: a fixed-size box whose centre is uniform over the image, so it is often clipped.
    op = kd.RandomCutout(0.5, num_holes=1, fill=0.0, generator=torch.Generator().manual_seed(0))
    y = op(torch.ones(256, 1, 16, 16))
    area = (y == 0).flatten(1).sum(1)
    assert (area < 64).float().mean() > 0.3 and (area == 64).any()
    # Kornia RandomErasing: a random-area box always fully inside the image, filled with ``value``.
    torch.manual_seed(0)
    ke = K.RandomErasing(scale=(0.25, 0.25), ratio=(1.0, 1.0), value=0.0, p=1.0)
    z = ke(torch.ones(64, 1, 16, 16))
    rows, cols = (z == 0).any(3).sum(2), (z == 0).any(2).sum(2)
    area_k = (z == 0).flatten(1).sum(1)
    assert torch.equal(area_k, (rows * cols).flatten())  # one full rectangle per sample
    assert (area_k >= 49).all()  # never clipped: about 0.25 * 256 = 64 pixels, rounding only


def test_cutout_erases_masks_with_zero_like_random_erasing():
    x, mask = torch.rand(2, 3, 16, 16), torch.ones(2, 1, 16, 16)
    op = kd.RandomCutout(0.5, num_holes=3, fill=0.5, generator=torch.Generator().manual_seed(1))
    y, m = K.AugmentationSequential(op, data_keys=["input", "mask"])(x, mask)
    torch.testing.assert_close((y == 0.5).all(1, keepdim=True), m == 0)
    _, mk = K.AugmentationSequential(K.RandomErasing(p=1.0, value=0.5), data_keys=["input", "mask"])(x, mask)
    assert (mk == 0).any() and ((mk == 0) | (mk == 1)).all()
