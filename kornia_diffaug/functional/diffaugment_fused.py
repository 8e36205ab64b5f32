"""DiffAugment's ``color``, ``translation`` and ``cutout`` (Zhao et al. 2020) fused: a few passes over the image.

Composing the three definitions (each optional, in that order):

    y = where(keep, A x[src] + B m_c[src] + K, fill_or_0),   A = c s,  B = c (1 - s),  K = b + (1 - c) mu,

with ``m_c`` the per-pixel channel mean and ``mu`` the per-image mean of ``x``, ``src = p - t`` the
translation's source pixel, ``keep`` true where ``src`` lies inside the image and outside the cutout, and
``fill`` in the cutout (zero where the translation brought in nothing). Per pixel these are the very float
operations of :func:`~kornia_diffaug.functional.color.diffaugment_color` followed by the exact data movement
of :func:`~kornia_diffaug.functional.geometry.integer_translate` and
:func:`~kornia_diffaug.functional.erase.cutout`, so the result is bit for bit theirs.

Forward: one reduction read of ``x`` (the channel mean), one fused multiply-add and one move. On the CPU the
multiply-add writes into the interior of a zero-bordered flat canvas, the move is one copy of contiguous runs
(:func:`~kornia_diffaug.functional.geometry.shifted_rows`) and one select (or slice fills, for large images) sets
the entering columns and the cutout; elsewhere the move is a gather and a select sets the rest.

The backward is the exact adjoint written out (the masked upstream gradient moved back, a channel sum, one
multiply-add) instead of autograd's scatter-add through the gather; it runs when no magnitude needs a gradient
(learnable magnitudes take the composed path, whose autograd reaches them).
"""

from __future__ import annotations

import torch

from .._host import host_reads_free
from .._validate import check_image, check_shifts
from ._broadcast import per_sample
from .erase import RECTANGLE_LOOP_MIN, fill_rectangles_, rectangle_mask, rectangle_slices
from .geometry import entering_column_slices, entering_columns, shift_canvas, shift_index, shift_pads, shifted_rows

__all__ = ["diffaugment_fused"]

Color = tuple  # (shift b, saturation s, contrast c): scalars or (B,) tensors
Boxes = tuple  # (top, left, height, width): (B,) or (B, K) integer tensors


def _gather(v: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    if index is None:
        return v
    b, c, h, w = v.shape
    return torch.gather(v.reshape(b, c, h * w), 2, index.expand(b, c, h * w)).view(b, c, h, w)


def _plan(x, color, translation, cutout, canvas: bool):
    """Coefficients ``A, B, K`` (``(B, 1, 1, 1)`` or ``None``), the channel mean, the rounded shifts, then how
    to move: the canvas pads and the entering columns (``canvas``) or the gather index and its validity mask;
    last the cutout: a mask ``(B, 1, H, W)``, the list of its
    :func:`~kornia_diffaug.functional.erase.rectangle_slices` (CPU, large images) or ``None``."""
    b, c, h, w = x.shape
    coef = m_c = None
    if color is not None:
        shift, sat, con = (per_sample(v, x, n) for v, n in zip(color, ("shift", "saturation", "contrast"), strict=True))
        m_c = x.mean(dim=1, keepdim=True)
        mu = m_c.mean(dim=(2, 3), keepdim=True)
        coef = (con * sat, con * (1 - sat), shift + (1 - con) * mu)
    # On the CPU, large images: one slice fill per rectangle (lists of slices) instead of a mask pass.
    loop = canvas and c * h * w >= RECTANGLE_LOOP_MIN
    move = None
    if translation is not None:
        tx, ty = translation
        check_shifts(x, tx, ty)
        tx, ty = tx.to(x.device).round().long(), ty.to(x.device).round().long()
        if canvas:  # the pads, and the columns the shift brings in (set after the move)
            enter = entering_column_slices(tx, (h, w)) if loop else entering_columns(tx, w)
            move = (shift_pads(tx, ty, (h, w)), enter)
        else:
            move = shift_index(tx, ty, h, w)
        translation = (tx, ty)
    cut = None
    if cutout is not None:
        boxes = tuple(t.to(x.device) for t in cutout)
        cut = rectangle_slices(*boxes, (h, w)) if loop else rectangle_mask(*boxes, (h, w))
    return coef, m_c, translation, move, cut


def _select(valid: torch.Tensor | None, cut: torch.Tensor | None, fill: torch.Tensor, x: torch.Tensor):
    """The mask ``keep`` of output pixels computed from ``x`` (``None``: all) and the value of the others."""
    if cut is None:
        return valid, x.new_zeros(())
    keep = ~cut if valid is None else valid & ~cut
    return keep, torch.where(cut, fill, x.new_zeros(()))  # the cutout overrides the translation's zero fill


def _compose(x, coef, m_c, index, keep, other) -> torch.Tensor:
    """The forward formula with ordinary ops (differentiable in ``x`` and in the colour magnitudes): a gather
    for the move, a select for the zero fill and the cutout."""
    y = _gather(x, index)
    if coef is not None:
        a, bc, k = coef
        off = torch.addcmul(k, bc, _gather(m_c, index))
        if index is not None and not torch.is_grad_enabled():
            y = torch.addcmul(off, a, y, out=y)  # the gathered buffer is fresh: one allocation less
        else:
            y = torch.addcmul(off, a, y)
    return y if keep is None else torch.where(keep, y, other)


def _canvas_forward(x, coef, m_c, translation, move, cut, fill) -> torch.Tensor:
    """The forward formula on the CPU: the colour multiply-add writes into a zero-bordered flat canvas, one copy
    of contiguous runs moves it, then the entering columns and the cutout are set (one pass, or slice fills).
    Per pixel the same float operations as :func:`_compose`."""
    off = None if coef is None else torch.addcmul(coef[2], coef[1], m_c)
    if translation is None:
        y = x.clone() if coef is None else torch.addcmul(off, coef[0], x)
        return _set_(y, None, cut, fill)
    pads, enter = move
    canvas, interior = shift_canvas(x.shape, pads, x.dtype, x.device)
    if coef is None:
        interior.copy_(x)
    else:
        torch.addcmul(off, coef[0], x, out=interior)
    return _set_(shifted_rows(canvas, *translation, pads, x.shape[-2:]), enter, cut, fill)


def _set_(y: torch.Tensor, enter, cut, fill) -> torch.Tensor:
    """In place: ``y`` zero on the entering columns and ``fill`` on the cutout (the cutout wins). Both are masks
    (one select pass) or both lists of slices (slice fills); ``None``: nothing to set."""
    if isinstance(enter, list) or isinstance(cut, list):
        fill_rectangles_(y, enter or [], 0.0)
        return fill_rectangles_(y, cut or [], fill)
    if cut is None:
        return y if enter is None else torch.where(enter, y.new_zeros(()), y, out=y)
    other = torch.where(cut, fill, y.new_zeros(()))
    return torch.where(cut if enter is None else cut | enter, other, y, out=y)


def _canvas_backward(g, coef, translation, move, cut) -> torch.Tensor:
    """The adjoint of :func:`_canvas_forward`: zero the cutout and the entering columns, move back by the opposite
    shift (through a canvas again: the zeroed columns are what its wrapped reads find), then the colour adjoint
    ``A g + B sum_c(g) / C + (1 - c) sum(g) / (C H W)``."""
    b, c, h, w = g.shape
    differentiable = torch.is_grad_enabled()  # double backward: no out= writes
    fresh = True
    if translation is not None:
        pads, enter = move
        canvas, interior = shift_canvas(g.shape, pads, g.dtype, g.device)
        if isinstance(enter, list):
            fill_rectangles_(interior.copy_(g), enter + (cut or []), 0.0)
        else:
            zero = enter if cut is None else enter | cut
            if differentiable:
                interior.copy_(g.masked_fill(zero, 0))
            else:
                torch.where(zero, g.new_zeros(()), g, out=interior)  # copy and mask in one pass
        tx, ty = translation
        g = shifted_rows(canvas, -tx, -ty, pads, (h, w))
    elif cut is not None:
        g = g.masked_fill(cut, 0) if isinstance(cut, torch.Tensor) else fill_rectangles_(g.clone(), cut, 0.0)
    else:
        fresh = False
    if coef is None:
        return g
    a, bc = coef
    d_off = g.sum(dim=1, keepdim=True)  # the offset B m_c + K is shared by the channels
    d_k = d_off.sum(dim=(2, 3), keepdim=True)
    off = torch.addcmul((1 - (a + bc)) * d_k / (h * w * c), bc / c, d_off)  # A + B = c
    if fresh and not differentiable:
        return torch.addcmul(off, a, g, out=g)
    return torch.addcmul(off, a, g)


class _Fused(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coef, m_c, translation, move, cut, fill, canvas):  # type: ignore[override]
        ctx.size, ctx.has, ctx.canvas = x.shape, (coef is not None, translation is not None), canvas
        if canvas:  # ``move``: the canvas pads and the entering columns
            ctx.move = move
            ctx.rects = cut if isinstance(cut, list) else None
            mask = None if ctx.rects is not None else cut
            ctx.save_for_backward(mask, *(coef[:2] if coef is not None else ()), *(translation or ()))
            return _canvas_forward(x, coef, m_c, translation, move, cut, fill)
        index = None if move is None else move[0]
        keep, other = _select(None if move is None else move[1], cut, fill, x)
        ctx.save_for_backward(keep, *(coef[:2] if coef is not None else ()), *(translation or ()))
        return _compose(x, coef, m_c, index, keep, other)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        mask, *rest = ctx.saved_tensors
        coef = tuple(rest[:2]) if ctx.has[0] else None
        translation = tuple(rest[-2:]) if ctx.has[1] else None
        if ctx.canvas:
            cut = ctx.rects if ctx.rects is not None else mask
            return _canvas_backward(g, coef, translation, ctx.move, cut), *([None] * 7)
        b, c, h, w = ctx.size
        keep_f = None if mask is None else mask.to(g.dtype)
        const = None
        if coef is not None:
            a, bc = coef
            d_off = g.sum(dim=1, keepdim=True)  # the offset B m_c + K is shared by the channels
            if keep_f is not None:
                d_off = d_off * keep_f
                a = a * keep_f
            d_k = d_off.sum(dim=(2, 3), keepdim=True)
            # dL/dx = T^T(A g + B d_off / C) + (1 - c) dK / (H W C): the channel and image means' adjoints
            inner = torch.addcmul(bc * d_off / c, a, g)
            con = coef[0] + coef[1]  # A + B = c
            const = (1 - con) * d_k / (h * w * c)
        else:
            inner = g if keep_f is None else g * keep_f
        if translation is None:
            gx = inner if const is None else inner + const
        else:
            tx, ty = translation
            index, back_valid = shift_index(-tx, -ty, h, w)
            moved = _gather(inner.contiguous(), index)
            back = back_valid.to(g.dtype)
            gx = moved * back if const is None else torch.addcmul(const, back, moved)
        return gx, *([None] * 7)


def diffaugment_fused(
    x: torch.Tensor,
    color: Color | None = None,
    translation: tuple[torch.Tensor, torch.Tensor] | None = None,
    cutout: Boxes | None = None,
    fill: float = 0.0,
) -> torch.Tensor:
    """DiffAugment's ``color`` then ``translation`` then ``cutout`` (each optional) in one fused kernel.

    Args:
        x: images ``(B, C, H, W)``, any float dtype.
        color: ``(b, s, c)``: brightness shift ``b`` (image value unit), saturation ``s >= 0`` and contrast
            ``c >= 0``, each a scalar or ``(B,)`` (see :func:`~kornia_diffaug.functional.diffaugment_color`).
        translation: ``(tx, ty)`` ``(B,)`` integer pixel shifts, zero fill (see ``integer_translate``).
        cutout: ``(top, left, height, width)`` ``(B,)`` or ``(B, K)`` integer rectangles (see ``cutout``).
        fill: value written into the cutout, image value unit.

    Equal, bit for bit, to ``cutout(integer_translate(diffaugment_color(x, ...), ...), ..., fill)``.
    """
    check_image(x)
    if x.numel() == 0:
        return x.clone()
    fill_t = torch.as_tensor(fill, dtype=x.dtype, device=x.device)
    if torch.jit.is_tracing() or (color is not None and any(isinstance(v, torch.Tensor) and v.requires_grad
                                                            for v in color)):
        # Learnable magnitudes: the composed ops, so that autograd reaches them. jit.trace: the same ops (the
        # tracer cannot record a custom autograd.Function that takes tuples).
        coef, m_c, shifts, move, cut = _plan(x, color, translation, cutout, canvas=False)
        keep, other = _select(None if move is None else move[1], cut, fill_t, x)
        return _compose(x, coef, m_c, None if move is None else move[0], keep, other)
    canvas = host_reads_free(x)  # on the CPU the pads are read on the host at no cost
    with torch.no_grad():  # the custom backward holds the adjoints of the means: no graph through them
        coef, m_c, shifts, move, cut = _plan(x, color, translation, cutout, canvas=canvas)
    return _Fused.apply(x, coef, m_c, shifts, move, cut, fill_t, canvas)
