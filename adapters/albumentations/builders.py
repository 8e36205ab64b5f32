"""What every builder reads the same way (``p``, fills, OpenCV flags, sizes, options that must stay off), and the
builders of the rows that take nothing but ``p``. The other builders: ``builders_geometric.py`` and
``builders_pixel.py``.

A builder is ``build(cls, a)``: it reads an Albumentations transform's parameters (1.x or 2.x names) through
:class:`~.parse.Args` and returns ``cls(...)``, ``cls`` being the op class of its row in :data:`.table.TABLE`.
It converts (uint8 levels to [0, 1], 1.x names to 2.x ones, shorthands to pairs) and refuses what cannot be
mapped (``ctx.unsupported``); it does not re-check the values it passes on: the op's constructor checks them,
and ``load.py`` names the config path in its error.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from kornia_diffaug._validate import check_int, check_probability

from .parse import Args, whole

__all__ = ["CV_BORDERS", "CV_INTERP", "b_flag", "b_invert", "b_rotate90", "b_seeded", "border", "fill", "flag_off",
           "interp", "mask_fill", "no_mirrored_targets", "p_of", "resize_p", "size", "xy_pairs"]

CV_BORDERS = (0, 1, 2, 4)
CV_INTERP = (0, 1, 2)


# ----------------------------------------------------------------------------------------------- shared readers
def p_of(a: Args, default: float = 0.5) -> float:
    """``p`` (Albumentations' default when missing: 0.5 for most transforms); 1.x ``always_apply`` forces 1.
    Checked here, as Kornia's own ops do not check it and the size-changing builders compare it."""
    if a.params.get("always_apply") is True:
        return 1.0
    return a.checked(check_probability, "p", a.raw("p", default))


def resize_p(a: Args) -> float:
    """``p`` of a size-changing transform (1 when missing: what the author of a resize means). With ``p < 1``
    the loader checks that a later transform brings every sample back to one size (``sizes.group_by_size``)."""
    return p_of(a) if a.has("p") or a.has("always_apply") else 1.0


def fill(a: Args, key: str = "fill", old: str = "value") -> Any:
    """Fill values are uint8 levels in configs (0..255); ours are in [0, 1]. A number or a flat non-empty list of
    numbers (one per channel) is converted; a string fill (``"random"``, ``"inpaint_ns"``) or another list is
    unsupported; anything else goes to the op as it is (which refuses it)."""
    v = a.raw(key, a.raw(old, 0))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v) / 255
    if isinstance(v, (list, tuple)) and v and all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in v):
        return tuple(float(t) / 255 for t in v)
    if isinstance(v, (str, list, tuple)):
        a.ctx.unsupported(f"{a.name}: {key}={v!r} (only a number or one number per channel)")
        return 0.0
    return v


def mask_fill(a: Args, *keys: str) -> float:
    """The label a constant border writes into masks: the first of ``keys`` given (2.x ``fill_mask``, 1.x
    ``mask_value``, ``cval_mask``, ``mask_pad_val``; ``None`` is OpenCV's default 0). A label, not scaled. One
    number, or one per channel that are all the same; different labels per channel are unsupported. Every key
    is read (marked used) whatever the border: with a non-constant border the value is simply never used."""
    vals = [a.raw(k) for k in keys]
    v = next((x for x in vals if x is not None), None)
    if isinstance(v, (list, tuple)) and v and len({*v}) == 1:
        v = v[0]
    if v is None:
        return 0.0
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        key = keys[vals.index(next(x for x in vals if x is not None))]
        a.ctx.unsupported(f"{a.name}: {key}={v!r} (one mask label for every channel)")
        return 0.0
    return float(v)


def interp(a: Args, key: str = "interpolation", default: int = 1) -> int:
    """An OpenCV interpolation flag; the ones we have no kernel for are unsupported (nearest, linear, cubic are)."""
    v = a.integer(key, default)
    if v not in CV_INTERP:
        a.ctx.unsupported(f"{a.name}: {key}={v} (OpenCV flag; supported: 0 nearest, 1 linear, 2 cubic)")
        return 1
    return v


def border(a: Args, default: int = 0, old: str = "mode") -> int:
    """An OpenCV border flag (``old``: its 1.x name); unsupported beyond constant, replicate and the reflections."""
    v = a.checked(check_int, "border_mode", a.raw("border_mode", a.raw(old, default)), -math.inf)
    if v not in CV_BORDERS:
        a.ctx.unsupported(f"{a.name}: border_mode={v} (supported: 0 constant, 1 replicate, 2 reflect, 4 reflect-101)")
        return 0
    return v


def no_mirrored_targets(a: Args, border: int) -> int:
    """With a reflecting border (2, 4), Albumentations' Affine family and PadIfNeeded add mirrored copies of the
    boxes and keypoints that the reflection brings into view (``generate_reflected_bboxes``), so their number
    changes; a batch keeps ``N`` per image. Refused with boxes or keypoints; non-strict keeps them uncopied."""
    if border in (2, 4) and a.ctx.targets:
        a.ctx.unsupported(f"{a.name}: border_mode={border} with {' and '.join(a.ctx.targets)} (Albumentations adds "
                          "mirrored copies of the boxes and keypoints a reflected border shows; not made here)")
    return border


def flag_off(a: Args, key: str, off: Any) -> None:
    """Refuse ``key`` unless it is ``off``. ``None`` is read as "not given" (as everywhere in :class:`Args`), so
    it is marked as read: Albumentations' ``to_dict`` writes ``None`` for unused options (``Equalize(mask=None)``)."""
    v = a.raw(key)
    if v is not None and v != off:
        a.ctx.unsupported(f"{a.name}: {key}={v!r} (only {off!r})")


def size(a: Args) -> Any:
    """``size`` (an int means a square) or, in 1.x configs, ``height`` and ``width``, as ``(height, width)``."""
    if a.has("size"):
        v = a.raw("size")
        if isinstance(v, int) and not isinstance(v, bool):
            v = (v, v)
        return tuple(whole(t) for t in v) if isinstance(v, (list, tuple)) else v
    return a.whole("height"), a.whole("width")


def xy_pairs(v: Any) -> Any:
    """Albumentations reads a number in an ``{"x": .., "y": ..}`` argument as the range ``(v, v)``."""
    if isinstance(v, dict):
        return {k: (x, x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for k, x in v.items()}
    return v


# ----------------------------------------------------------------------------------------------- p alone
def b_flag(cls: type[nn.Module], a: Args) -> nn.Module:
    """An op built from ``p`` and the generator alone: Kornia's flips and channel shuffle (as
    ``kornia_diffaug.ops.kornia_gated``), and ``AlbuTranspose``."""
    return cls(p=p_of(a), generator=a.ctx.generator)


def b_seeded(cls: type[nn.Module], a: Args) -> nn.Module:
    """One of our ops that takes only ``p`` and the generator."""
    return cls(p=p_of(a), generator=a.ctx.generator)


def b_rotate90(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(p=p_of(a, 1.0), generator=a.ctx.generator)


def b_invert(cls: type[nn.Module], a: Args) -> nn.Module:
    return cls(max_val=torch.tensor(1.0), p=p_of(a), generator=a.ctx.generator)
