"""Rectangle erasing (Cutout). Pure function of the image and explicit rectangles."""

from __future__ import annotations

import torch

from .._host import host_reads_free
from .._validate import check_image

__all__ = ["RECTANGLE_LOOP_MIN", "cutout", "fill_rectangles_", "rectangle_mask", "rectangle_slices"]

#: Image size ``C H W`` from which, on the CPU, one slice fill per rectangle (a few microseconds each) beats
#: building a whole-batch mask and a masked pass over every pixel (measured at 32-256 px: crossover ~4k).
RECTANGLE_LOOP_MIN = 4096

Rect = tuple[int, int, int, int, int]  # (sample, row0, row1, col0, col1), clipped, non-empty


def rectangle_mask(
    top: torch.Tensor, left: torch.Tensor, height: torch.Tensor, width: torch.Tensor, size: tuple[int, int]
) -> torch.Tensor:
    """Boolean ``(B, 1, H, W)`` mask, true inside any of the rectangles of each sample.

    Args:
        top, left: ``(B,)`` or ``(B, K)`` integer pixel coordinates of each rectangle's top-left corner;
            may lie outside the image (the rectangle is clipped at the border).
        height, width: same shape, rectangle sizes in pixels (``0`` erases nothing).
        size: ``(H, W)`` of the image.
    """
    h, w = size
    if top.ndim == 1:
        top, left, height, width = (t.unsqueeze(1) for t in (top, left, height, width))
    dev = top.device
    rows = torch.arange(h, device=dev).view(1, 1, h)
    cols = torch.arange(w, device=dev).view(1, 1, w)
    in_r = (rows >= top.unsqueeze(-1)) & (rows < (top + height).unsqueeze(-1))  # (B, K, H)
    in_c = (cols >= left.unsqueeze(-1)) & (cols < (left + width).unsqueeze(-1))  # (B, K, W)
    # One rectangle (the DiffAugment default) needs no reduction over K.
    if in_r.shape[1] == 1:
        return (in_r.unsqueeze(-1) & in_c.unsqueeze(-2)).view(-1, 1, h, w)
    hit = torch.einsum("bkh,bkw->bhw", in_r.to(torch.float32), in_c.to(torch.float32)) > 0
    return hit.unsqueeze(1)


def rectangle_slices(
    top: torch.Tensor, left: torch.Tensor, height: torch.Tensor, width: torch.Tensor, size: tuple[int, int]
) -> list[Rect]:
    """The rectangles of :func:`rectangle_mask` as clipped, non-empty ``(sample, row0, row1, col0, col1)`` pixel
    slices. Reads them on the host: callers check :func:`~kornia_diffaug._host.host_reads_free` first."""
    h, w = size
    if top.ndim == 1:
        top, left, height, width = (t.unsqueeze(1) for t in (top, left, height, width))
    rects = []
    for b, row in enumerate(torch.stack((top, left, top + height, left + width), -1).tolist()):
        for t, lf, bt, rt in row:
            r0, r1, c0, c1 = min(max(t, 0), h), min(max(bt, 0), h), min(max(lf, 0), w), min(max(rt, 0), w)
            if r1 > r0 and c1 > c0:
                rects.append((b, r0, r1, c0, c1))
    return rects


def fill_rectangles_(x: torch.Tensor, rects: list[Rect], fill: float | torch.Tensor) -> torch.Tensor:
    """In place: ``x[b, :, r0:r1, c0:c1] = fill`` for each slice of :func:`rectangle_slices`; returns ``x``.
    ``fill``: a scalar, a 0-d tensor or a ``(C,)`` tensor (one value per channel)."""
    if isinstance(fill, torch.Tensor) and fill.ndim == 1:
        per_channel = fill.to(x.dtype).view(-1, 1, 1)
        for b, r0, r1, c0, c1 in rects:
            x[b, :, r0:r1, c0:c1] = per_channel
    else:
        for b, r0, r1, c0, c1 in rects:
            x[b, :, r0:r1, c0:c1] = fill
    return x


def cutout(
    x: torch.Tensor,
    top: torch.Tensor,
    left: torch.Tensor,
    height: torch.Tensor,
    width: torch.Tensor,
    fill: float | torch.Tensor = 0.0,
) -> torch.Tensor:
    """Set the pixels of each sample inside its rectangle(s) to ``fill``: ``y = x * (1 - M) + fill * M``.

    Args:
        x: images ``(B, C, H, W)``.
        top, left, height, width: ``(B,)`` (one hole) or ``(B, K)`` (``K`` holes per sample), integer pixels,
            see :func:`rectangle_mask`. Rectangles are clipped at the border.
        fill: value written into the holes, in the image's value unit; a scalar or a ``(C,)`` tensor.

    The gradient w.r.t. ``x`` is zero inside the holes and one elsewhere.
    """
    check_image(x)
    b = x.shape[0]
    for name, t in (("top", top), ("left", left), ("height", height), ("width", width)):
        if not isinstance(t, torch.Tensor) or t.ndim not in (1, 2) or t.shape[0] != b:
            raise ValueError(f"{name} must be a tensor of shape ({b},) or ({b}, K), got {getattr(t, 'shape', t)}")
    dev = x.device
    boxes = (top.to(dev), left.to(dev), height.to(dev), width.to(dev))
    fill_t = torch.as_tensor(fill, dtype=x.dtype, device=dev)
    if host_reads_free(x) and x.shape[1] * x.shape[2] * x.shape[3] >= RECTANGLE_LOOP_MIN:
        return fill_rectangles_(x.clone(), rectangle_slices(*boxes, (x.shape[2], x.shape[3])), fill_t)
    mask = rectangle_mask(*boxes, (x.shape[2], x.shape[3]))
    if fill_t.ndim == 1:
        fill_t = fill_t.view(1, -1, 1, 1)
    return torch.where(mask, fill_t, x)
