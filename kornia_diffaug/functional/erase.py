"""Rectangle erasing (Cutout). Pure function of the image and explicit rectangles."""

from __future__ import annotations

import torch

from .._validate import check_image

__all__ = ["cutout", "rectangle_mask"]


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
    mask = rectangle_mask(top.to(dev), left.to(dev), height.to(dev), width.to(dev), (x.shape[2], x.shape[3]))
    fill_t = torch.as_tensor(fill, dtype=x.dtype, device=dev)
    if fill_t.ndim == 1:
        fill_t = fill_t.view(1, -1, 1, 1)
    return torch.where(mask, fill_t, x)
