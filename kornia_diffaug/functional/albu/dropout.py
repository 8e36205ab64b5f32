"""Dropout kernels with Albumentations' semantics: ``ChannelDropout`` and ``GridDropout``'s hole geometry.

(``CoarseDropout`` uses ``functional.erase.cutout``.)
"""

from __future__ import annotations

import torch

from ..._validate import check_image

__all__ = ["channel_dropout", "grid_dropout_boxes"]


def channel_dropout(x: torch.Tensor, count: torch.Tensor, rank: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """Set ``count`` (B,) channels of each image to ``fill``: those whose rank in ``rank`` (B, >= C) uniform
    draws is lowest. At most ``C - 1`` channels are dropped (Albumentations refuses to drop every channel)."""
    check_image(x)
    c = x.shape[1]
    count = count.to(x.device).clamp(max=c - 1).view(-1, 1)
    order = rank[:, :c].to(x.device).argsort(1).argsort(1)  # a random rank per channel
    drop = order < count
    return torch.where(drop[:, :, None, None], torch.full_like(x, fill), x)


def grid_dropout_boxes(h: int, w: int, rows: int, cols: int, ratio: float, offsets, row_sizes, col_sizes):
    """Albumentations ``GridDropout`` hole geometry for one sample: cells of heights ``row_sizes`` (``rows``
    entries) and widths ``col_sizes``; each hole is ``clip(cell * ratio, 1, cell - 1)`` pixels (truncated) and
    starts at the cell origin plus ``offsets(i, max_dy, max_dx) -> (dy, dx)``, clipped into the image.
    Returns a list of ``(y0, x0, y1, x1)``."""
    ys = [0]
    for s in row_sizes:
        ys.append(ys[-1] + int(s))
    xs = [0]
    for s in col_sizes:
        xs.append(xs[-1] + int(s))
    boxes = []
    for i in range(rows):
        for j in range(cols):
            ch, cw = ys[i + 1] - ys[i], xs[j + 1] - xs[j]
            hh = int(min(max(ch * ratio, 1), ch - 1))
            hw = int(min(max(cw * ratio, 1), cw - 1))
            dy, dx = offsets(i * cols + j, ch - hh, cw - hw)
            x0 = min(max(xs[j] + dx, 0), w - hw)
            y0 = min(max(ys[i] + dy, 0), h - hh)
            boxes.append((y0, x0, min(y0 + hh, h), min(x0 + hw, w)))
    return boxes

