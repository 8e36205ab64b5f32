"""Exact integer translation and its 3x3 matrix.

Coordinates follow Kornia: ``(x, y)`` at integer pixel centres, ``x`` along the width. A shift of
``(tx, ty)`` moves the content ``tx`` pixels right and ``ty`` pixels down; pixels that enter from
outside are zero (no interpolation, no wrap-around).
"""

from __future__ import annotations

import torch

from .._host import host_reads_free
from .._validate import check_image, check_shifts
from .erase import RECTANGLE_LOOP_MIN, Rect, fill_rectangles_

__all__ = ["entering_column_slices", "entering_columns", "integer_translate", "shift_canvas", "shift_index",
           "shift_pads", "shifted_rows", "translation_matrix", "zero_entering_"]


def shift_index(tx: torch.Tensor, ty: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat source index ``(B, 1, H*W)`` and validity mask ``(B, 1, H, W)`` of the zero-fill shift ``(tx, ty)``."""
    dev = tx.device
    ys = torch.arange(h, device=dev).view(1, h, 1) - ty.view(-1, 1, 1)
    xs = torch.arange(w, device=dev).view(1, 1, w) - tx.view(-1, 1, 1)
    valid = ((ys >= 0) & (ys < h)) & ((xs >= 0) & (xs < w))
    flat = ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)
    return flat.reshape(-1, 1, h * w), valid.unsqueeze(1)


def shift_pads(tx: torch.Tensor, ty: torch.Tensor, size: tuple[int, int]) -> tuple[int, int]:
    """Zero border ``(pad_y, pad_x)`` in pixels a :func:`shift_canvas` needs for the shifts ``(tx, ty)``:
    the largest ``|ty|`` and ``|tx|``, capped at the side (a larger shift gives zeros as well). Reads the
    shifts on the host: callers check :func:`~kornia_diffaug._host.host_reads_free` first."""
    h, w = size
    if tx.numel() == 0:
        return 0, 0
    return min(int(ty.abs().max()), h), min(int(tx.abs().max()), w)


def shift_canvas(
    shape: torch.Size, pads: tuple[int, int], dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """A flat ``(B, C, (H + 2 pad_y) W + 2 pad_x)`` buffer and the ``(B, C, H, W)`` view of its interior: ``pad_y``
    zero rows above and below the image and ``pad_x`` zeros at both ends (the rest is left uninitialised). Write
    an image into the interior, then read it shifted with :func:`shifted_rows`."""
    b, c, h, w = shape
    py, px = pads
    head = px + py * w  # zeros before the interior
    canvas = torch.empty(b, c, 2 * head + h * w, dtype=dtype, device=device)
    if head:
        canvas[:, :, :head].zero_()
        canvas[:, :, head + h * w:].zero_()
    return canvas, canvas[:, :, head:head + h * w].view(b, c, h, w)


def shifted_rows(
    canvas: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor, pads: tuple[int, int], size: tuple[int, int]
) -> torch.Tensor:
    """``y[b, :, v, u] = z[b, :, v - ty_b, u - tx_b]`` for ``z`` the interior of a :func:`shift_canvas`, on every
    column ``u`` with ``0 <= u - tx_b < W``; rows from outside are zero. The ``|tx_b|`` columns that enter from
    outside (:func:`entering_columns`) hold the neighbouring row's pixels instead: the caller sets them.

    Each output image is one contiguous run of the flat canvas, ``H W`` values from offset
    ``pad_x + (pad_y - ty) W - tx``, picked by advanced indexing on the window view: one copy with long
    contiguous rows, no per-pixel index. Shifts are capped at the pads (``|tx| <= pad_x``, ``|ty| <= pad_y``)."""
    py, px = pads
    h, w = size
    b, c, _ = canvas.shape
    start = px + (py - ty.clamp(-py, py)) * w - tx.clamp(-px, px)
    return canvas.unfold(2, h * w, 1)[torch.arange(b, device=canvas.device), :, start].view(b, c, h, w)


def entering_columns(tx: torch.Tensor, width: int) -> torch.Tensor:
    """``(B, 1, 1, W)`` bool: the columns ``u`` a shift ``tx`` brings in from outside (``u - tx`` off the image)."""
    src = torch.arange(width, device=tx.device) - tx.view(-1, 1, 1, 1)
    return (src < 0) | (src >= width)


def entering_column_slices(tx: torch.Tensor, size: tuple[int, int]) -> list[Rect]:
    """The :func:`entering_columns` as :func:`~kornia_diffaug.functional.erase.rectangle_slices` (one full-height
    strip per shifted sample). Reads ``tx`` on the host: callers check ``host_reads_free`` first."""
    h, w = size
    strips = []
    for b, t in enumerate(tx.tolist()):
        if t > 0:
            strips.append((b, 0, h, 0, min(t, w)))
        elif t < 0:
            strips.append((b, 0, h, max(w + t, 0), w))
    return strips


def zero_entering_(y: torch.Tensor, tx: torch.Tensor) -> torch.Tensor:
    """Zero the columns of ``y`` (a :func:`shifted_rows` result) that the shift ``tx`` brings in, in place; on the
    CPU with large images one slice fill per sample, else one masked pass."""
    size = (y.shape[-2], y.shape[-1])
    if host_reads_free(y) and y.shape[1] * size[0] * size[1] >= RECTANGLE_LOOP_MIN:
        return fill_rectangles_(y, entering_column_slices(tx, size), 0.0)
    return torch.where(entering_columns(tx, size[1]), y.new_zeros(()), y, out=y)


def _translate(x: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    if host_reads_free(x):
        pads = shift_pads(tx, ty, (h, w))
        canvas, interior = shift_canvas(x.shape, pads, x.dtype, x.device)
        interior.copy_(x)
        return zero_entering_(shifted_rows(canvas, tx, ty, pads, (h, w)), tx)
    index, valid = shift_index(tx, ty, h, w)
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
