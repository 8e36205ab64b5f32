"""The HSV round trip with reused buffers (``functional.albu._hsv_inplace``, taken when autograd does not record)
gives the bits of the differentiable form, and the in-place kernels ``hsv_shift_`` / ``color_jitter_`` the bits
of ``hsv_shift`` / ``color_jitter``, on the inputs where the two could part: greys, channel ties, the bounds,
signed zeros, values outside [0, 1], every dtype."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from kornia_diffaug.functional import albu as FA
from kornia_diffaug.functional.albu import _hsv_inplace as H
from kornia_diffaug.functional.albu import color as C

DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64]


def _images(dtype: torch.dtype, seed: int = 0, outside: bool = False) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(4, 3, 9, 11, generator=g)
    x[0, :, :3] = x[0, :1, :3]  # greys: r = g = b
    x[1, 1, :4] = x[1, 0, :4]  # red-green ties
    x[1, 2, 4:] = x[1, 1, 4:]  # green-blue ties
    x[2, :, 0] = 0.0
    x[2, :, 1] = 1.0
    x[2, 0, 2] = -0.0
    x[3] = torch.round(x[3] * 255) / 255  # uint8 levels
    if outside:
        x = x * 1.6 - 0.3
    return x.to(dtype)


def _recorded(fn, x: torch.Tensor, *args) -> torch.Tensor:
    """``fn`` on a copy of ``x`` that autograd tracks: the differentiable form."""
    xg = x.clone().requires_grad_(True)
    return fn(xg, *args).detach()


def _same(a: torch.Tensor, b: torch.Tensor) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    # Bits, signed zeros and NaNs included.
    assert torch.equal(a.view(-1).view(torch.int16 if a.element_size() == 2 else
                                       {4: torch.int32, 8: torch.int64}[a.element_size()]),
                       b.view(-1).view(torch.int16 if b.element_size() == 2 else
                                       {4: torch.int32, 8: torch.int64}[b.element_size()]))


HSV = (torch.tensor([5.0, -20.0, 90.0, -180.0]), torch.tensor([10.0, -30.0, 0.0, 255.0]),
       torch.tensor([-5.0, 7.0, 0.0, -255.0]))


@pytest.mark.parametrize("outside", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_hsv_shift_same_bits_recorded_or_not_and_in_place(dtype, outside):
    x = _images(dtype, outside=outside)
    ref = _recorded(FA.hsv_shift, x, *HSV)
    _same(FA.hsv_shift(x, *HSV), ref)
    y = x.clone()
    assert FA.hsv_shift_(y, *HSV) is y
    _same(y, ref)


@pytest.mark.parametrize("outside", [False, True])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_color_jitter_same_bits_recorded_or_not_and_in_place(dtype, outside):
    x = _images(dtype, seed=1, outside=outside)
    f = torch.tensor([[1.2, 0.7, 1.3, 0.1], [0.8, 1.1, 0.6, -0.3], [1.0, 1.0, 1.0, 0.45], [0.0, 2.0, 0.0, -0.5]])
    order = torch.stack([torch.randperm(4, generator=torch.Generator().manual_seed(i)) for i in range(4)])
    for active in [(True, True, True, True), (True, False, True, False), (False, False, False, True)]:
        ref = _recorded(FA.color_jitter, x, f, order, active)
        out = FA.color_jitter(x, f, order, active)
        # Values as the recorded form; a -0.0 input may come out +0.0 here, where the recorded form's general
        # saturation (max/min against the input) keeps the input's zero.
        assert torch.equal(out, ref)
        y = x.clone()
        assert FA.color_jitter_(y, f, order, active) is y
        _same(y, out)


def test_in_place_kernels_on_one_channel_and_strided_rows():
    x = _images(torch.float32)
    grey = x[:, :1].contiguous()
    ref = FA.hsv_shift(grey, *HSV)
    _same(FA.hsv_shift_(grey.clone(), *HSV), ref)
    f = torch.tensor([[1.2, 0.7, 1.3, 0.1]]).expand(4, 4)
    order = torch.arange(4).expand(4, 4)
    _same(FA.color_jitter_(grey.clone(), f, order), FA.color_jitter(grey, f, order))
    # Channels-last rows are not one contiguous image each: the kernels copy the result in.
    cl = x.contiguous(memory_format=torch.channels_last)
    _same(FA.hsv_shift_(cl.clone(memory_format=torch.channels_last), *HSV).contiguous(), FA.hsv_shift(x, *HSV))
    _same(FA.color_jitter_(cl.clone(memory_format=torch.channels_last), f, order).contiguous(),
          FA.color_jitter(x, f, order))


def test_the_differentiable_form_still_has_its_gradient():
    x = _images(torch.float64).requires_grad_(True)
    hue = torch.tensor([5.0, -20.0, 90.0, 3.0], dtype=torch.float64, requires_grad=True)
    y = FA.hsv_shift(x, hue, HSV[1].double(), HSV[2].double())
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert hue.grad is not None and hue.grad.abs().sum() > 0


def test_from_hue_chroma_refuses_a_wrong_out():
    h, c, v = torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4)
    with pytest.raises(ValueError, match="out must be"):
        H.from_hue_chroma_(h, c, v, out=torch.empty(2, 1, 4, 4))
    with pytest.raises(ValueError, match="out must be"):
        H.from_hue_chroma_(h, c, v, out=torch.empty(2, 3, 4, 4, dtype=torch.float64))


def test_hue_rotation_into_the_image_itself():
    x = _images(torch.float32)
    turns = torch.tensor([0.1, -0.25, 0.5, 0.0])
    ref = _recorded(C._hue_rotate, x, turns)
    y = x.clone()
    assert C._hue_rotate(y, turns, out=y) is y
    _same(y, ref)


@given(h=st.integers(1, 12), w=st.integers(1, 12), seed=st.integers(0, 2**16),
       dtype=st.sampled_from(DTYPES), hue=st.floats(-180, 180), sat=st.floats(-255, 255), val=st.floats(-255, 255))
def test_hsv_shift_paths_agree_on_any_image(h, w, seed, dtype, hue, sat, val):
    x = torch.rand(2, 3, h, w, generator=torch.Generator().manual_seed(seed)).to(dtype)
    args = (torch.tensor([hue, -hue]), torch.tensor([sat, 0.0]), torch.tensor([val, -val]))
    ref = _recorded(FA.hsv_shift, x, *args)
    _same(FA.hsv_shift(x, *args), ref)
    _same(FA.hsv_shift_(x.clone(), *args), ref)
