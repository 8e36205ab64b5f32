"""A learned :class:`~kornia_diffaug.nn.LearnablePolicy` -> the Albumentations transforms that draw what it
draws (its twins), for :func:`.export.to_albumentations`.

Each operation ``k`` with learned magnitude ``m_k`` and probability ``p_k`` becomes one transform with ``p = p_k``
and ``m_k`` written in that transform's units (the semantics are documented, and implemented, in
:mod:`kornia_diffaug.nn._learnable_albu`); the order is kept, and Albumentations' ``Compose`` gates each
transform independently, as the policy does. Only a policy built with ``albumentations=True`` has twins: the
default operations clip nothing, shift by fractions of a pixel and let boxes leave the image, which no
Albumentations transform draws.
"""

from __future__ import annotations

from torch import nn

from kornia_diffaug.nn import ROTATION_DEGREES, SCALE_SPAN, LearnablePolicy
from kornia_diffaug.ops.albu import AlbuAffine, AlbuBrightnessContrast, AlbuCoarseDropout, AlbuColorJitter

from .parse import UnsupportedTransformError

__all__ = ["albumentations_twins"]

_IDLE_JITTER = {"brightness": (1.0, 1.0), "contrast": (1.0, 1.0), "saturation": (1.0, 1.0), "hue": (0.0, 0.0)}


def _twin(op: str, m: float, p: float, path: str) -> nn.Module:
    if op == "brightness":
        return AlbuBrightnessContrast(brightness_limit=(-m / 2, m / 2), contrast_limit=(0.0, 0.0), p=p)
    if op in ("contrast", "saturation"):
        return AlbuColorJitter(**{**_IDLE_JITTER, op: (1 - m, 1 + m)}, p=p)
    if op == "rotation":
        return AlbuAffine(rotate=(-ROTATION_DEGREES * m, ROTATION_DEGREES * m), fill=0.0, p=p)
    if op == "scale":
        return AlbuAffine(scale=(1 - SCALE_SPAN * m, 1 + SCALE_SPAN * m), keep_ratio=True, fill=0.0, p=p)
    if op == "translation":
        return AlbuAffine(translate_percent={"x": (-m / 4, m / 4), "y": (-m / 4, m / 4)}, fill=0.0, p=p)
    if op == "cutout":
        if m >= 1:
            raise UnsupportedTransformError(
                f"{path}: cutout with magnitude {m}: CoarseDropout reads a hole range reaching 1 as pixels, not as "
                "the whole image; a hole as large as the image has no Albumentations twin")
        return AlbuCoarseDropout(num_holes_range=(1, 1), hole_height_range=(m, m), hole_width_range=(m, m),
                                 fill=0.0, p=p)
    raise UnsupportedTransformError(f"{path}: {op} has no Albumentations twin")


def albumentations_twins(policy: LearnablePolicy, path: str = "transforms") -> list[nn.Module]:
    """The ``Albu*`` ops (one per operation, in order) that draw what ``policy`` draws, from its current
    magnitudes and probabilities; :func:`.export.to_albumentations` writes them as the config.

    Raises:
        UnsupportedTransformError: naming the operations, for a policy built without ``albumentations=True``,
            or a cutout of magnitude 1.
    """
    if not isinstance(policy, LearnablePolicy):
        raise TypeError(f"policy must be a LearnablePolicy, got {type(policy).__name__}")
    if not policy.albumentations:
        raise UnsupportedTransformError(
            f"{path}: LearnablePolicy({policy.policy!r}) samples without Albumentations' semantics (unclipped "
            f"colours, sub-pixel shifts, boxes cut by the border), so none of its operations ({', '.join(policy.ops)}) "
            "has an Albumentations twin; learn it as LearnablePolicy(..., albumentations=True) to export it")
    learned = policy.summary()
    return [_twin(op, *learned[op], f"{path}[{i}]") for i, op in enumerate(policy.ops)]
