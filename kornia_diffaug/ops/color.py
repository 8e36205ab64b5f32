"""DiffAugment's colour ops as Kornia intensity augmentations."""

from __future__ import annotations

from typing import Any

import torch
from kornia.augmentation import IntensityAugmentationBase2D

from .. import functional as F
from .._validate import check_range
from ..functional.sampling import uniform
from ._base import SeededOpMixin
from ._registry import register_op

__all__ = ["RandomBrightnessShift", "RandomSaturationScale", "RandomContrastScale"]


class _UniformScalarOp(SeededOpMixin, IntensityAugmentationBase2D):
    """One ``U(low, high)`` draw per sample, stored as ``params[_key]``, passed to ``_kernel``."""

    _key: str
    _lower: float = float("-inf")

    def __init__(
        self,
        value: tuple[float, float],
        p: float,
        same_on_batch: bool,
        keepdim: bool,
        generator: torch.Generator | None,
    ) -> None:
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._init_common(p, generator)
        setattr(self, self._key, check_range(self._key, value, lower=self._lower))

    def sample(self, n, size, generator, device):
        low, high = getattr(self, self._key)
        return {self._key: uniform(n, low, high, generator, device)}

    def config(self) -> dict[str, Any]:
        return {self._key: tuple(float(v) for v in getattr(self, self._key)), **super().config()}


@register_op(identity={"shift": (0.0, 0.0)})
class RandomBrightnessShift(_UniformScalarOp):
    """Add a per-sample constant: ``y = x + b``, ``b ~ U(shift)``.

    Args:
        shift: ``(low, high)`` of ``b`` in the image's value unit (DiffAugment: ``(-0.5, 0.5)`` on [-1, 1]).
        p: probability of applying the op to each sample.
        same_on_batch: one draw for the whole batch.
        keepdim: keep a ``(C, H, W)`` input's rank.
        generator: ``torch.Generator`` for the draws (default: torch's global RNG).

    Example:
        >>> op = RandomBrightnessShift((-0.25, 0.25), generator=torch.Generator().manual_seed(0))
        >>> op(torch.rand(4, 3, 8, 8)).shape
        torch.Size([4, 3, 8, 8])
    """

    _key = "shift"

    def __init__(self, shift=(-0.5, 0.5), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(shift, p, same_on_batch, keepdim, generator)

    def apply_transform(self, input, params, flags, transform=None):
        return F.brightness_shift(input, params["shift"])


@register_op(identity={"factor": (1.0, 1.0)})
class RandomSaturationScale(_UniformScalarOp):
    """Scale each pixel's deviation from its channel mean: ``y = (x - m_c) * f + m_c``, ``f ~ U(factor)``.

    Range-independent (no clamping). ``factor`` is ``(low, high)`` with ``0 <= low <= high``;
    DiffAugment's default is ``(0, 2)``. Other arguments as :class:`RandomBrightnessShift`.
    """

    _key = "factor"
    _lower = 0.0

    def __init__(self, factor=(0.0, 2.0), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(factor, p, same_on_batch, keepdim, generator)

    def apply_transform(self, input, params, flags, transform=None):
        return F.saturation_scale(input, params["factor"])


@register_op(identity={"factor": (1.0, 1.0)})
class RandomContrastScale(_UniformScalarOp):
    """Scale contrast around the per-image mean: ``y = (x - m) * f + m``, ``f ~ U(factor)``.

    ``factor`` is ``(low, high)`` with ``0 <= low <= high``; DiffAugment's default is ``(0.5, 1.5)``.
    Other arguments as :class:`RandomBrightnessShift`.
    """

    _key = "factor"
    _lower = 0.0

    def __init__(self, factor=(0.5, 1.5), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(factor, p, same_on_batch, keepdim, generator)

    def apply_transform(self, input, params, flags, transform=None):
        return F.contrast_scale(input, params["factor"])
