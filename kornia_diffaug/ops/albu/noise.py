"""Albumentations' noise transforms as Kornia ops (``GaussNoise``, ``MultiplicativeNoise``, ``SaltAndPepper``,
``ISONoise``).

Each sample draws an integer seed; the noise itself is a counter-based hash of it (``functional.albu.noise``),
so replayed params give the same noise with neither a host sync nor a per-sample loop. Common arguments
(``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``.
"""

from __future__ import annotations

import math

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair

__all__ = ["AlbuGaussNoise", "AlbuISONoise", "AlbuMultiplicativeNoise", "AlbuSaltAndPepper"]


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
    ``mean ~ U(mean_range)`` per sample; with ``var_range`` (1.x's ``var_limit``), ``std = sqrt(U(var_range))``.

    Args:
        std_range: ``(low, high)`` of ``std`` in [0, 1], a fraction of the range (uint8: ``255 std`` levels).
        mean_range: ``(low, high)`` of ``mean`` in [-1, 1], a fraction of the range.
        per_channel: independent noise per channel (False shares one noise map across channels).
        var_range: ``(low, high)`` of the variance in [0, 1] (fractions of the range, squared: uint8
            ``var_limit / 255^2``), drawn uniformly as 1.x does; ``None`` (2.x): ``std_range`` is drawn instead.

    Example:
        >>> op = AlbuGaussNoise((0.05, 0.1))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GaussNoise"
    cpu_chunk = 1  # CPU gated path: the hash's int32 and float temporaries of one image stay in cache

    def __init__(self, std_range=(0.2, 0.44), mean_range=(0.0, 0.0), per_channel=True, p=1.0, same_on_batch=False,
                 keepdim=False, generator=None, var_range=None):
        super().__init__(p, same_on_batch, keepdim, generator, std_range=pair("std_range", std_range, 0, 1),
                         mean_range=pair("mean_range", mean_range, -1, 1), per_channel=bool(per_channel),
                         var_range=None if var_range is None else pair("var_range", var_range, 0, 1))

    def sample(self, n, size, generator, device):
        var = self._cfg["var_range"]
        std = (uniform(n, *self._cfg["std_range"], generator, device) if var is None
               else uniform(n, *var, generator, device).sqrt())
        return {"std": std, "mean": uniform(n, *self._cfg["mean_range"], generator, device),
                "seed": _seeds(n, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.gauss_noise(input, params["seed"], params["std"], params["mean"], self._cfg["per_channel"])

    def apply_transform_(self, input, params, flags):
        return FA.gauss_noise_(input, params["seed"], params["std"], params["mean"], self._cfg["per_channel"])


@register_op(identity={"amount": (0.0, 0.0)})
class AlbuSaltAndPepper(AlbuIntensityBase):
    """``SaltAndPepper``: ``int(H W a)`` distinct pixels, ``a ~ U(amount)``, set to 1 (the first ``int(n s)``,
    ``s ~ U(salt_vs_pepper)``) or 0 (the rest) in every channel.

    Args:
        amount: ``(low, high)`` of ``a`` in [0, 1], the fraction of pixels replaced.
        salt_vs_pepper: ``(low, high)`` of ``s`` in [0, 1], the fraction of those set to 1.

    Example:
        >>> op = AlbuSaltAndPepper((0.01, 0.06))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "SaltAndPepper"

    def __init__(self, amount=(0.01, 0.06), salt_vs_pepper=(0.4, 0.6), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, amount=pair("amount", amount, 0, 1),
                         salt_vs_pepper=pair("salt_vs_pepper", salt_vs_pepper, 0, 1))

    def sample(self, n, size, generator, device):
        return {"amount": uniform(n, *self._cfg["amount"], generator, device),
                "salt_ratio": uniform(n, *self._cfg["salt_vs_pepper"], generator, device),
                "seed": _seeds(n, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.salt_and_pepper(input, params["seed"], params["amount"], params["salt_ratio"])


@register_op(identity={"intensity": (0.0, 0.0)})
class AlbuISONoise(AlbuIntensityBase):
    """``ISONoise``: in OpenCV's float HLS, ``H += N(0, c i)`` degrees and ``L += k i (1 - L)``, ``k ~
    Poisson(std(L) i)`` per pixel, ``c ~ U(color_shift)``, ``i ~ U(intensity)`` (see
    :func:`kornia_diffaug.functional.albu.iso_noise`).

    Args:
        color_shift: ``(low, high)`` of ``c`` in [0, 1].
        intensity: ``(low, high)`` of ``i``, in [0, 10] (0 is the identity).

    Example:
        >>> op = AlbuISONoise((0.01, 0.05), (0.1, 0.5))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ISONoise"

    def __init__(self, color_shift=(0.01, 0.05), intensity=(0.1, 0.5), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, color_shift=pair("color_shift", color_shift, 0, 1),
                         intensity=pair("intensity", intensity, 0, 10))
        lam = 0.5 * self._cfg["intensity"][1]  # std(L) <= 1/2 for L in [0, 1]
        self._terms = int(math.ceil(lam + 10 * math.sqrt(lam) + 10))

    def sample(self, n, size, generator, device):
        return {"color_shift": uniform(n, *self._cfg["color_shift"], generator, device),
                "intensity": uniform(n, *self._cfg["intensity"], generator, device),
                "seed": _seeds(n, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.iso_noise(input, params["seed"], params["color_shift"], params["intensity"], self._terms)
