"""Cutout (DeVries & Taylor, 2017; DiffAugment's variant) as a Kornia intensity augmentation."""

from __future__ import annotations

from typing import Any

from kornia.augmentation import IntensityAugmentationBase2D

from .. import functional as F
from .._validate import check_int, check_number, check_ratio
from ..functional.sampling import cutout_boxes
from ._base import SeededOpMixin
from ._registry import register_op

__all__ = ["RandomCutout"]


@register_op(identity={"ratio": 1e-3}, example={"num_holes": 3, "fill": 0.5})
class RandomCutout(SeededOpMixin, IntensityAugmentationBase2D):
    """Fill ``num_holes`` rectangles per sample with ``fill``.

    Each hole is ``int(H * ratio + 0.5) x int(W * ratio + 0.5)`` pixels, its centre ``c`` uniform over
    ``randint(0, side + 1 - size % 2)`` as in DiffAugment, so a hole may be clipped at the border.
    Masks are erased with 0 (as Kornia's ``RandomErasing`` does); boxes and keypoints pass through.

    Compared with Kornia's ``RandomErasing``: that op draws an area ``scale`` and aspect ``ratio`` per sample
    and keeps the rectangle inside the image; this one has a fixed size relative to the image, allows the
    rectangle to straddle the border, and can cut several holes.

    Args:
        ratio: hole side as a fraction of the image side, in ``(0, 1]`` (DiffAugment: 0.5).
        num_holes: holes per sample (>= 1); holes may overlap.
        fill: value written into the holes, in the image's unit (0 is mid-grey on [-1, 1] images).
        p, same_on_batch, keepdim, generator: as for every kornia-diffaug op.
    """

    def __init__(
        self,
        ratio=0.5,
        p=1.0,
        same_on_batch=False,
        keepdim=False,
        generator=None,
        num_holes: int = 1,
        fill: float = 0.0,
    ):
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._init_common(p, generator)
        self.ratio = check_ratio("ratio", ratio)
        self.num_holes = check_int("num_holes", num_holes, lower=1)
        self.fill = check_number("fill", fill)

    def sample(self, n, size, generator, device):
        return cutout_boxes(n, size, self.ratio, generator, device, holes=self.num_holes)

    def config(self) -> dict[str, Any]:
        return {"ratio": self.ratio, "num_holes": self.num_holes, "fill": self.fill, **super().config()}

    def _boxes(self, params):
        return params["top"], params["left"], params["height"], params["width"]

    def apply_transform(self, input, params, flags, transform=None):
        return F.cutout(input, *self._boxes(params), fill=self.fill)

    def apply_transform_mask(self, input, params, flags, transform=None):
        return F.cutout(input, *self._boxes(params), fill=0.0)


