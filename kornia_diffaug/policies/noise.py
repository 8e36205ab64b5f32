"""The registry name ``noise_field``: smooth, spatially correlated additive noise (the op RandomNoiseField)."""

from __future__ import annotations

from ..ops.noise import RandomNoiseField
from .registry import register_policy

__all__: list[str] = []

register_policy("noise_field", RandomNoiseField, description="Smooth, spatially correlated additive noise")
