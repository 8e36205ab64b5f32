"""Shared test set-up: Hypothesis profiles (``ci`` when ``CI=true``, else ``$HYPOTHESIS_PROFILE`` or ``dev``)."""

from __future__ import annotations

import os

import torch
from hypothesis import HealthCheck, settings

# Test tensors are small: one intra-op thread avoids thread hand-off costs that dominate on a 2-core box.
torch.set_num_threads(1)

settings.register_profile(
    "ci",
    max_examples=8,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(  # by hand, to hunt edge cases: HYPOTHESIS_PROFILE=stress pytest tests/ops
    "stress",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile("ci" if _ci else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
