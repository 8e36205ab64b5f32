"""Reading one node of an Albumentations config as plain data: its class name, its parameters, and the
``Compose``'s ``bbox_params`` / ``keypoint_params``.

:class:`Args` is a reader: it hands the builders the values they ask for (a config's ``None`` is "not given"),
turns the shorthands Albumentations accepts into pairs (:meth:`Args.range`), and remembers which keys were read,
so that :meth:`Args.leftovers` can refuse the rest. Where a builder computes with a value it asks for a checked
one; the check is :mod:`kornia_diffaug._validate`'s, its error names the config path. Values the builder passes
through are checked by the op they are passed to (each bound is declared once, in the op).

Nothing named in a config is ever imported or called; class names are looked up in :data:`.table.TABLE`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from kornia_diffaug._validate import check_bool, check_choice, check_int, check_number, check_range

from .targets import BoxRules, KeypointRules

__all__ = ["Args", "Ctx", "UnsupportedTransformError", "class_name", "parse_bbox_params", "parse_keypoint_params",
           "plain", "whole"]

CLASS_KEYS = ("__class_fullname__", "transform_name", "__type__")


class UnsupportedTransformError(ValueError):
    """A transform or parameter in an Albumentations config that has no Kornia mapping."""


def class_name(node: Mapping[str, Any], path: str) -> str:
    """Short class name of a transform dict; 1.x full paths (``albumentations.augmentations....Name``) allowed."""
    for key in CLASS_KEYS:
        if key in node:
            full = node[key]
            break
    else:
        raise ValueError(f"{path}: transform has no '__class_fullname__'")
    if not isinstance(full, str) or not full:
        raise ValueError(f"{path}: '__class_fullname__' must be a non-empty string, got {full!r}")
    parts = full.split(".")
    if len(parts) > 1 and parts[0] != "albumentations":
        raise UnsupportedTransformError(f"{path}: {full}: only albumentations classes are accepted")
    if not all(p.isidentifier() for p in parts):
        raise ValueError(f"{path}: invalid class name {full!r}")
    return parts[-1]


def plain(v: Any) -> Any:
    """``v`` as JSON data: string keys, lists for tuples (what ``A.from_dict`` reads back)."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


@dataclass
class Ctx:
    """Where we are in the config, and what to do with things we cannot map."""

    strict: bool
    path: str = "transform"
    dropped: list[str] = field(default_factory=list)
    generator: Any = None
    targets: tuple[str, ...] = ()  # "bbox_params" / "keypoint_params" when the config moves boxes / keypoints
    version: tuple[int, int, int] | None = None  # the config's __version__ (see versions.py); None: not known
    # "Name (path)" of each transform read so far that makes the image float32 (ToFloat, Normalize), in order
    float_from: list[str] = field(default_factory=list)

    def at(self, suffix: str) -> Ctx:
        return replace(self, path=f"{self.path}{suffix}")  # the lists stay shared

    @property
    def one_x(self) -> bool:
        """The config was written by Albumentations 1.x (its parameters keep their 1.x meanings)."""
        return self.version is not None and self.version < (2, 0, 0)

    @property
    def ax(self) -> bool:
        """The config was written by AlbumentationsX (after 2.0.8)."""
        return self.version is not None and self.version > (2, 0, 8)

    def unsupported(self, what: str) -> None:
        """Raise (strict) or warn and record (non-strict) that ``what`` at this path cannot be mapped."""
        msg = f"{self.path}: {what}"
        if self.strict:
            raise UnsupportedTransformError(msg)
        warnings.warn(f"dropped {msg}", UserWarning, stacklevel=3)
        self.dropped.append(msg)


def whole(v: Any) -> Any:
    """A float that is a whole number as an ``int`` (YAML/JSON writers may store ``224.0``); anything else as is."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


class Args:
    """A transform's parameters, read by key; remembers which keys were read."""

    def __init__(self, name: str, params: Mapping[str, Any], ctx: Ctx):
        self.name, self.ctx = name, ctx
        self.params = {k: v for k, v in params.items() if k not in CLASS_KEYS}
        self.used: set[str] = set()
        self.where = f"{ctx.path}: {name}"

    # -- reading ------------------------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.params and self.params[key] is not None

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        v = self.params.get(key, default)
        return default if v is None else v

    def whole(self, key: str, default: Any = None) -> Any:
        """:meth:`raw`, with a whole-number float as an ``int``; the op it is passed to checks it."""
        return whole(self.raw(key, default))

    # -- reading a value the builder computes with, checked by kornia_diffaug._validate ----------------------------
    def checked(self, check: Callable[..., Any], key: str, value: Any, *bounds: Any) -> Any:
        """``check(key, value, *bounds)``; its ``TypeError``/``ValueError`` becomes a ``ValueError`` naming the
        config path (the adapter's one error type for a bad config)."""
        try:
            return check(key, value, *bounds)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{self.where}: {e}") from None

    def number(self, key: str, default: float, lo: float = -math.inf, hi: float = math.inf) -> float:
        return self.checked(check_number, key, self.raw(key, default), lo, hi)

    def integer(self, key: str, default: int | None, lo: float = 0) -> int:
        return self.checked(check_int, key, self.whole(key, default), lo)

    def boolean(self, key: str, default: bool) -> bool:
        return self.checked(check_bool, key, self.raw(key, default))

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        return self.checked(check_choice, key, self.raw(key, default), allowed)

    def range(self, key: str, default: Any, lo: float = -math.inf, hi: float = math.inf,
              scalar: str = "sym", bias: float = 0.0, low: float | None = None) -> tuple[float, float]:
        """A ``(low, high)`` pair of floats. A bare number ``v`` becomes ``(-v, v)`` (``scalar="sym"``),
        ``(1-v, 1+v)`` clipped at 0 (``"factor"``), ``(v, v)`` (``"same"``) or ``(low, v)`` (``"upper"``;
        ``low`` defaults to the default's low end); then ``bias`` is added (Albumentations' 1.x ``scale_limit`` is
        relative to 1).

        ``lo``/``hi`` bound the pair only where the op it goes to cannot (a value the builder converts first)."""
        v = self.raw(key, default)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            x = self.checked(check_number, key, v)
            if scalar == "sym":
                v = (-abs(x), abs(x))
            elif scalar == "factor":
                x = self.checked(check_number, key, x, 0)  # a factor's spread: 1 - x would flip the pair
                v = (max(0.0, 1 - x), 1 + x)
            elif scalar == "upper":
                v = (default[0] if low is None else low, x)
            else:
                v = (x, x)
        low, high = self.checked(check_range, key, v, lo, hi)
        return float(low) + bias, float(high) + bias

    # -- what was not read ---------------------------------------------------------------------------------------
    def leftovers(self, ignorable: Mapping[str, Any]) -> None:
        """Report parameters that were neither read nor harmless (``ignorable`` maps a name to the values that
        change nothing, or ``...`` for any value)."""
        for key, value in self.params.items():
            if key in self.used or key in ("p", "always_apply"):
                continue
            ok = ignorable.get(key, None)
            if ok is ... or (key in ignorable and (value is None or value in ok)):
                continue
            self.ctx.unsupported(f"{self.name}: parameter {key}={value!r} is not supported")


# ----------------------------------------------------------------------------------------- the Compose's params
def parse_bbox_params(bp: dict[str, Any], ctx: Ctx) -> BoxRules:
    """``bbox_params`` (format already checked) as the rules :class:`.targets.AlbumentationsPipeline` applies."""
    a = Args("bbox_params", bp, ctx)
    a.raw("format")
    ratio = a.raw("max_accept_ratio")
    if ratio is not None:
        ratio = a.number("max_accept_ratio", 1.0, 1.0)
    rules = BoxRules(format=bp["format"], min_area=a.number("min_area", 0.0, 0),
                     min_visibility=a.number("min_visibility", 0.0, 0, 1), min_width=a.number("min_width", 0.0, 0),
                     min_height=a.number("min_height", 0.0, 0), max_accept_ratio=ratio, clip=a.boolean("clip", False),
                     check_each_transform=a.boolean("check_each_transform", True))
    # Input boxes with no area are padding for a batch (Albumentations raises on them unless it filters them).
    a.boolean("filter_invalid_bboxes", False)
    a.leftovers({"label_fields": ...})  # labels stay aligned by index: the caller keeps them
    return rules


def parse_keypoint_params(kp: dict[str, Any], ctx: Ctx) -> KeypointRules:
    """``keypoint_params`` (format already checked) as the rules the pipeline applies."""
    a = Args("keypoint_params", kp, ctx)
    a.raw("format")
    a.boolean("angle_in_degrees", True)  # no angles in 'xy'
    rules = KeypointRules(remove_invisible=a.boolean("remove_invisible", True),
                          check_each_transform=a.boolean("check_each_transform", True))
    a.leftovers({"label_fields": ...})
    return rules
