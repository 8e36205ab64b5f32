"""The registry names of the learned image-level policies: ``learnable``, ``learnable:<ops>`` (magnitudes and
probabilities are parameters) and ``learned:<ops>`` (a small CNN predicts per-sample parameters).

The modules live in :mod:`kornia_diffaug.nn`. Feature-level modules (``MixStyle``, ``ManifoldMixup``) act
inside a model, not on images, and are not registered.
"""

from __future__ import annotations

from functools import partial

from ..nn.learnable_policy import LearnablePolicy
from ..nn.learned_augmenter import LearnedAugmenter
from .registry import register_policy

__all__: list[str] = []

register_policy(
    "learnable", LearnablePolicy, description="Policy with learnable magnitudes and probabilities (relaxed gates)"
)
for _preset in ("color", "translation", "cutout", "color,translation,cutout"):
    register_policy(
        f"learnable:{_preset}",
        partial(LearnablePolicy, policy=_preset),
        description=f"LearnablePolicy({_preset!r}): learnable magnitudes and probabilities",
    )
for _preset in ("color", "translation", "color,translation"):
    register_policy(
        f"learned:{_preset}",
        partial(LearnedAugmenter, policy=_preset),
        description=f"LearnedAugmenter({_preset!r}): per-sample parameters predicted by a small CNN",
    )
