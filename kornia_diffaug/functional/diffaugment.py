"""One-call DiffAugment (Zhao et al., NeurIPS 2020) with the paper's formulas on images in [-1, 1]."""

from __future__ import annotations

import torch

from .._validate import check_image
from .color import diffaugment_color
from .erase import cutout
from .geometry import integer_translate
from .policy_string import parse_policy
from .sampling import cutout_boxes, translate_shifts, uniform

__all__ = ["diff_augment", "DIFFAUGMENT_POLICIES"]

DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")


def diff_augment(
    x: torch.Tensor,
    policy: str = "color,translation,cutout",
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Apply DiffAugment to images in [-1, 1], one draw per sample for each parameter.

    - color: ``x + U(-0.5, 0.5)``; ``(x - mean_c) * U(0, 2) + mean_c``; ``(x - mean_chw) * U(0.5, 1.5) + mean_chw``.
    - translation: integer shift per axis, uniform over ``[-s, s]``, ``s = int(side / 8 + 0.5)``, zero fill.
    - cutout: one zeroed ``int(H/2 + 0.5) x int(W/2 + 0.5)`` rectangle per sample, clipped at the border.

    No clamping. Parameters are drawn from ``generator`` (on its device) and moved to ``x``'s device.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> diff_augment(torch.rand(8, 3, 32, 32) * 2 - 1, "translation,cutout", generator=g).shape
        torch.Size([8, 3, 32, 32])
    """
    check_image(x)
    names = parse_policy(policy, DIFFAUGMENT_POLICIES)
    b, _, h, w = x.shape
    dev = x.device if generator is None else generator.device
    for name in names:
        if name == "color":
            shift = uniform(b, -0.5, 0.5, generator, dev)
            saturation = uniform(b, 0.0, 2.0, generator, dev)
            x = diffaugment_color(x, shift, saturation, uniform(b, 0.5, 1.5, generator, dev))
        elif name == "translation":
            tx, ty = translate_shifts(b, (h, w), 0.125, generator, dev)
            x = integer_translate(x, tx, ty)
        else:
            x = cutout(x, **cutout_boxes(b, (h, w), 0.5, generator, dev))
    return x
