"""Builders of the ``FancyPCA``, ``GlassBlur``, ``RandomGridShuffle`` and ``AdditiveNoise`` rows of
:data:`.table.TABLE`. Conventions as in ``builders.py``: ``build(cls, a)`` returns ``cls(...)`` and leaves the checks
of what it passes on to ``cls``. Their 1.x (and 0.x) parameters have the 2.x names and meanings (``GlassBlur``
without ``mode`` is ``"fast"``, as it was); ``AdditiveNoise`` exists from 2.0 on.
"""

from __future__ import annotations

from torch import nn

from .builders import p_of
from .parse import Args

__all__ = ["b_additive_noise", "b_fancy_pca", "b_glass_blur", "b_grid_shuffle"]


def b_fancy_pca(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(alpha=a.raw("alpha", 0.1), p=p_of(a), generator=a.ctx.generator)


def b_glass_blur(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(sigma=a.raw("sigma", 0.7), max_delta=a.whole("max_delta", 4), iterations=a.whole("iterations", 2),
               mode=a.raw("mode", "fast"), p=p_of(a), generator=a.ctx.generator)


def b_grid_shuffle(cls: type[nn.Module], a: Args) -> nn.Module:
    """Refused with ``bbox_params``: Albumentations cuts each box into one box per connected piece after the
    shuffle, so the number of boxes changes, which a batch of ``N`` boxes per image cannot hold."""
    if "bbox_params" in a.ctx.targets:
        a.ctx.unsupported(f"{a.name} with bbox_params (Albumentations cuts a box into one box per piece the tiles "
                          "make of it, so their number changes)")
    grid = a.raw("grid", (3, 3))
    return cls(grid=tuple(grid) if isinstance(grid, list) else grid, p=p_of(a), generator=a.ctx.generator)


def b_additive_noise(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(noise_type=a.raw("noise_type", "uniform"), spatial_mode=a.raw("spatial_mode", "constant"),
               noise_params=a.raw("noise_params"), approximation=a.raw("approximation", 1.0), p=p_of(a),
               generator=a.ctx.generator)
