"""Albumentations' ``FancyPCA`` as a Kornia op (kernel in ``functional.albu.pca``). Each sample draws an integer
seed; its ``C`` component weights are counter noise of it (``functional.albu.noise``), so the draw needs no channel
count and replays without a host sync. Common arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as
in ``ops.albu.color``."""

from __future__ import annotations

import torch

from ...functional import albu as FA
from .._registry import register_op
from ._base import AlbuIntensityBase, pair

__all__ = ["AlbuFancyPCA"]


@register_op(identity={"alpha": 0.0})
class AlbuFancyPCA(AlbuIntensityBase):
    """``FancyPCA``: ``y = clamp(x + V diag(a * lambda) (x - m))`` per pixel, ``lambda``, ``V`` the eigenvalues
    (descending) and eigenvectors of the image's colour covariance, ``m`` its mean colour, ``a_i ~ N(0, alpha^2)``
    per component (see :func:`kornia_diffaug.functional.albu.fancy_pca`).

    Args:
        alpha: standard deviation of the component weights, unitless, ``>= 0`` (0 is the identity).

    Example:
        >>> op = AlbuFancyPCA(alpha=0.1)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "FancyPCA"

    def __init__(self, alpha=0.1, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, alpha=pair("alpha", (alpha, alpha), 0)[0])

    def sample(self, n, size, generator, device):
        return {"seed": torch.randint(0, 2**62, (n,), generator=generator, device=device)}

    def weights(self, seed: torch.Tensor, channels: int) -> torch.Tensor:
        """The component weights ``a`` (B, C) float64 of the seeds: ``alpha`` times standard normal noise."""
        z = FA.counter_noise(seed, (seed.shape[0], channels), "normal", torch.float64, seed.device)
        return z * self._cfg["alpha"]

    def apply_transform(self, input, params, flags, transform=None):
        return FA.fancy_pca(input, self.weights(params["seed"].to(input.device), input.shape[1]))
