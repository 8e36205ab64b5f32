"""Config -> pipeline: :func:`from_albumentations`, and the walk it does.

:func:`load_config` reads the config (a dict, JSON text, a ``.json``/``.yaml``/``.yml`` file, or an
Albumentations ``Compose``) into plain data; then every node is read (``parse.py``), a container becomes a
per-sample container of ``kornia_diffaug.ops.albu``, and a transform is looked up in :data:`.table.TABLE` and
built by its row's builder (``builders*.py``); a builder's or op's error for a bad value becomes a
``ValueError`` naming the config path. The ``Compose``'s ``bbox_params``/``keypoint_params`` become the data
keys and the rules of the returned :class:`.pipeline.AlbumentationsPipeline`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

from kornia_diffaug.ops.albu import (
    PerSampleOneOf,
    PerSampleSequential,
    PerSampleSomeOf,
)
from kornia_diffaug.ops.albu.shuffle import AlbuRandomGridShuffle

from .builders import flag_off
from .parse import Args, Ctx, UnsupportedTransformError, class_name, parse_bbox_params, parse_keypoint_params, plain
from .pipeline import AlbumentationsPipeline
from .sizes import group_by_size, required_input_size
from .table import CONTAINERS, FLOAT_OUTPUT, TABLE, float_safe
from .targets import BoxRules, KeypointRules
from .versions import AX_NEUTRAL, Version, parse_version, to_2_0

__all__ = ["MAX_DEPTH", "conversion_report", "from_albumentations", "load_config"]

MAX_DEPTH = 64  # nesting levels of dicts/lists accepted in a config (a real pipeline needs fewer than 10)
_BOX_KEYS = {"pascal_voc": "bbox_xyxy", "coco": "bbox_xywh", "yolo": "bbox_xyxy", "albumentations": "bbox_xyxy"}
_NO_BOXES = (AlbuRandomGridShuffle,)  # the distortions move boxes as Albumentations does; a tile shuffle cannot


# ----------------------------------------------------------------------------------------------- reading
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
    return _read_config(config)[0]


def _version_of(top: Mapping[str, Any], written: Any) -> Version | None:
    """The config's ``__version__``; without one, a dotted 1.x class path at the top (``albumentations.core.
    composition.Compose``: 2.x writes bare names) marks a 1.x config."""
    v = parse_version(written)
    if v is None and written is not None:
        return None
    full = next((top[k] for k in ("__class_fullname__", "transform_name", "__type__") if k in top), None)
    if v is None and isinstance(full, str) and full.startswith("albumentations."):
        return (1, 0, 0)
    return v


def _read_config(config: Any) -> tuple[dict[str, Any], Version | None]:
    """:func:`load_config`, and the version that wrote the config (see ``versions.py``)."""
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
    written = data.get("__version__")
    if "transform" in data:
        data = data["transform"]
        if not isinstance(data, Mapping):
            raise ValueError(f"config['transform'] must be an object, got {type(data).__name__}")
    return dict(data), _version_of(data, written)


# ----------------------------------------------------------------------------------------------- building
def _build_node(node: Any, ctx: Ctx) -> nn.Module | None:
    if not isinstance(node, dict):
        raise ValueError(f"{ctx.path}: a transform must be an object, got {type(node).__name__}")
    name = class_name(node, ctx.path)
    if name in CONTAINERS:
        module = _build_container(name, node, ctx)
        module._albumentations_path = ctx.path  # type: ignore[assignment]
        module._albumentations_name = name  # type: ignore[assignment]
        return module
    entry = TABLE.get(name)
    if entry is None:
        ctx.unsupported(_WHY_NOT.get(name, name))
        return None
    fused = node.get("_fused") if name == "RandomSizedBBoxSafeCrop" else None
    if fused is not None:
        node = {k: v for k, v in node.items() if k != "_fused"}
    node, why = to_2_0(name, node, ctx.version)
    if why is not None:
        ctx.unsupported(f"{name}: {why}")
        return None
    if ctx.float_from and not float_safe(name, node):
        ctx.unsupported(f"{name} after {ctx.float_from[0]}: Albumentations runs it on a float32 image, "
                        "where its fills, clipping and level units differ from uint8's")
        return None
    a = Args(name, node, ctx)
    with _config_error(a):
        module = entry.build(entry.op, a)
    a.leftovers(entry.ignorable)
    if name in FLOAT_OUTPUT:
        ctx.float_from.append(f"{name} ({ctx.path})")
    module._albumentations = {"__class_fullname__": name, **plain(a.params)}  # type: ignore[assignment]
    module._albumentations_path = ctx.path  # type: ignore[assignment]  # data crops are checked by it too
    if fused is not None:
        module._albumentations_fused = fused  # type: ignore[assignment]
    return module


@contextmanager
def _config_error(a: Args) -> Iterator[None]:
    """Turn a builder's or an op constructor's ``TypeError``/``ValueError`` into a ``ValueError`` that names the
    config path and the transform (``transform.transforms[2]: GaussianBlur: sigma_limit must ...``)."""
    try:
        yield
    except UnsupportedTransformError:
        raise
    except (TypeError, ValueError) as e:
        msg = str(e)
        raise ValueError(msg if msg.startswith(a.ctx.path) else f"{a.where}: {msg}") from None


# Transforms refused whatever their parameters, with why.
_WHY_NOT = {
    "BBoxSafeRandomCrop": "BBoxSafeRandomCrop: its output size depends on each image's boxes, so a batch of one "
                          "size cannot hold its outputs; it loads when a Resize follows it directly (together "
                          "they are RandomSizedBBoxSafeCrop)",
}

_RESIZE_KEYS = {"height", "width", "interpolation", "mask_interpolation", "area_for_downscale", "p", "always_apply",
                "__class_fullname__"}


def _short(t: Any) -> str | None:
    """``class_name`` of ``t``, or None where it is not a valid transform (the build reports that, with its path)."""
    try:
        return class_name(t, "") if isinstance(t, dict) else None
    except (ValueError, UnsupportedTransformError):
        return None


def _is_one(t: dict, default: float) -> bool:
    return t.get("always_apply") is True or t.get("p", default) == 1


def _fused_bbox_safe(crop: dict, resize: dict) -> dict | None:
    """``BBoxSafeRandomCrop`` then ``Resize`` (both applied) is Albumentations' ``RandomSizedBBoxSafeCrop``
    (which subclasses the first and resizes its crop): one row of the table, whose output has one size."""
    if not (_is_one(crop, 1.0) and _is_one(resize, 1.0)) or set(resize) - _RESIZE_KEYS:
        return None
    if resize.get("area_for_downscale") is not None or resize.get("mask_interpolation", 0) != 0:
        return None
    return {"__class_fullname__": "RandomSizedBBoxSafeCrop", "p": 1.0, "height": resize.get("height"),
            "width": resize.get("width"), "erosion_rate": crop.get("erosion_rate", 0.0),
            "interpolation": resize.get("interpolation", 1), "_fused": "BBoxSafeRandomCrop + Resize"}


def _children(node: dict, ctx: Ctx) -> tuple[list[nn.Module], list[float]]:
    ts = node.get("transforms")
    if not isinstance(ts, list):
        raise ValueError(f"{ctx.path}: 'transforms' must be a list, got {type(ts).__name__}")
    mods, weights = [], []
    skip = -1
    for i, t in enumerate(ts):
        if i == skip:
            continue
        sub = ctx.at(f".transforms[{i}]")
        if _short(t) == "BBoxSafeRandomCrop" and i + 1 < len(ts) and _short(ts[i + 1]) == "Resize":
            fused = _fused_bbox_safe(t, ts[i + 1])
            if fused is not None:
                t, skip = fused, i + 1
        m = _build_node(t, sub)
        if m is not None:
            mods.append(m)
            weights.append(_weight(t, m))
    return mods, weights


def _weight(t: Any, m: nn.Module) -> float:
    """A ``OneOf``/``SomeOf`` child's weight: its ``p`` (Albumentations normalises the children's ``p``). A child
    written without ``p`` weighs its own default, the ``p`` its builder gave it (0.5 with 1.x ``always_apply``,
    which forces the op but leaves ``p`` at 0.5)."""
    w = t.get("p") if isinstance(t, dict) else None
    if w is None and isinstance(t, dict) and t.get("always_apply") is True:
        w = 0.5
    if w is None:
        w = getattr(m, "p", 0.5)
    return float(w) if isinstance(w, (int, float)) and not isinstance(w, bool) else 0.5


# Each container's own default ``p`` (Albumentations 1.x and 2.x constructors alike), used when a config leaves
# ``p`` out. (``A.from_dict`` itself writes 0.5 for every transform without ``p`` but Compose and Sequential,
# with a warning; we follow the constructors, as for every other transform.)
CONTAINER_P = {"Compose": 1.0, "ReplayCompose": 1.0, "Sequential": 0.5, "OneOf": 0.5, "SomeOf": 1.0}


def _build_container(name: str, node: dict, ctx: Ctx) -> nn.Module:
    a = Args(name, node, ctx)
    p = a.number("p", CONTAINER_P[name], 0, 1)
    mods, weights = _children(node, ctx)
    if name in ("Compose", "Sequential"):  # children in turn: segments whose sizes branch run per group
        mods = group_by_size(mods, ctx, top=False)
    a.used.add("transforms")
    gen = ctx.generator
    with _config_error(a):  # the containers check their own arguments (n, weights)
        if name in ("Compose", "ReplayCompose"):  # ReplayCompose's replay: the pipeline's own params
            # Compose(mask_interpolation=k) sets every child's mask interpolation; masks here are resampled
            # nearest (0), as a child's own mask_interpolation != 0 is refused too.
            flag_off(a, "mask_interpolation", 0)
            a.used.update(("bbox_params", "keypoint_params", "additional_targets", "is_check_shapes", "strict",
                           "seed", "save_applied_params", "save_key"))
            a.leftovers(AX_NEUTRAL["Compose"] if ctx.ax else {})
            if (p < 1 or ctx.path != "transform") and mods:  # a nested Compose is a Sequential
                return PerSampleSequential(*mods, p=p, generator=gen)
            return nn.Sequential(*mods)
        if not mods:
            return nn.Identity()
        if name == "OneOf":
            a.leftovers({})
            return PerSampleOneOf(*mods, weights=weights, p=p, generator=gen)
        if name == "SomeOf":
            n = a.whole("n", 1)
            rep = a.boolean("replace", False)
            a.leftovers({})
            if ctx.one_x and not (n == 1 and all(w == 1 for w in weights)):
                # 1.x's SomeOf draws its n children weighted by their p, forces them and applies them in the order
                # drawn; 2.x's (ours) draws uniformly, applies each with its own p, in the listed order. They agree
                # only for one child drawn among children of p = 1.
                ctx.unsupported(f"SomeOf: n={n} with children's p {weights} in a {'.'.join(map(str, ctx.version))} "
                                "config (1.x draws children weighted by p, forces them and applies them in the "
                                "order drawn; 2.x draws uniformly and applies each with its p in the listed order)")
                return nn.Identity()
            return PerSampleSomeOf(*mods, n=n, replace=rep, p=p, generator=gen)
        a.leftovers({})
        return PerSampleSequential(*mods, p=p, generator=gen)


def _data_keys(top: dict, ctx: Ctx) -> tuple[list[str], dict[str, Any], BoxRules | None, KeypointRules | None]:
    keys, info = ["input"], {}
    box_rules = kp_rules = None
    bp = top.get("bbox_params")
    if bp is not None:
        if not isinstance(bp, dict) or not isinstance(bp.get("format"), str):
            raise ValueError(f"{ctx.path}.bbox_params: must be an object with a 'format' string")
        fmt = bp["format"]
        if fmt not in _BOX_KEYS:
            ctx.at(".bbox_params").unsupported(f"bbox format {fmt!r} (supported: {sorted(_BOX_KEYS)})")
        else:
            box_rules = parse_bbox_params(bp, ctx.at(".bbox_params"))
            keys.append(_BOX_KEYS[fmt])
            info["bbox_format"] = fmt
    kp = top.get("keypoint_params")
    if kp is not None:
        if not isinstance(kp, dict) or not isinstance(kp.get("format"), str):
            raise ValueError(f"{ctx.path}.keypoint_params: must be an object with a 'format' string")
        if kp["format"] != "xy":
            ctx.at(".keypoint_params").unsupported(f"keypoint format {kp['format']!r} (supported: 'xy')")
        else:
            kp_rules = parse_keypoint_params(kp, ctx.at(".keypoint_params"))
            keys.append("keypoints")
            info["keypoint_format"] = "xy"
    return keys, info, box_rules, kp_rules


def from_albumentations(config: Any, *, strict: bool = True, generator: torch.Generator | None = None) -> nn.Module:
    """Build a Kornia ``AugmentationSequential`` that does what the Albumentations ``config`` does.

    Args:
        config: a dict (``A.to_dict`` output, 2.x or 1.x), a JSON string, a ``.json``/``.yaml``/``.yml`` path, or
            an Albumentations ``Compose``.
        strict: raise :class:`UnsupportedTransformError` naming the path of anything that cannot be mapped;
            ``False`` drops it with a warning (listed in ``pipeline.albumentations_dropped``).
        generator: ``torch.Generator`` for every draw of the pipeline (ops and containers, Kornia's own flips,
            grayscale, channel shuffle and invert included): the same seed gives the same pipeline output.
            ``None``: torch's global RNG.

    Returns:
        :class:`AlbumentationsPipeline` (an ``AugmentationSequential``) on float ``(B, C, H, W)`` images in
        [0, 1]; its ``data_keys`` come from the config's ``bbox_params`` (``pascal_voc``/``coco`` in pixels;
        ``yolo``/``albumentations`` convert with :func:`boxes_to_pixels` first) and ``keypoint_params``
        (``xy``). Boxes and keypoints come back padded as they went in, ``(B, N, 4)`` / ``(B, M, 2)``, clipped
        and filtered as the params say; ``pipeline.albumentations_valid["bboxes"]`` / ``["keypoints"]`` are the
        ``(B, N)`` masks of the kept ones (removed boxes are zeros, removed keypoints NaN) and :func:`unpad`
        turns them, with labels, into per-sample lists. Masks: pass ``data_keys=[..., "mask"]``.
    """
    if not isinstance(strict, bool):
        raise ValueError(f"strict must be True or False, got {strict!r}")
    top, version = _read_config(config)
    ctx = Ctx(strict=strict, generator=generator, version=version)
    name = class_name(top, ctx.path)
    if name not in CONTAINERS:  # a bare transform at the top level
        top = {"__class_fullname__": "Compose", "p": 1.0, "transforms": [top]}
    keys, info, box_rules, kp_rules = _data_keys(top, ctx)
    ctx.targets = tuple(k for k, r in (("bbox_params", box_rules), ("keypoint_params", kp_rules)) if r is not None)
    root = _build_node(top, ctx)
    if any(k.startswith("bbox") for k in keys):  # under strict=False the shuffle is kept and the boxes dropped
        bad = [type(m).__name__ for m in root.modules() if isinstance(m, _NO_BOXES)]
        if bad:
            ctx.at(".bbox_params").unsupported(f"boxes through {', '.join(sorted(set(bad)))} (Albumentations cuts "
                                               "a box into one box per tile piece, which changes their number; "
                                               "keypoints and masks do follow)")
            keys = [k for k in keys if not k.startswith("bbox")]
            info.pop("bbox_format", None)
    if box_rules is not None and box_rules.check_each_transform and (
            box_rules.min_area or box_rules.min_width or box_rules.min_height):
        for m in [m for m in root.modules() if getattr(m, "_albumentations_fused", None)]:
            # Albumentations filters the boxes between the crop and the resize too, in the crop's pixels.
            dataclasses.replace(ctx, path=m._albumentations_path).unsupported(
                f"{m._albumentations_fused} with bbox_params min_area/min_width/min_height (Albumentations also "
                "filters the boxes between the two, at the crop's size)")
    mods = list(root.children()) if type(root) is nn.Sequential else [root]
    mods = group_by_size(mods, ctx, top=True)
    if not mods:
        mods = [nn.Identity()]
    pipe = AlbumentationsPipeline(*mods, data_keys=keys, bbox_rules=box_rules, keypoint_rules=kp_rules)
    pipe.albumentations_dropped = list(ctx.dropped)
    pipe.albumentations_input_size = required_input_size(mods)
    pipe.albumentations_targets = info
    pipe.albumentations_compose = {k: plain(top[k]) for k in ("bbox_params", "keypoint_params") if top.get(k)}
    return pipe


def conversion_report(config: Any) -> str:
    """Human-readable result of converting ``config`` (non-strict): the pipeline, then anything dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = from_albumentations(config, strict=False)
    lines = [repr(pipe)]
    dropped = pipe.albumentations_dropped
    lines.append("Unsupported (dropped): none" if not dropped else "Unsupported (dropped):")
    lines += [f"  - {d}" for d in dropped]
    return "\n".join(lines)
