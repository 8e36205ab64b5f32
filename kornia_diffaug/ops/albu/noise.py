"""Albumentations' noise transforms as Kornia ops (``GaussNoise``, ``MultiplicativeNoise``).

Each sample draws an integer seed; the noise itself is a counter-based hash of it (``functional.albu.noise``),
so replayed params give the same noise with neither a host sync nor a per-sample loop. Common arguments
(``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``.
"""

from __future__ import annotations

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair

__all__ = ["AlbuGaussNoise", "AlbuMultiplicativeNoise"]


def _seeds(n: int, generator, device) -> torch.Tensor:
    return torch.randint(0, 2**62, (n,), generator=generator, device=device)


@register_op(identity={"multiplier": (1.0, 1.0)})
class AlbuMultiplicativeNoise(AlbuIntensityBase):
    """``MultiplicativeNoise``: ``y = clamp(x m)``, ``m ~ U(multiplier)`` per image, per channel
    (``per_channel``) and/or per pixel (``elementwise``).

    Args:
        multiplier: ``(low, high)`` of ``m``, ``>= 0`` (1 is the identity).
        per_channel: one ``m`` per channel instead of one per image.
        elementwise: one ``m`` per pixel.

    Example:
        >>> op = AlbuMultiplicativeNoise((0.9, 1.1), elementwise=True)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "MultiplicativeNoise"

    def __init__(self, multiplier=(0.9, 1.1), per_channel=False, elementwise=False, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, multiplier=pair("multiplier", multiplier, 0),
                         per_channel=bool(per_channel), elementwise=bool(elementwise))

    def sample(self, n, size, generator, device):
        return {"seed": _seeds(n, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        c = self._cfg
        return FA.multiplicative_noise(input, params["seed"], *c["multiplier"], c["per_channel"], c["elementwise"])


@register_op(identity={"std_range": (0.0, 0.0)})
class AlbuGaussNoise(AlbuIntensityBase):
    """``GaussNoise``: ``y = clamp(x + n)``, ``n ~ N(mean, std^2)`` per pixel, ``std ~ U(std_range)`` and
    ``mean ~ U(mean_range)`` per sample.

    Args:
        std_range: ``(low, high)`` of ``std`` in [0, 1], a fraction of the range (uint8: ``255 std`` levels).
        mean_range: ``(low, high)`` of ``mean`` in [-1, 1], a fraction of the range.
        per_channel: independent noise per channel (False shares one noise map across channels).

    Example:
        >>> op = AlbuGaussNoise((0.05, 0.1))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GaussNoise"

    def __init__(self, std_range=(0.2, 0.44), mean_range=(0.0, 0.0), per_channel=True, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, std_range=pair("std_range", std_range, 0, 1),
                         mean_range=pair("mean_range", mean_range, -1, 1), per_channel=bool(per_channel))

    def sample(self, n, size, generator, device):
        return {"std": uniform(n, *self._cfg["std_range"], generator, device),
                "mean": uniform(n, *self._cfg["mean_range"], generator, device),
                "seed": _seeds(n, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.gauss_noise(input, params["seed"], params["std"], params["mean"], self._cfg["per_channel"])
