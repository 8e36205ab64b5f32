"""One-call DiffAugment (Zhao et al., NeurIPS 2020) with the paper's formulas on images in [-1, 1]."""

from __future__ import annotations

import torch

from .._validate import check_image
from .color import diffaugment_color
from .diffaugment_fused import diffaugment_fused
from .erase import cutout
from .geometry import integer_translate
from .policy_string import parse_policy
from .sampling import cutout_boxes, translate_shifts, uniform

__all__ = ["DIFFAUGMENT_POLICIES", "DiffAugment", "diff_augment", "in_fused_order"]

DIFFAUGMENT_POLICIES = ("color", "translation", "cutout")


def in_fused_order(names: list[str]) -> bool:
    """Whether the ops ``names`` run as one :func:`diffaugment_fused` call: each at most once, in the paper's order."""
    return names == [n for n in DIFFAUGMENT_POLICIES if n in names]


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
    draws: dict[str, tuple] = {}  # in the written order: the draws never depend on the pixels
    steps = []
    for name in names:
        if name == "color":
            shift = uniform(b, -0.5, 0.5, generator, dev)
            saturation = uniform(b, 0.0, 2.0, generator, dev)
            draws[name] = (shift, saturation, uniform(b, 0.5, 1.5, generator, dev))
        elif name == "translation":
            draws[name] = translate_shifts(b, (h, w), 0.125, generator, dev)
        else:
            box = cutout_boxes(b, (h, w), 0.5, generator, dev)
            draws[name] = (box["top"], box["left"], box["height"], box["width"])
        steps.append((name, draws[name]))
    if in_fused_order(names):
        return diffaugment_fused(x, draws.get("color"), draws.get("translation"), draws.get("cutout"))
    kernels = {"color": diffaugment_color, "translation": integer_translate, "cutout": cutout}
    for name, args in steps:
        x = kernels[name](x, *args)
    return x


def DiffAugment(x: torch.Tensor, policy: str = "", channels_first: bool = True) -> torch.Tensor:  # noqa: N802
    """Drop-in for the DiffAugment release's ``DiffAugment_pytorch.DiffAugment(x, policy, channels_first)``.

    Same signature, defaults and policy strings (comma-separated names of ``color, translation, cutout``,
    ``''`` for none), images in [-1, 1], draws from torch's global RNG on ``x``'s device in the release's order
    (so under the same ``torch.manual_seed`` it gives the release's output up to float rounding). The swap is
    one line: ``from kornia_diffaug.functional import DiffAugment`` in place of
    ``from DiffAugment_pytorch import DiffAugment``. Built on :func:`diff_augment` (translation's backward is a
    gather, not a scatter).

    Args:
        x: ``(B, C, H, W)`` images, or ``(B, H, W, C)`` when ``channels_first=False``.
        policy: e.g. ``"color,translation,cutout"``; ``""`` returns ``x`` unchanged.
        channels_first: layout of ``x`` (the output has the same layout, contiguous).

    Example:
        >>> y = DiffAugment(torch.rand(4, 3, 32, 32) * 2 - 1, policy="color,translation,cutout")
    """
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a string such as 'color,translation,cutout', got {type(policy).__name__}")
    if not policy:
        return x
    if not channels_first:
        x = x.permute(0, 3, 1, 2)
    x = diff_augment(x, policy)
    if not channels_first:
        x = x.permute(0, 2, 3, 1)
    return x.contiguous()
