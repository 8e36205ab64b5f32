"""Reading Albumentations configs as plain data: loading, shape checks, path-aware parameter access.

Nothing named in a config is ever imported or called; class names are looked up in the adapter's table.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Args", "Ctx", "UnsupportedTransformError", "class_name", "load_config", "MAX_DEPTH"]

MAX_DEPTH = 64  # nesting levels of dicts/lists accepted in a config (a real pipeline needs fewer than 10)
_CLASS_KEYS = ("__class_fullname__", "transform_name", "__type__")


class UnsupportedTransformError(ValueError):
    """A transform or parameter in an Albumentations config that has no Kornia mapping."""


def _check_depth(obj: Any) -> None:
    """Iteratively bound the nesting depth, so absurd nesting is a ``ValueError``, not a ``RecursionError``."""
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"config nests deeper than {MAX_DEPTH} levels; refusing to read it")
        if isinstance(node, Mapping):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, depth + 1) for v in node)


def _parse_text(text: str, suffix: str) -> Any:
    if suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ValueError("reading YAML configs needs PyYAML: pip install pyyaml") from e
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"malformed YAML config: {e}") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"config nests deeper than {MAX_DEPTH} levels; refusing to read it") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"malformed JSON config: {e.msg} at line {e.lineno} column {e.colno}") from None


def load_config(config: Any) -> dict[str, Any]:
    """Return the top-level transform dict of ``config``: a dict (with or without the ``{"transform": ...}``
    wrapper that ``A.to_dict``/``A.save`` write), a JSON string, a path to ``.json``/``.yaml``/``.yml``, or an
    Albumentations object (serialised with its own ``to_dict``; only this case needs albumentations)."""
    if hasattr(config, "to_dict") and callable(config.to_dict) and not isinstance(config, Mapping):
        data: Any = config.to_dict()
    elif isinstance(config, Mapping):
        data = config
    elif isinstance(config, (str, os.PathLike)):
        text = os.fspath(config)
        if isinstance(config, str) and text.lstrip().startswith(("{", "[")):
            data = _parse_text(text, ".json")
        else:
            path = Path(text)
            if not path.is_file():
                raise ValueError(f"config file not found: {path}")
            suffix = path.suffix.lower()
            if suffix not in (".json", ".yaml", ".yml"):
                raise ValueError(f"config file must end in .json, .yaml or .yml, got {path.name!r}")
            data = _parse_text(path.read_text(encoding="utf-8"), suffix)
    else:
        raise ValueError(f"config must be a dict, a JSON string, a file path or an Albumentations Compose, "
                         f"got {type(config).__name__}")
    _check_depth(data)
    if not isinstance(data, Mapping):
        raise ValueError(f"config must be a JSON object at the top level, got {type(data).__name__}")
    if "transform" in data:
        data = data["transform"]
        if not isinstance(data, Mapping):
            raise ValueError(f"config['transform'] must be an object, got {type(data).__name__}")
    return dict(data)


def class_name(node: Mapping[str, Any], path: str) -> str:
    """Short class name of a transform dict; 1.x full paths (``albumentations.augmentations....Name``) allowed."""
    for key in _CLASS_KEYS:
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


@dataclass
class Ctx:
    """Where we are in the config, and what to do with things we cannot map."""

    strict: bool
    path: str = "transform"
    dropped: list[str] = field(default_factory=list)
    generator: Any = None
    targets: tuple[str, ...] = ()  # "bbox_params" / "keypoint_params" when the config moves boxes / keypoints

    def at(self, suffix: str) -> Ctx:
        return Ctx(self.strict, f"{self.path}{suffix}", self.dropped, self.generator, self.targets)

    def unsupported(self, what: str) -> None:
        """Raise (strict) or warn and record (non-strict) that ``what`` at this path cannot be mapped."""
        msg = f"{self.path}: {what}"
        if self.strict:
            raise UnsupportedTransformError(msg)
        warnings.warn(f"dropped {msg}", UserWarning, stacklevel=3)
        self.dropped.append(msg)


def _num(path: str, name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"{path}: {name} must be a number, got {v!r}")
    if not math.isfinite(v):
        raise ValueError(f"{path}: {name} must be finite, got {v!r}")
    return float(v)


class Args:
    """A transform's parameters with typed, path-aware getters; remembers which keys were read."""

    def __init__(self, name: str, params: Mapping[str, Any], ctx: Ctx):
        self.name, self.ctx = name, ctx
        self.params = {k: v for k, v in params.items() if k not in _CLASS_KEYS}
        self.used: set[str] = set()
        where = f"{ctx.path}: {name}"
        self.where = where

    def has(self, key: str) -> bool:
        return key in self.params and self.params[key] is not None

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        v = self.params.get(key, default)
        return default if v is None else v

    def number(self, key: str, default: float, lo: float = -math.inf, hi: float = math.inf) -> float:
        v = _num(self.where, key, self.raw(key, default))
        if not lo <= v <= hi:
            raise ValueError(f"{self.where}: {key} must lie in [{lo}, {hi}], got {v}")
        return v

    def integer(self, key: str, default: int | None, lo: int = 0) -> int:
        v = self.raw(key, default)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{self.where}: {key} must be an integer, got {v!r}")
        if v < lo:
            raise ValueError(f"{self.where}: {key} must be >= {lo}, got {v}")
        return v

    def integer_of(self, key: str, v: Any, lo: int = 1) -> int:
        """Check one integer element ``v`` of parameter ``key``."""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise ValueError(f"{self.where}: {key} must hold integers >= {lo}, got {v!r}")
        return v

    def boolean(self, key: str, default: bool) -> bool:
        v = self.raw(key, default)
        if not isinstance(v, bool):
            raise ValueError(f"{self.where}: {key} must be true or false, got {v!r}")
        return v

    def choice(self, key: str, default: Any, allowed: tuple[Any, ...]) -> Any:
        v = self.raw(key, default)
        if v not in allowed:
            raise ValueError(f"{self.where}: {key} must be one of {list(allowed)}, got {v!r}")
        return v

    def range(self, key: str, default: Any, lo: float = -math.inf, hi: float = math.inf,
              scalar: str = "sym", bias: float = 0.0) -> tuple[float, float]:
        """A ``(low, high)`` pair. A bare number ``v`` becomes ``(-v, v)`` (``scalar="sym"``), ``(1-v, 1+v)``
        clipped at 0 (``"factor"``), ``(v, v)`` (``"same"``) or ``(low_default, v)`` (``"upper"``); then ``bias``
        is added (Albumentations' 1.x ``scale_limit`` is relative to 1)."""
        v = self.raw(key, default)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            x = _num(self.where, key, v)
            if scalar == "sym":
                v = (-abs(x), abs(x))
            elif scalar == "factor":
                if x < 0:
                    raise ValueError(f"{self.where}: {key} must be >= 0, got {x}")
                v = (max(0.0, 1 - x), 1 + x)
            elif scalar == "upper":
                v = (default[0], x)
            else:
                v = (x, x)
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ValueError(f"{self.where}: {key} must be a number or a [low, high] pair, got {v!r}")
        a, b = (_num(self.where, key, t) + bias for t in v)
        if a > b:
            raise ValueError(f"{self.where}: {key} has low > high: {list(v)}")
        if a < lo or b > hi:
            raise ValueError(f"{self.where}: {key} must lie in [{lo}, {hi}], got {list(v)}")
        return a, b

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
