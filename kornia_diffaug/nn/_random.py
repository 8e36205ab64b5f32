"""Small seeded samplers and argument checks shared by the ``nn`` modules.

The modules below make Python-level choices (which layer to mix, whether to apply MixStyle to this batch), so
their draws come from a CPU generator: reading a CPU tensor never waits for an accelerator.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = ["beta", "check_cpu_generator", "check_positive", "check_unit"]


def check_cpu_generator(generator: object) -> torch.Generator | None:
    """``None`` or a CPU ``torch.Generator``; anything else raises ``TypeError``/``ValueError``."""
    if generator is None:
        return None
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU torch.Generator (draws are tiny), got one on {generator.device}")
    return generator


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def check_positive(name: str, value: object) -> float:
    """A finite number ``> 0``."""
    v = _number(name, value)
    if not v > 0:
        raise ValueError(f"{name} must be > 0, got {v}")
    return v


def check_unit(name: str, value: object) -> float:
    """A number in ``[0, 1]``."""
    v = _number(name, value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {v}")
    return v


def beta(shape: tuple[int, ...], alpha: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """CPU float32 draws from ``Beta(alpha, alpha)`` as ``G1 / (G1 + G2)``, ``G ~ Gamma(alpha, 1)`` in float64.

    float64 keeps small ``alpha`` (e.g. MixStyle's 0.1) from underflowing both gammas to 0.
    """
    conc = torch.full((2, *shape), alpha, dtype=torch.float64)
    g = torch._standard_gamma(conc, generator=generator)
    lam = g[0] / (g[0] + g[1])
    return torch.nan_to_num(lam, nan=0.5).float()
