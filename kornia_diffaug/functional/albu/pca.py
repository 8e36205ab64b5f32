"""``FancyPCA`` with Albumentations 2.0.8's semantics (AlexNet's PCA colour noise, as ``fancy_pca`` computes it).

Per image, the ``C x C`` covariance of its pixels (``np.cov``: ``1 / (N - 1)``) is eigen-decomposed, eigenvalues
sorted in descending order; each centred pixel ``c`` gets ``V diag(alpha * lambda) c`` added (Albumentations
multiplies by the centred pixel itself, not a constant shift per image as in the paper). One channel: ``alpha_0
std(c) c`` (population std). The result is clamped to [0, 1]. Pure functions; no randomness.
"""

from __future__ import annotations

import torch

from ..._validate import check_image
from ._common import saturate

__all__ = ["fancy_pca", "fancy_pca_basis"]


class _Eigh(torch.autograd.Function):
    """``torch.linalg.eigh`` whose backward drops the terms of (near-)equal eigenvalue pairs: there the
    eigenvectors are not differentiable (a grey image's covariance has a double zero eigenvalue) and the plain
    formula divides by zero. Elsewhere it is the usual ``V (diag(gL) + F * V^T gV) V^T``, ``F_ij = 1 / (l_j -
    l_i)``, symmetrised."""

    @staticmethod
    def forward(ctx, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        lam, vec = torch.linalg.eigh(a)
        ctx.save_for_backward(lam, vec)
        return lam, vec

    @staticmethod
    def backward(ctx, g_lam: torch.Tensor, g_vec: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        lam, vec = ctx.saved_tensors
        gap = lam.unsqueeze(-2) - lam.unsqueeze(-1)  # gap[i, j] = l_j - l_i
        tol = 1e-9 * lam.abs().amax(-1, keepdim=True).unsqueeze(-1) + 1e-30
        inv = torch.where(gap.abs() > tol, 1 / torch.where(gap == 0, torch.ones_like(gap), gap),
                          torch.zeros_like(gap))
        inner = torch.diag_embed(g_lam) + inv * (vec.transpose(-1, -2) @ g_vec)
        g = vec @ inner @ vec.transpose(-1, -2)
        return (g + g.transpose(-1, -2)) / 2


def fancy_pca_basis(cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (B, C) in descending order and unit eigenvectors (B, C, C) (columns) of symmetric ``cov``.

    An eigenvector's sign is arbitrary (LAPACK and cuSOLVER may differ); ours is fixed by making its largest-
    magnitude component positive, so every device gives the same result. A sign flip of column ``i`` equals
    flipping ``alpha_i``, whose distribution is symmetric: the sign changes no distribution.
    """
    lam, vec = _Eigh.apply(cov.to(torch.float64))
    lam, vec = lam.flip(-1), vec.flip(-1)
    pick = vec.detach().abs().argmax(-2, keepdim=True)
    sign = torch.where(vec.detach().gather(-2, pick) < 0, -1.0, 1.0).to(vec.dtype)
    return lam, vec * sign


def fancy_pca(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """``FancyPCA``: ``y = clamp(x + V diag(alpha * lambda) (x - m))`` per pixel, ``m`` the image's mean colour
    and ``lambda``, ``V`` of :func:`fancy_pca_basis` of its covariance; ``alpha`` (B, C) unitless (Albumentations
    draws ``N(0, alpha_std)`` per component). One channel: ``y = clamp(x + alpha_0 std(x) (x - m))``. An image of
    one pixel has zero covariance here (NumPy's ``1 / (N - 1)`` is a division by zero) and stays unchanged."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    work = torch.float64 if x.dtype == torch.float64 else torch.float32
    xw = x.to(work)
    flat = xw.reshape(b, c, h * w)
    cen = flat - flat.mean(-1, keepdim=True)
    a = alpha.to(x.device, work)[:, :c]
    if c == 1:
        var = cen.square().mean(-1, keepdim=True)
        std = torch.where(var > 0, var, torch.ones_like(var)).sqrt() * (var > 0)  # finite gradient at var = 0
        noise = a.view(b, 1, 1) * std * cen
    else:
        cov = cen @ cen.transpose(-1, -2) / max(h * w - 1, 1)
        lam, vec = fancy_pca_basis(cov)
        mix = (vec * (a.to(torch.float64) * lam).unsqueeze(-2)).to(work)  # V diag(alpha lambda)
        noise = mix @ cen
    return saturate(xw + noise.view(b, c, h, w), xw).to(x.dtype)
