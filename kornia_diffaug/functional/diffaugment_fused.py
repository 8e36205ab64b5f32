"""DiffAugment's ``color``, ``translation`` and ``cutout`` (Zhao et al. 2020) fused: a few passes over the image.

Composing the three definitions (each optional, in that order):

    y = where(keep, A x[src] + B m_c[src] + K, fill_or_0),   A = c s,  B = c (1 - s),  K = b + (1 - c) mu,

with ``m_c`` the per-pixel channel mean and ``mu`` the per-image mean of ``x``, ``src = p - t`` the
translation's source pixel, ``keep`` true where ``src`` lies inside the image and outside the cutout, and
``fill`` in the cutout (zero where the translation brought in nothing). Per pixel these are the very float
operations of :func:`~kornia_diffaug.functional.color.diffaugment_color` followed by the exact data movement
of :func:`~kornia_diffaug.functional.geometry.integer_translate` and
:func:`~kornia_diffaug.functional.erase.cutout`, so the result is bit for bit theirs.

Forward: one reduction read of ``x``, one gather, one fused multiply-add, one select. The backward is the
exact adjoint written out (a channel sum, one multiply-add, the opposite gather and a masked add) instead of
autograd's scatter-add through the gather; it runs when no magnitude needs a gradient (learnable
magnitudes take the composed path, whose autograd reaches them).
"""

from __future__ import annotations

import torch

from .._host import host_reads_free
from .._validate import check_image, check_shifts
from ._broadcast import per_sample
from .erase import rectangle_mask

__all__ = ["diffaugment_fused"]

Color = tuple  # (shift b, saturation s, contrast c): scalars or (B,) tensors
Boxes = tuple  # (top, left, height, width): (B,) or (B, K) integer tensors


def _source(tx: torch.Tensor, ty: torch.Tensor, h: int, w: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Flat source index ``(B, 1, H W)`` of ``y[v, u] = x[v - ty, u - tx]`` and its validity ``(B, 1, H, W)``."""
    ys = torch.arange(h, device=tx.device).view(1, h, 1) - ty.view(-1, 1, 1)
    xs = torch.arange(w, device=tx.device).view(1, 1, w) - tx.view(-1, 1, 1)
    valid = ((ys >= 0) & (ys < h)) & ((xs >= 0) & (xs < w))
    return (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).view(-1, 1, h * w), valid.unsqueeze(1)


def _gather(v: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    if index is None:
        return v
    b, c, h, w = v.shape
    return torch.gather(v.reshape(b, c, h * w), 2, index.expand(b, c, h * w)).view(b, c, h, w)


def _plan(x, color, translation, cutout, fill):
    """Coefficients ``A, B, K`` (``(B, 1, 1, 1)`` or ``None``), channel mean, shifts, gather index, the mask
    ``keep`` ``(B, 1, H, W)`` of pixels computed from ``x`` (``None``: all) and the value of the others."""
    b, c, h, w = x.shape
    coef = m_c = None
    if color is not None:
        shift, sat, con = (per_sample(v, x, n) for v, n in zip(color, ("shift", "saturation", "contrast"), strict=True))
        m_c = x.mean(dim=1, keepdim=True)
        mu = m_c.mean(dim=(2, 3), keepdim=True)
        coef = (con * sat, con * (1 - sat), shift + (1 - con) * mu)
    index = valid = None
    if translation is not None:
        tx, ty = translation
        check_shifts(x, tx, ty)
        tx, ty = tx.to(x.device).round().long(), ty.to(x.device).round().long()
        index, valid = _source(tx, ty, h, w)
        translation = (tx, ty)
    keep, other = valid, x.new_zeros(())
    if cutout is not None:
        cut = rectangle_mask(*(t.to(x.device) for t in cutout), (h, w))
        keep = ~cut if valid is None else valid & ~cut
        other = torch.where(cut, fill, other)  # the cutout overrides the translation's zero fill
    return coef, m_c, translation, index, keep, other


def _compose(x, coef, m_c, index, keep, other) -> torch.Tensor:
    """The forward formula with ordinary ops (differentiable in ``x`` and in the colour magnitudes)."""
    y = _gather(x, index)
    if coef is not None:
        a, bc, k = coef
        off = torch.addcmul(k, bc, _gather(m_c, index))
        if keep is not None and _folds(x, k):
            # The select folded into the small maps: A = 0 and the offset = other off the kept pixels.
            return _fma(torch.where(keep, off, other), torch.where(keep, a, 0), y, fresh=index is not None)
        y = _fma(off, a, y, fresh=index is not None)
    elif keep is not None and _folds(x, None):
        # -0.0 on the kept pixels: y + (-0.0) is y for every y, signed zeros included.
        return _fma(torch.where(keep, -0.0, other), keep.to(x.dtype), y, fresh=index is not None)
    return y if keep is None else torch.where(keep, y, other)


def _folds(x: torch.Tensor, k: torch.Tensor | None) -> bool:
    """Whether the final select may be folded into a multiply-add: off the kept pixels the gathered value is
    multiplied by 0, which is exact only for finite ``x``. Checked on the CPU (the read costs no device sync,
    and a broadcast select costs several passes there; accelerators keep ``torch.where``) through a sum:
    a finite sum of ``x`` (or the colour offset ``k``, made of its mean) means every pixel is finite."""
    if not host_reads_free(x) or torch.is_grad_enabled():
        return False
    return bool(torch.isfinite(k).all()) if k is not None else bool(torch.isfinite(x.sum()))


def _fma(off: torch.Tensor, a: torch.Tensor, y: torch.Tensor, fresh: bool) -> torch.Tensor:
    """``off + a * y``, written into ``y`` itself when it is a fresh buffer outside autograd (one allocation less)."""
    if fresh and not torch.is_grad_enabled():
        return torch.addcmul(off, a, y, out=y)
    return torch.addcmul(off, a, y)


class _Fused(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coef, m_c, translation, index, keep, other):  # type: ignore[override]
        ctx.size, ctx.has = x.shape, (coef is not None, translation is not None)
        ctx.save_for_backward(keep, *(coef[:2] if coef is not None else ()), *(translation or ()))
        return _compose(x, coef, m_c, index, keep, other)

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]
        b, c, h, w = ctx.size
        keep, *rest = ctx.saved_tensors
        coef = tuple(rest[:2]) if ctx.has[0] else None
        translation = tuple(rest[-2:]) if ctx.has[1] else None
        keep_f = None if keep is None else keep.to(g.dtype)
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
            index, back_valid = _source(-tx, -ty, h, w)
            moved = _gather(inner.contiguous(), index)
            back = back_valid.to(g.dtype)
            gx = moved * back if const is None else torch.addcmul(const, back, moved)
        return gx, None, None, None, None, None, None


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
    # ``+ 0.0`` writes a fill of -0.0 as +0.0, the one value the CPU fold could not reproduce bit for bit.
    fill_t = torch.as_tensor(fill, dtype=x.dtype, device=x.device) + 0.0
    if torch.jit.is_tracing() or (color is not None and any(isinstance(v, torch.Tensor) and v.requires_grad
                                                            for v in color)):
        # Learnable magnitudes: the composed ops, so that autograd reaches them. jit.trace: the same ops (the
        # tracer cannot record a custom autograd.Function that takes tuples).
        coef, m_c, _, index, keep, other = _plan(x, color, translation, cutout, fill_t)
        return _compose(x, coef, m_c, index, keep, other)
    with torch.no_grad():  # the custom backward holds the adjoints of the means: no graph through them
        coef, m_c, shifts, index, keep, other = _plan(x, color, translation, cutout, fill_t)
    return _Fused.apply(x, coef, m_c, shifts, index, keep, other)
