"""Albumentations' dropout transforms as Kornia ops: ``CoarseDropout`` (random rectangles), ``GridDropout``
(a grid of holes) and ``ChannelDropout``. Fills are in [0, 1] (uint8 fill / 255); mask fills are labels.
Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import torch

from ...functional import albu as FA
from ...functional.erase import cutout, rectangle_mask
from .._registry import register_op
from ._base import AlbuIntensityBase, pair, randint

__all__ = ["AlbuChannelDropout", "AlbuCoarseDropout", "AlbuGridDropout"]


def _fill(v) -> float | tuple[float, ...]:
    """A hole value: a number, or one number per channel (a non-empty sequence) as a tuple."""
    if isinstance(v, (list, tuple)) and v and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in v):
        return tuple(float(t) for t in v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"fill must be a number or a non-empty list of numbers (one per channel), got {v!r}")
    return float(v)


@register_op(identity={"p": 0.0}, example={"num_holes_range": (1, 3), "hole_height_range": (0.1, 0.3),
                                            "hole_width_range": (0.1, 0.3)})
class AlbuCoarseDropout(AlbuIntensityBase):
    """``CoarseDropout``: ``n ~ randint[num_holes_range]`` holes; each hole's height is ``int(H * U(range))``
    for fractional ranges (high < 1) or ``randint[range]`` pixels otherwise (width alike); its top-left corner is
    ``randint[0, H - h]`` x ``randint[0, W - w]``. Holes take ``fill``; masks take ``fill_mask`` when given,
    else pass through.

    Args:
        num_holes_range: ``(low, high)`` integers ``>= 0``, both ends included.
        hole_height_range: ``(low, high)``: fractions of ``H`` in [0, 1) when ``high < 1``, else pixels.
        hole_width_range: ``(low, high)``: fractions of ``W`` in [0, 1) when ``high < 1``, else pixels.
        fill: hole value in [0, 1], or one value per channel (a sequence of ``C`` values).
        fill_mask: mask label for holes, or None to leave masks as they are.
        placement: ``"inside"`` (above: every hole lies in the image) or ``"cutout_1x"`` (1.x's ``Cutout``: a
            centre ``(randint[0, H], randint[0, W])``, the corner ``max(centre - side // 2, 0)``, the hole then
            clipped at the bottom and right border).

    Example:
        >>> op = AlbuCoarseDropout((1, 3), (0.1, 0.2), (0.1, 0.2))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "CoarseDropout"

    def __init__(self, num_holes_range=(1, 2), hole_height_range=(0.1, 0.2), hole_width_range=(0.1, 0.2), fill=0.0,
                 fill_mask=None, p=1.0, same_on_batch=False, keepdim=False, generator=None, placement="inside"):
        if placement not in ("inside", "cutout_1x"):
            raise ValueError(f"placement must be 'inside' or 'cutout_1x', got {placement!r}")
        lo, hi = pair("num_holes_range", num_holes_range, 0)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_holes_range must hold integers, got {num_holes_range!r}")
        if fill_mask is not None and (isinstance(fill_mask, bool) or not isinstance(fill_mask, (int, float))):
            raise TypeError(f"fill_mask must be a number, got {fill_mask!r}")
        super().__init__(p, same_on_batch, keepdim, generator, num_holes_range=(int(lo), int(hi)),
                         hole_height_range=pair("hole_height_range", hole_height_range, 0),
                         hole_width_range=pair("hole_width_range", hole_width_range, 0), fill=_fill(fill),
                         fill_mask=None if fill_mask is None else float(fill_mask), placement=placement)

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
        if self._cfg["placement"] == "cutout_1x":  # the rectangle mask clips what passes the border
            top = (torch.floor(torch.rand(n, k, generator=generator, device=device) * (h + 1)) - hh // 2).clamp(min=0)
            left = (torch.floor(torch.rand(n, k, generator=generator, device=device) * (w + 1)) - ww // 2).clamp(min=0)
        else:
            top = torch.floor(torch.rand(n, k, generator=generator, device=device) * (h - hh + 1))
            left = torch.floor(torch.rand(n, k, generator=generator, device=device) * (w - ww + 1))
        on = (torch.arange(k, device=device).view(1, -1) < count).to(hh.dtype)
        return {"top": top.long(), "left": left.long(), "height": (hh * on).long(), "width": (ww * on).long()}

    def _boxes(self, params):
        return params["top"], params["left"], params["height"], params["width"]

    def hole_mask(self, params, size: tuple[int, int]) -> torch.Tensor:
        """``(B, H, W)`` bool: the pixels inside a hole (what boxes and keypoints are checked against)."""
        return rectangle_mask(*self._boxes(params), size)[:, 0]

    def apply_transform(self, input, params, flags, transform=None):
        fill = self._cfg["fill"]
        if isinstance(fill, tuple):
            if len(fill) != input.shape[1]:
                raise ValueError(f"fill has {len(fill)} values (one per channel) for images of {input.shape[1]} "
                                 "channels")
            fill = torch.tensor(fill, dtype=input.dtype, device=input.device)
        return cutout(input, *self._boxes(params), fill=fill)

    def apply_transform_(self, input, params, flags):
        """The holes written into ``input`` (CPU gated path: the boxes are read on the host), one slice each: the
        same values as :func:`cutout`'s ``where``, without a whole-batch mask and output."""
        fill = self._cfg["fill"]
        if isinstance(fill, tuple):
            if len(fill) != input.shape[1]:
                return self.apply_transform(input, params, flags)  # raises the error
            fill = torch.tensor(fill, dtype=input.dtype, device=input.device).view(-1, 1, 1)
        h, w = input.shape[-2:]
        boxes = [t.view(input.shape[0], -1).tolist() for t in self._boxes(params)]
        for row, tops, lefts, heights, widths in zip(input, *boxes, strict=True):
            for top, left, hh, ww in zip(tops, lefts, heights, widths, strict=True):
                t0, t1, l0, l1 = max(top, 0), min(top + hh, h), max(left, 0), min(left + ww, w)
                if t1 > t0 and l1 > l0:
                    row[:, t0:t1, l0:l1] = fill
        return input

    def apply_transform_mask(self, input, params, flags, transform=None):
        if self._cfg["fill_mask"] is None:
            return input
        return cutout(input, *self._boxes(params), fill=self._cfg["fill_mask"])


@register_op(identity={"p": 0.0}, example={"ratio": 0.4, "unit_size_range": (8, 12)})
class AlbuGridDropout(AlbuIntensityBase):
    """``GridDropout``: a grid of cells (unit ``randint[unit_size_range)`` pixels, or ``holes_number_xy`` cells,
    else ``max(2, side // 10)``), cell sides split as evenly as possible in a random order; each cell holds one
    hole of ``clip(cell * ratio, 1, cell - 1)`` pixels at a random offset (``random_offset``) or at ``shift_xy``.
    Holes take ``fill``; masks take ``fill_mask`` when given, else pass through.

    Args:
        ratio: hole side as a fraction of the cell side, in (0, 1].
        unit_size_range: ``(low, high)`` cell side in pixels, ints ``>= 2`` (high excluded), or None.
        holes_number_xy: ``(x, y)`` numbers of cells, ints ``>= 1``, or None (used when ``unit_size_range`` is
            None).
        shift_xy: ``(x, y)`` hole offset in pixels inside each cell when ``random_offset`` is False.
        random_offset: draw each hole's offset uniformly inside its cell.
        fill: hole value in [0, 1].
        fill_mask: mask label for holes, or None to leave masks as they are.

    Example:
        >>> op = AlbuGridDropout(ratio=0.4, unit_size_range=(8, 12))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GridDropout"

    def __init__(self, ratio=0.5, unit_size_range=None, holes_number_xy=None, shift_xy=(0, 0), random_offset=True,
                 fill=0.0, fill_mask=None, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        if not 0 < float(ratio) <= 1:
            raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
        for name, v in (("fill", fill), ("fill_mask", fill_mask)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise TypeError(f"{name} must be a number, got {v!r}")
        us = None if unit_size_range is None else tuple(int(v) for v in pair("unit_size_range", unit_size_range, 2))
        hn = None if holes_number_xy is None else tuple(int(v) for v in pair("holes_number_xy", holes_number_xy, 1))
        sx, sy = (int(v) for v in shift_xy)
        super().__init__(p, same_on_batch, keepdim, generator, ratio=float(ratio), unit_size_range=us,
                         holes_number_xy=hn, shift_xy=(sx, sy), random_offset=bool(random_offset),
                         fill=float(fill), fill_mask=None if fill_mask is None else float(fill_mask))

    def _splits(self, size, parts, gen):
        base = [size // parts + (1 if i < size % parts else 0) for i in range(parts)]
        return [base[i] for i in torch.randperm(parts, generator=gen).tolist()]

    def sample(self, n, size, generator, device):
        h, w = size
        c = self._cfg
        masks = torch.zeros(n, 1, h, w, dtype=torch.bool)
        for b in range(n):
            if c["holes_number_xy"]:
                rows, cols = c["holes_number_xy"]  # Albumentations passes (x, y) on as (rows, cols)
            else:
                if c["unit_size_range"] is not None:
                    lo, hi = c["unit_size_range"]  # Albumentations refuses hi > min(h, w); we clamp the unit
                    uh = uw = min(int(torch.randint(lo, max(hi, lo + 1), (1,), generator=generator)), h, w)
                else:
                    uh, uw = max(2, h // 10), max(2, w // 10)
                rows, cols = max(1, h // max(uh, 1)), max(1, w // max(uw, 1))
            rs, cs = self._splits(h, rows, generator), self._splits(w, cols, generator)

            def offsets(i, my, mx):
                if c["random_offset"]:
                    return (int(torch.randint(0, my + 1, (1,), generator=generator)),
                            int(torch.randint(0, mx + 1, (1,), generator=generator)))
                return c["shift_xy"][1], c["shift_xy"][0]

            for y0, x0, y1, x1 in FA.grid_dropout_boxes(h, w, rows, cols, c["ratio"], offsets, rs, cs):
                masks[b, 0, y0:y1, x0:x1] = True
        return {"drop": masks.to(device)}

    def hole_mask(self, params, size: tuple[int, int]) -> torch.Tensor:
        """``(B, H, W)`` bool: the pixels inside a hole (what boxes and keypoints are checked against)."""
        return params["drop"][:, 0]

    def apply_transform(self, input, params, flags, transform=None):
        return torch.where(params["drop"].to(input.device), torch.full_like(input, self._cfg["fill"]), input)

    def apply_transform_mask(self, input, params, flags, transform=None):
        if self._cfg["fill_mask"] is None:
            return input
        return torch.where(params["drop"].to(input.device), torch.full_like(input, self._cfg["fill_mask"]), input)


@register_op(identity={"p": 0.0})
class AlbuChannelDropout(AlbuIntensityBase):
    """``ChannelDropout``: set ``k ~ randint[channel_drop_range]`` channels, chosen uniformly, to ``fill`` (at
    most ``C - 1``: an image keeps one channel; Albumentations raises instead).

    Args:
        channel_drop_range: ``(low, high)`` integers ``>= 1``, both ends included.
        fill: value of the dropped channels in [0, 1].

    Example:
        >>> op = AlbuChannelDropout((1, 2))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ChannelDropout"

    def __init__(self, channel_drop_range=(1, 1), fill=0.0, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        lo, hi = pair("channel_drop_range", channel_drop_range, 1)
        if isinstance(fill, bool) or not isinstance(fill, (int, float)):
            raise TypeError(f"fill must be a number, got {fill!r}")
        super().__init__(p, same_on_batch, keepdim, generator, channel_drop_range=(int(lo), int(hi)),
                         fill=float(fill))

    def sample(self, n, size, generator, device):
        lo, hi = self._cfg["channel_drop_range"]
        return {"count": randint(n, lo, hi, generator, device), "rank": torch.rand(n, 8, generator=generator,
                                                                                    device=device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.channel_dropout(input, params["count"], params["rank"], self._cfg["fill"])
