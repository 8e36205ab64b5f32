"""The one home of argument checks: constructor arguments of ops, policies and modules, and kernel inputs.

One rule everywhere: ``TypeError`` for a value of the wrong type, ``ValueError`` for a value of the right
type outside its allowed set, and the message names the parameter and what it allows (``"p must lie in
[0, 1], got 1.5"``). A scalar is a Python number (not a ``bool``) or a one-element tensor; scalars must be
finite. Each check returns the validated value, so a constructor reads ``self.p = check_probability("p", p)``.

Tensor checks (:func:`check_image`, :func:`check_shifts`) look at types and shapes only, never at values, so
they cost no host sync on accelerators.

This module imports only ``torch`` and the standard library: it is the leaf that every layer may import,
the one exception to "``functional/`` imports nothing from the rest of the package".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import torch

__all__ = [
    "FLOAT_DTYPES",
    "check_bool",
    "check_choice",
    "check_generator",
    "check_image",
    "check_int",
    "check_int_pair",
    "check_number",
    "check_positive",
    "check_probability",
    "check_range",
    "check_ratio",
    "check_shifts",
    "check_value_range",
]

FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


# -- scalars ---------------------------------------------------------------------------------------------------
def _as_float(name: str, value: object) -> float:
    """A number or a one-element tensor as a Python float (no range or finiteness check)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar, got a tensor of shape {tuple(value.shape)}")
        return float(value.detach())
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def check_number(
    name: str,
    value: object,
    lower: float = -math.inf,
    upper: float = math.inf,
    *,
    lower_open: bool = False,
    upper_open: bool = False,
) -> float:
    """A finite scalar in the interval from ``lower`` to ``upper`` (closed unless ``*_open``), as a float."""
    v = _as_float(name, value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    below = v <= lower if lower_open else v < lower
    above = v >= upper if upper_open else v > upper
    if below or above:
        interval = f"{'(' if lower_open else '['}{lower}, {upper}{')' if upper_open else ']'}"
        raise ValueError(f"{name} must lie in {interval}, got {v}")
    return v


def check_probability(name: str, value: object) -> float:
    """A probability in ``[0, 1]``."""
    return check_number(name, value, 0, 1)


def check_ratio(name: str, value: object) -> float:
    """A fraction of the image side in ``(0, 1]``."""
    return check_number(name, value, 0, 1, lower_open=True)


def check_positive(name: str, value: object) -> float:
    """A finite number ``> 0``."""
    return check_number(name, value, 0, lower_open=True)


def check_int(name: str, value: object, lower: int = 1) -> int:
    """An ``int`` (not a ``bool``) ``>= lower``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < lower:
        raise ValueError(f"{name} must be >= {lower}, got {value}")
    return value


def check_int_pair(name: str, value: object, lower: int = 1) -> tuple[int, int]:
    """An ``int`` (used for both) or a pair of ``int``, each ``>= lower``, as a pair (sizes, grid shapes)."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (check_int(name, pair[0], lower), check_int(name, pair[1], lower))


def check_bool(name: str, value: object) -> bool:
    """A ``bool`` (not merely truthy: ``"no"`` is an error)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {value!r}")
    return value


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """One of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of: {', '.join(choices)}; got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of: {', '.join(choices)}; got {value!r}")
    return value


# -- pairs -----------------------------------------------------------------------------------------------------
Bound = float | torch.Tensor


def check_range(
    name: str,
    value: object,
    lower: float = -math.inf,
    upper: float = math.inf,
) -> tuple[Bound, Bound]:
    """A ``(low, high)`` pair with ``lower <= low <= high <= upper``.

    Tensor bounds (e.g. learnable ``nn.Parameter`` magnitudes) are kept as tensors so gradients reach them.
    """
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a (low, high) pair, got {value!r}")
    lo, hi = (_as_float(name, v) for v in value)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if lo > hi:
        raise ValueError(f"{name} has inverted bounds (low > high): low={lo}, high={hi}")
    if lo < lower or hi > upper:
        raise ValueError(f"{name} must lie in [{lower}, {upper}], got ({lo}, {hi})")
    return (value[0], value[1])


def check_value_range(value_range: object) -> tuple[float, float]:
    """``(low, high)`` of the image values: finite numbers with ``low < high``."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise TypeError(f"value_range must be a (low, high) pair, got {value_range!r}")
    lo, hi = (_as_float("value_range", v) for v in value_range)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"value_range must be finite, got {value_range!r}")
    if not lo < hi:
        raise ValueError(f"value_range must have low < high, got {value_range!r}")
    return lo, hi


# -- objects ---------------------------------------------------------------------------------------------------
def check_generator(generator: object, *, cpu: bool = False) -> torch.Generator | None:
    """``None`` or a ``torch.Generator``; with ``cpu=True`` it must live on the CPU.

    Modules that make Python-level choices from their draws (which layer to mix, whether to mix this batch)
    take a CPU generator: reading a CPU tensor never waits for an accelerator.
    """
    if generator is None:
        return None
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    if cpu and generator.device.type != "cpu":
        raise ValueError(f"generator must be a CPU torch.Generator (draws are tiny), got one on {generator.device}")
    return generator


# -- kernel inputs ---------------------------------------------------------------------------------------------
def check_image(x: object, name: str = "x") -> torch.Tensor:
    """A floating ``(B, C, H, W)`` tensor."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have a floating dtype (float16, bfloat16, float32 or float64), got {x.dtype}; "
            "convert integer images with x.float() / 255"
        )
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (B, C, H, W), got shape {tuple(x.shape)}")
    return x


def check_shifts(x: torch.Tensor, shift_x: object, shift_y: object) -> None:
    """Both shifts are ``(B,)`` tensors, ``B`` the batch of ``x``."""
    b = x.shape[0]
    for name, s in (("shift_x", shift_x), ("shift_y", shift_y)):
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"{name} must be a tensor of shape ({b},), got {type(s).__name__}")
        if s.shape != (b,):
            raise ValueError(f"{name} must be a tensor of shape ({b},), got {tuple(s.shape)}")
