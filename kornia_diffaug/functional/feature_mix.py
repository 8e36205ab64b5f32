"""Feature-statistics mixing (MixStyle) and pairwise convex mixing (Mixup / Manifold Mixup) kernels.

Pure functions of the tensors and explicit pairings ``perm`` and weights ``lam``.
"""

from __future__ import annotations

import torch

__all__ = ["mix_styles", "mix_pairs"]

_HALF = (torch.float16, torch.bfloat16)


def _weights(lam: torch.Tensor | float, ref: torch.Tensor, name: str = "lam") -> torch.Tensor:
    """``lam`` as a scalar or a ``(B, 1, ..., 1)`` tensor broadcastable against ``ref``."""
    lam = torch.as_tensor(lam, device=ref.device)
    if lam.ndim == 0:
        return lam.to(ref.dtype)
    if lam.ndim != 1 or lam.shape[0] != ref.shape[0]:
        raise ValueError(f"{name} must be a scalar or have shape ({ref.shape[0]},), got {tuple(lam.shape)}")
    return lam.to(ref.dtype).view(-1, *([1] * (ref.ndim - 1)))


def _check_perm(perm: torch.Tensor, b: int) -> torch.Tensor:
    if not isinstance(perm, torch.Tensor) or perm.shape != (b,) or perm.is_floating_point():
        raise ValueError(f"perm must be an integer tensor of shape ({b},), got {getattr(perm, 'shape', perm)}")
    return perm


def mix_pairs(h: torch.Tensor, perm: torch.Tensor, lam: torch.Tensor | float) -> torch.Tensor:
    """Convex combination of each sample with its partner: ``y_i = lam_i h_i + (1 - lam_i) h_{perm(i)}``.

    Args:
        h: any tensor ``(B, ...)`` (images, hidden states, one-hot or soft targets).
        perm: ``(B,)`` integer partner indices.
        lam: scalar or ``(B,)`` weights in ``[0, 1]``.
    """
    _check_perm(perm, h.shape[0])
    w = _weights(lam, h)
    return torch.lerp(h[perm.to(h.device)], h, w)


def mix_styles(
    x: torch.Tensor,
    perm: torch.Tensor,
    lam: torch.Tensor | float,
    eps: float = 1e-6,
    detach: bool = True,
) -> torch.Tensor:
    """MixStyle (Zhou et al., ICLR 2021): re-style each sample with mixed instance statistics.

    Per sample and channel, over the spatial dims: ``mu = mean x``, ``sig = sqrt(var x + eps)`` (population
    variance, so a single spatial element is allowed), then
    ``y = sig_mix (x - mu) / sig + mu_mix`` with ``mu_mix = lam mu + (1 - lam) mu[perm]`` and
    ``sig_mix = lam sig + (1 - lam) sig[perm]``.

    Args:
        x: features ``(B, C, *spatial)`` with at least one spatial dim; half precision is computed in float32.
        perm: ``(B,)`` integer partner indices.
        lam: scalar or ``(B,)`` weights in ``[0, 1]`` (``lam = 1`` or ``perm = arange`` is the identity up to
            rounding).
        eps: added to the variance, ``> 0``.
        detach: stop gradients through ``mu`` and ``sig`` as the paper does, so only the normalised content
            carries gradient.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 3:
        raise ValueError(f"x must be a floating tensor of shape (B, C, *spatial), got {getattr(x, 'shape', x)}")
    _check_perm(perm, x.shape[0])
    xf = x.float() if x.dtype in _HALF else x
    dims = tuple(range(2, xf.ndim))
    var, mu = torch.var_mean(xf, dim=dims, keepdim=True, correction=0)
    sig = (var + eps).sqrt()
    if detach:
        mu, sig = mu.detach(), sig.detach()
    normed = (xf - mu) / sig
    p = perm.to(x.device)
    w = _weights(lam, xf)
    mu_mix = torch.lerp(mu[p], mu, w)
    sig_mix = torch.lerp(sig[p], sig, w)
    return torch.addcmul(mu_mix, normed, sig_mix).to(x.dtype)
