"""Crop boxes Albumentations draws from a size range or from the data: ``RandomSizedCrop``,
``CropNonEmptyMaskIfExists`` (a crop around a random non-empty mask pixel) and ``RandomSizedBBoxSafeCrop`` (a
crop holding every box). Boxes are ``(x0, y0, x1, y1)`` (B, 4) float64 pixel edges, for
:func:`~kornia_diffaug.functional.albu.crop.crop_resize_matrix`. Pure functions; the uniforms are parameters.
"""

from __future__ import annotations

import torch

from .crop import crop_origin

__all__ = ["bbox_safe_crop_box", "mask_crop_box", "sized_crop_box"]


def sized_crop_box(crop_h: torch.Tensor, w2h_ratio: float, u_origin: torch.Tensor,
                   size: tuple[int, int]) -> torch.Tensor:
    """``RandomSizedCrop``: a crop of height ``crop_h`` (B,) and width ``int(crop_h * w2h_ratio)``, both clipped
    to the image ``size = (H, W)``, placed by :func:`crop_origin` with ``u_origin`` (B, 2) uniform on [0, 1)."""
    h, w = size
    ch = crop_h.to(torch.float64).clamp(max=h)
    cw = torch.floor(crop_h.to(torch.float64) * w2h_ratio).clamp(max=w)
    x0, y0 = crop_origin(u_origin, size, (ch, cw))
    return torch.stack([x0, y0, x0 + cw, y0 + ch], 1)


def mask_crop_box(nonzero: torch.Tensor, u_pick: torch.Tensor, offset: torch.Tensor, u_free: torch.Tensor,
                  crop: tuple[int, int]) -> torch.Tensor:
    """``CropNonEmptyMaskIfExists``: the ``crop = (h, w)`` box around a non-empty pixel of a mask.

    ``nonzero`` (B, H, W) bool marks the non-empty pixels. Where a sample has ``n > 0`` of them, its pixel
    ``(y, x)`` is the ``floor(u_pick n)``-th in row-major order (``u_pick`` (B,) uniform on [0, 1)), and
    ``x0 = clip(x - offset_x, 0, W - w)``, ``y0 = clip(y - offset_y, 0, H - h)`` with ``offset`` (B, 2) integers
    in ``[0, w - 1] x [0, h - 1]``; where it has none, ``x0 = u_free_x``, ``y0 = u_free_y`` (``u_free`` (B, 2)
    integers in ``[0, W - w] x [0, H - h]``, Albumentations' random crop).
    """
    b, hh, ww = nonzero.shape
    ch, cw = crop
    flat = nonzero.reshape(b, -1)
    counts = torch.cumsum(flat.to(torch.int64), 1)
    n = counts[:, -1] if flat.shape[1] else torch.zeros(b, dtype=torch.int64, device=flat.device)
    k = torch.floor(u_pick.to(torch.float64).to(flat.device) * n).to(torch.int64).clamp(max=(n - 1).clamp_min(0))
    idx = torch.searchsorted(counts, (k + 1).unsqueeze(1)).squeeze(1).clamp(max=max(flat.shape[1] - 1, 0))
    y, x = (idx // ww).to(torch.float64), (idx % ww).to(torch.float64)
    off = offset.to(device=flat.device, dtype=torch.float64)
    free = u_free.to(device=flat.device, dtype=torch.float64)
    x0 = torch.where(n > 0, (x - off[:, 0]).clamp(0, ww - cw), free[:, 0])
    y0 = torch.where(n > 0, (y - off[:, 1]).clamp(0, hh - ch), free[:, 1])
    return torch.stack([x0, y0, x0 + cw, y0 + ch], 1)


def bbox_safe_crop_box(boxes: torch.Tensor, valid: torch.Tensor, erosion_rate: float, u: torch.Tensor,
                       crop_h: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``RandomSizedBBoxSafeCrop`` / ``BBoxSafeRandomCrop``: a crop box holding the union of the ``valid``
    (B, N) boxes (B, N, 4) pixel edges, in an ``(H, W)`` image.

    The union of a sample's boxes, each side eroded by ``erosion_rate / 2`` of its size (not with a single box,
    as Albumentations does), in normalised coordinates clipped to [0, 1], gives
    ``x0 = int(ux0 u_0 W)``, ``y0 = int(uy0 u_1 H)``, ``x1 = int((ux1 + (1 - ux1) u_2) W)``,
    ``y1 = int((uy1 + (1 - uy1) u_3) H)``, ``u`` (B, 4) uniform on [0, 1). A sample without boxes (or whose
    eroded union has no area, or ``erosion_rate = 1``) takes a crop of height ``crop_h`` (B,) (``H`` or a
    ``randint[int(H (1 - erosion_rate)), H]``), width ``max(1, int(crop_h W / H))``, placed by :func:`crop_origin` with
    ``u[:, :2]``.
    """
    h, w = size
    if boxes.shape[1] == 0:  # no boxes at all: one padding box keeps the reductions defined
        boxes, valid = boxes.new_zeros(boxes.shape[0], 1, 4), valid.new_zeros(valid.shape[0], 1)
    bx = boxes.to(torch.float64) / torch.tensor([w, h, w, h], dtype=torch.float64, device=boxes.device)
    valid = valid.to(boxes.device)
    big = torch.tensor(float("inf"), dtype=torch.float64, device=boxes.device)
    lo = torch.where(valid.unsqueeze(-1), bx[..., :2], big).amin(1)
    hi = torch.where(valid.unsqueeze(-1), bx[..., 2:], -big).amax(1)
    count = valid.sum(1)
    e = (hi - lo) * (erosion_rate * 0.5)
    many = (count > 1).unsqueeze(-1)
    lo, hi = torch.where(many, lo + e, lo), torch.where(many, hi - e, hi)
    has = (count > 0) & ((hi - lo).abs() >= 1e-6).all(-1) & (erosion_rate != 1)
    lo = torch.where(has.unsqueeze(-1), lo, torch.zeros_like(lo)).clamp(0, 1)
    hi = torch.maximum(torch.where(has.unsqueeze(-1), hi, torch.ones_like(hi)).clamp(max=1), lo)
    u = u.to(device=boxes.device, dtype=torch.float64)
    x0 = torch.floor(lo[:, 0] * u[:, 0] * w)
    y0 = torch.floor(lo[:, 1] * u[:, 1] * h)
    x1 = torch.floor((hi[:, 0] + (1 - hi[:, 0]) * u[:, 2]) * w)
    y1 = torch.floor((hi[:, 1] + (1 - hi[:, 1]) * u[:, 3]) * h)
    ch = crop_h.to(device=boxes.device, dtype=torch.float64).clamp(max=h)
    cw = torch.floor(ch * w / h).clamp(1, w)  # at least 1 pixel (Albumentations raises on a width of 0)
    fx, fy = crop_origin(u[:, :2], size, (ch, cw))
    return torch.stack([torch.where(has, x0, fx), torch.where(has, y0, fy), torch.where(has, x1, fx + cw),
                        torch.where(has, y1, fy + ch)], 1)
