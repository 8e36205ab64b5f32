"""Albumentations-compatible ``CoarseDropout``: a random number of random-size rectangles per sample."""

from __future__ import annotations

import torch

from ..functional.erase import cutout
from ._registry import register_op
from .compat_base import CompatIntensity, pair

__all__ = ["AlbuCoarseDropout"]


@register_op(identity={"p": 0.0}, example={"num_holes_range": (1, 3), "hole_height_range": (0.1, 0.3),
                                            "hole_width_range": (0.1, 0.3)})
class AlbuCoarseDropout(CompatIntensity):
    """``CoarseDropout``: ``n ~ randint[num_holes_range]`` holes; each hole's height is ``int(H * U(range))``
    for fractional ranges (high < 1) or ``randint[range]`` pixels otherwise (width alike); its top-left corner is
    ``randint[0, H - h]`` x ``randint[0, W - w]``. Holes take ``fill`` (in [0, 1]); masks take ``fill_mask``
    when given, else pass through."""

    def __init__(self, num_holes_range=(1, 2), hole_height_range=(0.1, 0.2), hole_width_range=(0.1, 0.2), fill=0.0,
                 fill_mask=None, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lo, hi = pair("num_holes_range", num_holes_range, 0)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_holes_range must hold integers, got {num_holes_range!r}")
        for name, v in (("fill", fill), ("fill_mask", fill_mask)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise TypeError(f"{name} must be a number, got {v!r}")
        super().__init__(p, same_on_batch, keepdim, generator, num_holes_range=(int(lo), int(hi)),
                         hole_height_range=pair("hole_height_range", hole_height_range, 0),
                         hole_width_range=pair("hole_width_range", hole_width_range, 0), fill=float(fill),
                         fill_mask=None if fill_mask is None else float(fill_mask))

    def _sides(self, n, k, side, rng, gen, dev):
        lo, hi = rng
        if hi >= 1:
            hi_i = min(int(hi), side)
            return torch.floor(torch.rand(n, k, generator=gen, device=dev) * (hi_i - int(lo) + 1)) + int(lo)
        return torch.floor(side * (torch.rand(n, k, generator=gen, device=dev) * (hi - lo) + lo))

    def sample(self, n, size, generator, device):
        h, w = size
        lo, hi = self._cfg["num_holes_range"]
        k = max(hi, 1)
        count = torch.randint(lo, hi + 1, (n, 1), generator=generator, device=device)
        hh = self._sides(n, k, h, self._cfg["hole_height_range"], generator, device)
        ww = self._sides(n, k, w, self._cfg["hole_width_range"], generator, device)
        top = torch.floor(torch.rand(n, k, generator=generator, device=device) * (h - hh + 1))
        left = torch.floor(torch.rand(n, k, generator=generator, device=device) * (w - ww + 1))
        on = (torch.arange(k, device=device).view(1, -1) < count).to(hh.dtype)
        return {"top": top.long(), "left": left.long(), "height": (hh * on).long(), "width": (ww * on).long()}

    def _boxes(self, params):
        return params["top"], params["left"], params["height"], params["width"]

    def apply_transform(self, input, params, flags, transform=None):
        return cutout(input, *self._boxes(params), fill=self._cfg["fill"])

    def apply_transform_mask(self, input, params, flags, transform=None):
        if self._cfg["fill_mask"] is None:
            return input
        return cutout(input, *self._boxes(params), fill=self._cfg["fill_mask"])
