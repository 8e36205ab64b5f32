"""The registry names ``ada:<preset>``: StyleGAN2-ADA's pipeline, the op :class:`kornia_diffaug.ops.ADAPipeline`."""

from __future__ import annotations

from functools import partial

from ..ops.ada import ADA_PRESETS, ADAPipeline
from .registry import register_policy

__all__: list[str] = []

for _name in ADA_PRESETS:
    register_policy(
        f"ada:{_name}",
        partial(ADAPipeline, _name),
        description=f"StyleGAN2-ADA pipeline {_name!r}: {', '.join(ADA_PRESETS[_name])} (Karras et al. 2020)",
    )
