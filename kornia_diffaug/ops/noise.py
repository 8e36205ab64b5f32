"""Smooth, spatially correlated additive noise (a "noise field") as a Kornia intensity augmentation."""

from __future__ import annotations

from typing import Any

import torch
from kornia.augmentation import IntensityAugmentationBase2D

from .._validate import check_bool, check_choice, check_int, check_int_pair, check_number, check_range
from ..functional.noise import NOISE_MODES, add_noise_field, noise_grid_sizes
from ..functional.sampling import uniform
from ._base import SeededOpMixin
from ._registry import register_op

__all__ = ["RandomNoiseField"]


@register_op(identity={"amplitude": (0.0, 0.0)}, example={"amplitude": (0.05, 0.2), "cells": 3, "octaves": 2})
class RandomNoiseField(SeededOpMixin, IntensityAugmentationBase2D):
    """Add smooth, spatially correlated Gaussian noise: ``y = x + A N``, ``A ~ U(amplitude)`` per sample.

    ``N`` is low-resolution standard-normal noise (``cells`` values per axis, doubled at each further octave,
    weights ``persistence**k``) upsampled to the image size, see
    :func:`kornia_diffaug.functional.noise.add_noise_field`; it models smooth real-world variation (uneven
    lighting, stains, sensor shading) that white noise does not. ``cells`` sets the correlation length:
    about ``side / cells`` pixels for the coarsest octave, independent of the image resolution.
    The low-resolution grids are the sampled parameters (``params["noise_0"]``, ``params["noise_1"]``, ...),
    so replaying ``params`` reproduces the output; masks, boxes and keypoints pass through unchanged.

    Args:
        amplitude: ``(low, high)`` of the field's standard deviation ``A``, in the image's value unit,
            ``0 <= low <= high``; may be tensors that require grad. ``(0, 0)`` is the identity.
        cells: grid values per axis of the coarsest octave, an int or ``(rows, cols)``, ``>= 1``; clipped at
            the image side.
        octaves: number of octaves, ``>= 1``.
        persistence: weight ratio between successive octaves, in ``(0, 1]``.
        per_channel: independent fields per channel (colour noise) or one field for all channels (luminance).
        mode: ``"bicubic"`` (smooth) or ``"bilinear"`` (cheaper, piecewise linear).
        p, same_on_batch, keepdim, generator: as for every kornia-diffaug op.

    Example:
        >>> op = RandomNoiseField(amplitude=(0.0, 0.1), cells=4, generator=torch.Generator().manual_seed(0))
        >>> op(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 3, 32, 32])
    """

    def __init__(
        self,
        amplitude=(0.0, 0.1),
        cells: int | tuple[int, int] = 4,
        octaves: int = 1,
        persistence: float = 0.5,
        per_channel: bool = True,
        mode: str = "bicubic",
        p: float = 1.0,
        same_on_batch: bool = False,
        keepdim: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(p=p, same_on_batch=same_on_batch, keepdim=keepdim)
        self._init_common(p, generator)
        self.amplitude = check_range("amplitude", amplitude, lower=0.0)
        self.cells = check_int_pair("cells", cells, lower=1)
        self.octaves = check_int("octaves", octaves, lower=1)
        self.persistence = check_number("persistence", persistence, 0, 1, lower_open=True)
        self.per_channel = check_bool("per_channel", per_channel)
        self.mode = check_choice("mode", mode, NOISE_MODES)
        self._channels = 1

    def forward_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        # The channel count is part of the noise's shape but not of ``sample``'s signature.
        self._channels = int(batch_shape[-3]) if self.per_channel and len(batch_shape) >= 3 else 1
        return super().forward_parameters(batch_shape)

    def sample(self, n, size, generator, device):
        low, high = self.amplitude
        params = {"amplitude": uniform(n, low, high, generator, device)}
        for k, (gh, gw) in enumerate(noise_grid_sizes(size, self.cells, self.octaves)):
            params[f"noise_{k}"] = torch.randn(n, self._channels, gh, gw, generator=generator, device=device)
        return params

    def config(self) -> dict[str, Any]:
        return {
            "amplitude": tuple(float(v) for v in self.amplitude),
            "cells": self.cells,
            "octaves": self.octaves,
            "persistence": self.persistence,
            "per_channel": self.per_channel,
            "mode": self.mode,
            **super().config(),
        }

    def apply_transform(self, input, params, flags, transform=None):
        grids = [params[f"noise_{k}"] for k in range(self.octaves)]
        amp = params["amplitude"].to(input.device)
        return add_noise_field(input, grids, amp, self.mode, self.persistence)
