"""DiffAugment's exact integer translation as a Kornia geometric augmentation."""

from __future__ import annotations

from typing import Any

import torch
from kornia.augmentation import GeometricAugmentationBase2D

from .. import functional as F
from .._validate import check_ratio
from ..functional.sampling import translate_shifts
from ._base import SeededOpMixin
from ._registry import register_op

__all__ = ["RandomIntegerTranslate"]


@register_op(identity={"ratio": 1e-3}, geometric=True)
class RandomIntegerTranslate(SeededOpMixin, GeometricAugmentationBase2D):
    """Shift each image by whole pixels with zero fill, ``y[v, u] = x[v - ty, u - tx]``.

    ``tx ~ randint[-s_w, s_w]``, ``ty ~ randint[-s_h, s_h]`` with ``s = int(side * ratio + 0.5)`` pixels,
    as in DiffAugment. No interpolation: masks, keypoints and boxes move by exactly the same integers
    (the 3x3 matrix is exposed as ``transform_matrix``), and ``inverse`` undoes the shift.

    Args:
        ratio: largest shift as a fraction of the side, in ``(0, 1]`` (DiffAugment: 0.125).
        p, same_on_batch, keepdim, generator: as for every kornia-diffaug op.
    """

    def __init__(self, ratio=0.125, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._init_common(p, generator)
        self.ratio = check_ratio("ratio", ratio)

    def sample(self, n, size, generator, device):
        tx, ty = translate_shifts(n, size, self.ratio, generator, device)
        return {"shift_x": tx, "shift_y": ty}

    def config(self) -> dict[str, Any]:
        return {"ratio": self.ratio, **super().config()}

    def compute_transformation(self, input, params, flags):
        dev = input.device
        return F.translation_matrix(params["shift_x"].to(dev), params["shift_y"].to(dev), dtype=input.dtype)

    def apply_transform(self, input, params, flags, transform=None):
        return F.integer_translate(input, params["shift_x"], params["shift_y"])

    def inverse_transform(self, input, flags, transform=None, size=None):
        # Kornia passes the already-inverted matrix (see compute_inverse_transformation).
        if transform is None:
            raise ValueError("inverse of RandomIntegerTranslate needs the inverse transform matrix")
        shift = transform[:, :2, 2].to(input.device)
        return F.integer_translate(input, shift[:, 0], shift[:, 1])

    def apply_transform_mask(self, input, params, flags, transform=None):
        # Integer shifts are exact: masks move with the pixels whatever their dtype.
        return F.integer_translate(input, params["shift_x"], params["shift_y"])

    def compute_inverse_transformation(self, transform: torch.Tensor) -> torch.Tensor:
        inv = transform.clone()
        inv[:, :2, 2] = -transform[:, :2, 2]
        return inv
