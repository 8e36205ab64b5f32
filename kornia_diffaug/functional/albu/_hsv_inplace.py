"""The HSV round trip of ``color`` (``_hue_raw``, ``_hue_chroma``, ``_from_hue_chroma``) with its temporaries
reused: for calls that autograd does not record.

The same elementwise operations as ``color``'s in the same order, each rounded once, so the same bits; only the
buffers differ. A fresh output costs about 3x an in-place pass on the CPU (a new 600 KB plane set per step misses
the cache, where an in-place step stays in it), and the round trip made about 25 of them per image.
``out=`` and in-place steps have no autograd formula here, hence the split: :func:`records` tells which to run.
"""

from __future__ import annotations

import torch

__all__ = ["PLANES", "from_hue_chroma_", "hue_chroma_", "hue_raw_", "positive_", "records", "workspace"]


def records(*tensors: torch.Tensor) -> bool:
    """Whether autograd records through any of ``tensors`` (then the differentiable forms in ``color`` run)."""
    return torch.is_grad_enabled() and any(t.requires_grad for t in tensors)


def positive_(d: torch.Tensor) -> torch.Tensor:
    """``color._positive`` in place: ``ceil(min(d, 1))``, exactly 1 where ``d > 0`` and 0 where ``d == 0``."""
    return d.clamp_(max=1).ceil_()


PLANES = 7  # the (B, 1, H, W) planes of a workspace (:func:`workspace`)


def workspace(x: torch.Tensor) -> torch.Tensor:
    """An uninitialised ``(PLANES, B, 1, H, W)`` buffer for the round trip of ``x`` (B, C, H, W): every
    single-plane temporary of :func:`hue_raw_` and its callers is a view of it."""
    return torch.empty((PLANES, x.shape[0], 1, *x.shape[2:]), dtype=x.dtype, device=x.device)


def hue_raw_(x: torch.Tensor, ws: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``color._hue_raw``: RGB (B, 3, H, W) -> unwrapped hue in sextants, chroma, value (each (B, 1, H, W)), in
    the planes 5, 1 and 0 of the workspace ``ws`` (:func:`workspace`; planes 2, 3, 4 and 6 are left free).
    ``x`` is only read."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    p = ws.unbind(0)
    one = torch.ones((), dtype=x.dtype, device=x.device)
    v = torch.maximum(r, g, out=p[0])
    torch.maximum(v, b, out=v)
    delta = torch.minimum(r, g, out=p[1])
    torch.minimum(delta, b, out=delta)
    torch.sub(v, delta, out=delta)
    below_r = positive_(torch.sub(v, r, out=p[2]))
    m_b = positive_(torch.sub(v, g, out=p[3])).mul_(below_r)  # below_r * positive(v - g): the product commutes
    t = torch.sub(one, below_r, out=p[4])
    num = torch.sub(g, b, out=p[5]).mul_(t)  # (1 - below_r) * (g - b)
    m_g = below_r.sub_(m_b)
    num.addcmul_(m_g, torch.sub(b, r, out=t))
    num.addcmul_(m_b, torch.sub(r, g, out=t))
    den = torch.clamp(delta, max=1, out=p[6]).ceil_()  # positive(delta)
    torch.sub(one, den, out=den).add_(delta)  # (1 - positive(delta)) + delta, the sum in either order
    h = num.div_(den).add_(m_g, alpha=2).add_(m_b, alpha=4)
    return h, delta, v


def hue_chroma_(x: torch.Tensor, ws: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``color._hue_chroma``: hue wrapped into ``[0, 6)`` (the red sextant's negative side + 6), chroma, value,
    in ``ws`` as :func:`hue_raw_` leaves them."""
    h, delta, v = hue_raw_(x, ws)
    t = positive_(torch.neg(h, out=ws[2]).clamp_(min=0)).mul_(6)
    return h.add_(t), delta, v


def from_hue_chroma_(h: torch.Tensor, chroma: torch.Tensor, v: torch.Tensor, out: torch.Tensor | None = None,
                     scratch: torch.Tensor | None = None) -> torch.Tensor:
    """``color._from_hue_chroma``: channel ``c = v - chroma clamp(min(k, 4 - k), 0, 1)``, ``k = (n_c + h) mod 6``,
    ``n = (5, 3, 1)``; written into ``out`` (B, 3, H, W) when given (it may be the image ``h`` came from, which
    is not read again), else a fresh tensor. ``scratch``: a buffer of ``out``'s shape and dtype to overwrite
    (else one is made). ``h`` is left as it was."""
    n = torch.tensor([5.0, 3.0, 1.0], dtype=h.dtype, device=h.device).view(1, 3, 1, 1)
    if out is None:
        k = torch.add(n, h)
    elif out.shape == (h.shape[0], 3, *h.shape[2:]) and out.dtype == h.dtype:
        k = torch.add(n, h, out=out)
    else:
        raise ValueError(f"out must be a {h.dtype} tensor of shape {(h.shape[0], 3, *h.shape[2:])}, got "
                         f"{out.dtype} {tuple(out.shape)}")
    t = (torch.div(k, 6) if scratch is None else torch.div(k, 6, out=scratch)).floor_()
    k.add_(t, alpha=-6)  # _wrap6: k - 6 floor(k / 6)
    torch.sub(torch.full((), 4, dtype=k.dtype, device=k.device), k, out=t)
    torch.minimum(k, t, out=k).clamp_(0, 1).mul_(chroma)  # chroma * clamp(...): the product commutes exactly
    return torch.sub(v, k, out=k)
