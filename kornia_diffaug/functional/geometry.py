"""Exact integer translation and its 3x3 matrix.

Coordinates follow Kornia: ``(x, y)`` at integer pixel centres, ``x`` along the width. A shift of
``(tx, ty)`` moves the content ``tx`` pixels right and ``ty`` pixels down; pixels that enter from
outside are zero (no interpolation, no wrap-around).
"""

from __future__ import annotations

import torch

from .._validate import check_image, check_shifts

__all__ = ["integer_translate", "translation_matrix"]


def _shift_index(tx: torch.Tensor, ty: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat source index ``(B, 1, H*W)`` and validity mask ``(B, 1, H, W)`` of a zero-fill shift."""
    dev = tx.device
    ys = torch.arange(h, device=dev).view(1, h, 1) - ty.view(-1, 1, 1)
    xs = torch.arange(w, device=dev).view(1, 1, w) - tx.view(-1, 1, 1)
    valid = ((ys >= 0) & (ys < h)) & ((xs >= 0) & (xs < w))
    flat = ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)
    return flat.reshape(-1, 1, h * w), valid.unsqueeze(1)


def _translate(x: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    index, valid = _shift_index(tx, ty, h, w)
    moved = torch.gather(x.reshape(b, c, h * w), 2, index.expand(b, c, h * w)).view(b, c, h, w)
    return torch.where(valid, moved, x.new_zeros(()))


class _IntegerTranslate(torch.autograd.Function):
    """Zero-fill translation whose adjoint is the translation by the opposite shift.

    Using the adjoint in ``backward`` replaces the scatter-add of ``gather``'s default backward with
    another gather: faster, deterministic, and differentiable again (double backward works).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(tx, ty)
        return _translate(x, tx, ty)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        tx, ty = ctx.saved_tensors
        return _IntegerTranslate.apply(grad.contiguous(), -tx, -ty), None, None


def integer_translate(x: torch.Tensor, shift_x: torch.Tensor, shift_y: torch.Tensor) -> torch.Tensor:
    """Translate each image by an integer number of pixels with zero fill: ``y[v, u] = x[v - ty, u - tx]``.

    Args:
        x: images ``(B, C, H, W)``.
        shift_x: ``tx``, ``(B,)`` integer-valued (any dtype), pixels along the width; positive moves right.
        shift_y: ``ty``, ``(B,)`` integer-valued, pixels along the height; positive moves down.

    Shifts are rounded to the nearest integer; a shift of at least the image size gives zeros.
    The gradient w.r.t. ``x`` is the opposite translation (the exact adjoint).

    Example:
        >>> x = torch.arange(4.0).view(1, 1, 1, 4)
        >>> integer_translate(x, torch.tensor([1]), torch.tensor([0]))
        tensor([[[[0., 0., 1., 2.]]]])
    """
    check_image(x)
    check_shifts(x, shift_x, shift_y)
    tx = shift_x.to(x.device).round().long()
    ty = shift_y.to(x.device).round().long()
    return _IntegerTranslate.apply(x, tx, ty)


def translation_matrix(
    shift_x: torch.Tensor, shift_y: torch.Tensor, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """``(B, 3, 3)`` matrices mapping input pixel coordinates to output ones for the shift ``(tx, ty)``."""
    b = shift_x.shape[0]
    m = torch.eye(3, dtype=dtype, device=shift_x.device).repeat(b, 1, 1)
    m[:, 0, 2] = shift_x.to(dtype).round()
    m[:, 1, 2] = shift_y.to(dtype).round()
    return m
