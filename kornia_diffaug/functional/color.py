"""Colour kernels of DiffAugment. Pure functions of the image and explicit per-sample parameters.

Units: the additive ``shift`` is in the image's own value unit (a shift of 0.5 on [-1, 1] images is a
quarter of the range); the multiplicative factors are unitless and range-independent.
"""

from __future__ import annotations

import torch

from .._validate import check_image
from ._broadcast import per_sample

__all__ = ["brightness_shift", "saturation_scale", "contrast_scale", "diffaugment_color"]


def brightness_shift(x: torch.Tensor, shift: torch.Tensor | float) -> torch.Tensor:
    """Add a per-sample constant: ``y = x + b``.

    Args:
        x: images ``(B, C, H, W)``, any float dtype.
        shift: ``b``, scalar or ``(B,)``, in the image's value unit. Not clamped.

    Example:
        >>> brightness_shift(torch.zeros(2, 3, 4, 4), torch.tensor([0.1, -0.2]))[:, 0, 0, 0]
        tensor([ 0.1000, -0.2000])
    """
    check_image(x)
    return x + per_sample(shift, x, "shift")


def saturation_scale(x: torch.Tensor, factor: torch.Tensor | float) -> torch.Tensor:
    """Scale each pixel's deviation from its channel mean: ``y = (x - m) * f + m``, ``m = mean_c x``.

    Args:
        x: images ``(B, C, H, W)``; ``m`` is the mean over ``C`` at each pixel (so ``C = 1`` is the identity).
        factor: ``f >= 0``, scalar or ``(B,)``; ``f = 0`` gives grey, ``f = 1`` the identity.
    """
    check_image(x)
    m = x.mean(dim=1, keepdim=True)
    return torch.addcmul(m, x - m, per_sample(factor, x, "factor"))


def contrast_scale(x: torch.Tensor, factor: torch.Tensor | float) -> torch.Tensor:
    """Scale the deviation from the per-image mean: ``y = (x - m) * f + m``, ``m = mean_{c,h,w} x``.

    Args:
        x: images ``(B, C, H, W)``.
        factor: ``f >= 0``, scalar or ``(B,)``; ``f = 1`` is the identity.
    """
    check_image(x)
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    return torch.addcmul(m, x - m, per_sample(factor, x, "factor"))


def diffaugment_color(
    x: torch.Tensor,
    shift: torch.Tensor | float,
    saturation: torch.Tensor | float,
    contrast: torch.Tensor | float,
) -> torch.Tensor:
    """Brightness, then saturation, then contrast (DiffAugment's ``color``) in two passes over ``x``.

    Composing the three definitions gives ``y = c s x + c (1 - s) m_c + b + (1 - c) mu`` with ``m_c`` the
    per-pixel channel mean and ``mu`` the per-image mean of ``x`` (the shift ``b`` moves both means by ``b``).
    Equal to ``contrast_scale(saturation_scale(brightness_shift(x, b), s), c)`` up to rounding.

    Args:
        x: images ``(B, C, H, W)``.
        shift: ``b``, scalar or ``(B,)``, image value unit.
        saturation: ``s >= 0``, scalar or ``(B,)``.
        contrast: ``c >= 0``, scalar or ``(B,)``.
    """
    check_image(x)
    b = per_sample(shift, x, "shift")
    s = per_sample(saturation, x, "saturation")
    c = per_sample(contrast, x, "contrast")
    m_c = x.mean(dim=1, keepdim=True)
    mu = m_c.mean(dim=(2, 3), keepdim=True)
    return torch.addcmul(torch.addcmul(b + (1 - c) * mu, c * (1 - s), m_c), c * s, x)
