"""Constructor-time validation. Errors name the parameter and the allowed range."""

from __future__ import annotations

import math
from numbers import Real

import torch

Bound = float | torch.Tensor


def _scalar(name: str, v: object) -> float:
    if isinstance(v, torch.Tensor):
        if v.numel() != 1:
            raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(v.shape)}")
        return float(v.detach())
    if isinstance(v, bool) or not isinstance(v, Real):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    return float(v)


def check_range(
    name: str,
    value: object,
    lower: float = -math.inf,
    upper: float = math.inf,
) -> tuple[Bound, Bound]:
    """Validate a ``(low, high)`` pair with ``lower <= low <= high <= upper``.

    Tensor bounds (e.g. learnable ``nn.Parameter`` magnitudes) are kept as tensors so gradients reach them.
    """
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a (low, high) pair, got {value!r}")
    lo, hi = (_scalar(name, v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} has inverted bounds: low={lo} > high={hi}")
    if lo < lower or hi > upper:
        raise ValueError(f"{name} must lie in [{lower}, {upper}], got ({lo}, {hi})")
    return (value[0], value[1])


def check_ratio(name: str, value: object) -> float:
    """Validate a fraction of the image side in ``(0, 1]``."""
    v = _scalar(name, value)
    if not (0.0 < v <= 1.0):
        raise ValueError(f"{name} must lie in (0, 1], got {v}")
    return v


def check_probability(name: str, value: object) -> float:
    """Validate a probability in ``[0, 1]``."""
    v = _scalar(name, value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {v}")
    return v


def check_int(name: str, value: object, lower: int = 1) -> int:
    """Validate an integer ``>= lower``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < lower:
        raise ValueError(f"{name} must be >= {lower}, got {value}")
    return value


def check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def check_value_range(value_range: object) -> tuple[float, float]:
    """Validate ``(low, high)`` of the image values, ``low < high``."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise TypeError(f"value_range must be a (low, high) pair, got {value_range!r}")
    lo, hi = (float(v) for v in value_range)
    if not lo < hi:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return lo, hi
