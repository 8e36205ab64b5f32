"""Relaxed (straight-through) discrete choices for learnable policies: Bernoulli gates and box masks.

Forward values are exactly the hard (discrete) ones; gradients are those of a smooth relaxation, so
probabilities and sizes that decide discrete events still receive gradients (Faster AutoAugment, DADA).
"""

from __future__ import annotations

import torch

__all__ = ["straight_through", "relaxed_bernoulli", "box_mask"]


def straight_through(hard: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
    """Forward value ``hard`` (exactly), gradient ``d soft``: ``hard + (soft - soft.detach())``."""
    return hard.to(soft.dtype) + (soft - soft.detach())


def relaxed_bernoulli(
    probability: torch.Tensor, uniform: torch.Tensor, temperature: float, eps: float = 1e-6
) -> torch.Tensor:
    """Straight-through relaxed Bernoulli gate (binary Concrete, Maddison et al. 2017).

    Forward: ``g = 1[u < p]`` (so ``P(g = 1) = p``, exactly 0 for ``p = 0`` and 1 for ``p = 1``).
    Backward: the gradient of ``sigmoid((logit p + logit(1 - u)) / temperature)``, whose value exceeds 1/2
    exactly when ``u < p``.

    Args:
        probability: ``p`` in ``[0, 1]``, any shape broadcastable with ``uniform``; may require grad.
        uniform: ``u ~ U(0, 1)`` noise, drawn by the caller.
        temperature: ``> 0``; smaller is closer to the hard gate and gives sharper gradients.
        eps: ``p`` and ``u`` are clamped to ``[eps, 1 - eps]`` inside the relaxation only.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    u = uniform.to(probability.dtype)
    pc = probability.clamp(eps, 1 - eps)
    uc = u.clamp(eps, 1 - eps)
    soft = torch.sigmoid((torch.logit(pc) + torch.log1p(-uc) - torch.log(uc)) / temperature)
    return straight_through(u < probability, soft)


def box_mask(
    cy: torch.Tensor,
    cx: torch.Tensor,
    half_h: torch.Tensor,
    half_w: torch.Tensor,
    size: tuple[int, int],
    sharpness: float = 1.0,
) -> torch.Tensor:
    """``(B, 1, H, W)`` float mask of axis-aligned boxes, hard in the forward pass, soft in the backward pass.

    Pixel ``(v, u)`` (centre coordinates) is inside when ``|v - cy| < half_h`` and ``|u - cx| < half_w``.
    The gradient is that of ``sigmoid(k (half_h - |v - cy|)) sigmoid(k (half_w - |u - cx|))``, ``k =
    sharpness`` per pixel, so the box size and centre (pixels, ``(B,)`` each) receive gradients near its edges.
    """
    h, w = size
    dt = half_h.dtype
    rows = torch.arange(h, device=cy.device, dtype=dt).view(1, h, 1)
    cols = torch.arange(w, device=cy.device, dtype=dt).view(1, 1, w)
    dy = half_h.view(-1, 1, 1) - (rows - cy.view(-1, 1, 1)).abs()
    dx = half_w.view(-1, 1, 1) - (cols - cx.view(-1, 1, 1)).abs()
    soft = torch.sigmoid(sharpness * dy) * torch.sigmoid(sharpness * dx)
    return straight_through((dy > 0) & (dx > 0), soft).unsqueeze(1)
