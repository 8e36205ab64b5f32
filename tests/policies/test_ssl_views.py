"""ssl:simclr and ssl:byol: registered two-view policies of Kornia's stock ops."""

from __future__ import annotations

import pytest
import torch
from kornia import augmentation as K

import kornia_diffaug as kd
from kornia_diffaug.policies.ssl import TwoViews


@pytest.mark.parametrize("name", ["ssl:simclr", "ssl:byol"])
@pytest.mark.parametrize("channels", [1, 3])
def test_two_views_keep_shape_range_and_differ(name, channels):
    torch.manual_seed(0)
    views = kd.make_policy(name)
    assert isinstance(views, TwoViews)
    x = torch.rand(8, channels, 20, 24)
    v1, v2 = views(x)
    assert v1.shape == v2.shape == x.shape
    assert v1.min() >= 0 and v1.max() <= 1 and v2.min() >= 0 and v2.max() <= 1
    assert not torch.allclose(v1, v2)  # two independent draws
    assert not torch.allclose(v1, x)


@pytest.mark.parametrize("name", ["ssl:simclr", "ssl:byol"])
def test_fixed_size_resizes_and_exposes_views(name):
    views = kd.make_policy(name, size=(12, 16))
    v1, v2 = views(torch.rand(4, 3, 32, 32))
    assert v1.shape == v2.shape == (4, 3, 12, 16)
    assert isinstance(views.view1, K.AugmentationSequential) and isinstance(views.view2, K.AugmentationSequential)


def test_views_need_a_size_to_be_inspected():
    views = kd.make_policy("ssl:simclr")
    with pytest.raises(RuntimeError, match="views_for"):
        _ = views.view1
    v1, _ = views.views_for((16, 16))
    assert isinstance(v1, K.AugmentationSequential)


def test_simclr_recipe():
    ops = list(kd.make_policy("ssl:simclr", size=32).view1.children())
    crop, flip, jitter, grey, blur = ops
    assert isinstance(crop, K.RandomResizedCrop) and tuple(crop._param_generator.scale) == pytest.approx((0.08, 1.0))
    assert isinstance(flip, K.RandomHorizontalFlip)
    assert isinstance(jitter, K.ColorJitter) and jitter.p == pytest.approx(0.8)
    assert isinstance(grey, K.RandomGrayscale) and grey.p == pytest.approx(0.2)
    assert isinstance(blur, K.RandomGaussianBlur) and blur.p == pytest.approx(0.5)


def test_byol_views_are_asymmetric():
    views = kd.make_policy("ssl:byol", size=32)
    blur1, sol1 = list(views.view1.children())[-2:]
    blur2, sol2 = list(views.view2.children())[-2:]
    assert isinstance(sol1, K.RandomSolarize) and isinstance(sol2, K.RandomSolarize)
    assert (blur1.p, sol1.p) == pytest.approx((1.0, 0.0))
    assert (blur2.p, sol2.p) == pytest.approx((0.1, 0.2))


def test_gradient_reaches_the_input():
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    v1, v2 = kd.make_policy("ssl:simclr")(x)
    (v1.sum() + v2.sum()).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("size, error", [(0, ValueError), ((4, -1), ValueError), ("32", TypeError), (True, TypeError)])
def test_bad_size_raises(size, error):
    with pytest.raises(error, match="size"):
        kd.make_policy("ssl:byol", size=size)


def test_bad_input_shape_raises():
    with pytest.raises(ValueError, match="B, 1 or 3"):
        kd.make_policy("ssl:simclr")(torch.rand(2, 2, 8, 8))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_ssl_blur_is_float32_rounded_once_for_half_images_on_the_cpu(dtype):
    # A 23-tap kernel (10% of 224 px): PyTorch's half-precision CPU convolution is slow and can hang there.
    from kornia_diffaug.ops.filter import RandomGaussianBlur

    blur = RandomGaussianBlur(23, (0.1, 2.0), p=1.0)
    x = torch.rand(2, 3, 64, 48)
    torch.manual_seed(0)
    ref = blur(x)
    torch.manual_seed(0)
    y = blur(x.to(dtype))
    assert y.dtype == dtype
    assert torch.equal(y, blur(x.to(dtype).float(), params=blur._params).to(dtype))
    assert (y.float() - ref).abs().max() <= 2 * torch.finfo(dtype).eps  # one rounding of values in [0, 1]
