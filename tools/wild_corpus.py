"""The corpus of real Albumentations configs in ``tests/adapters/wild/``: listing, metadata, and a batch for each.

Used by ``tests/adapters/test_albu_wild.py`` and ``tools/wild_report.py``. ``SOURCES.md`` there is the one home
of each file's metadata (repository, path, era, task); this module reads its table. A config is data: it is read
with ``json``/``yaml.safe_load`` and never executed.

A batch for a config: ``2 x C x H x W`` float32 images in [0, 1], at least ``96 x 128`` and large enough for every
fixed-size crop the config names (so a crop always fits), square where ``Transpose``/``RandomRotate90`` may
swap the sides, ``C = 1`` where the config normalises one channel; a
label mask for segmentation configs; pixel boxes in the config's ``bbox_params`` format (``yolo``/``albumentations``
go in through :func:`boxes_to_pixels`, as the adapter documents) with a zero row padding the second image; ``xy``
keypoints with a NaN row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from kornia_diffaug.adapters.albumentations import boxes_from_pixels, boxes_to_pixels

__all__ = ["CORPUS_DIR", "Batch", "Entry", "channels", "corpus", "input_size", "leaves", "make_batch", "read_config",
           "refusal_key", "run"]

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "adapters" / "wild"
MIN_H, MIN_W = 96, 128
TASKS = ("cls", "seg", "det", "kp")


@dataclass(frozen=True)
class Entry:
    """One corpus file and its row of ``SOURCES.md``."""

    path: Path
    repo: str
    source: str
    era: str
    task: str
    how: str

    @property
    def name(self) -> str:
        return self.path.name


def _rows(text: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        if line.startswith("| `"):
            yield [c.strip().strip("`") for c in line.strip().strip("|").split("|")]


def corpus(root: Path = CORPUS_DIR) -> list[Entry]:
    """Every config file of the corpus with its ``SOURCES.md`` row; a file without a row (or a row without a
    file) is an error, so the table cannot drift from the folder."""
    rows = {r[0]: r for r in _rows((root / "SOURCES.md").read_text(encoding="utf-8"))}
    files = sorted(p for p in root.iterdir() if p.suffix in (".json", ".yaml", ".yml"))
    missing = sorted({p.name for p in files} - set(rows))
    stale = sorted(set(rows) - {p.name for p in files})
    if missing or stale:
        raise ValueError(f"SOURCES.md out of step with {root}: no row for {missing}, no file for {stale}")
    out = []
    for p in files:
        _, repo, source, era, task, how = rows[p.name][:6]
        tasks = tuple(t.strip() for t in task.split("+"))
        if not set(tasks) <= set(TASKS):
            raise ValueError(f"SOURCES.md: {p.name}: task {task!r} not in {TASKS}")
        out.append(Entry(p, repo, source, era, task, how))
    return out


def read_config(path: Path) -> dict[str, Any]:
    """The config as plain data (the ``transform`` dict, wrapper removed)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text)
    else:
        data = json.loads(text)
    return data.get("transform", data)


def _short(node: dict[str, Any]) -> str:
    full = node.get("__class_fullname__") or node.get("transform_name") or node.get("__type__") or ""
    return str(full).split(".")[-1]


def leaves(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every transform dict under ``node`` (containers walked, not yielded)."""
    ts = node.get("transforms")
    if isinstance(ts, list):
        for t in ts:
            if isinstance(t, dict):
                yield from leaves(t)
    else:
        yield node


def _pair(v: Any) -> tuple[int, int] | None:
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
        return int(v[0]), int(v[1])
    return None


def input_size(cfg: dict[str, Any]) -> tuple[int, int]:
    """``(H, W)``: at least ``96 x 128``, and at least every fixed crop the config names (``RandomCrop``,
    ``CenterCrop``, ``Crop``'s far corner, ``RandomSizedCrop``'s largest height and its width ratio)."""
    h, w = MIN_H, MIN_W
    for t in leaves(cfg):
        name = _short(t)
        ch = cw = 0
        if name in ("RandomCrop", "CenterCrop", "CropNonEmptyMaskIfExists", "RandomCropNearBBox"):
            size = _pair(t.get("size"))
            ch, cw = size if size else (int(t.get("height") or 0), int(t.get("width") or 0))
        elif name == "Crop":
            ch, cw = int(t.get("y_max") or 0), int(t.get("x_max") or 0)
        elif name == "RandomSizedCrop":
            mm = _pair(t.get("min_max_height")) or (0, 0)
            ch, cw = mm[1], int(round(mm[1] * float(t.get("w2h_ratio") or 1.0)))
        h, w = max(h, ch), max(w, cw)
    if any(_short(t) in ("Transpose", "RandomRotate90") for t in leaves(cfg)):
        h = w = max(h, w)  # a batch keeps one size: sides that swap per image must be equal
    return h, w


def channels(cfg: dict[str, Any]) -> int:
    """1 where the config's ``Normalize`` has one mean and one std (a grayscale pipeline), else 3."""
    for t in leaves(cfg):
        if _short(t) == "Normalize":
            mean = t.get("mean")
            if isinstance(mean, (list, tuple)) and len(mean) == 1:
                return 1
    return 3


@dataclass
class Batch:
    """The arguments of one call: tensors in ``args`` under ``data_keys``; ``box_format`` is the config's."""

    args: list[torch.Tensor]
    data_keys: list[str]
    size: tuple[int, int]
    box_format: str | None = None
    kinds: list[str] = field(default_factory=list)  # "image", "mask", "boxes", "keypoints" per arg


def make_batch(pipe: Any, cfg: dict[str, Any], task: str, seed: int = 0) -> Batch:
    """The batch :func:`run` feeds ``pipe`` (loaded from ``cfg``); masks only for segmentation configs."""
    h, w = getattr(pipe, "albumentations_input_size", None) or input_size(cfg)
    c = channels(cfg)
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(2, c, h, w, generator=g)
    args, keys, kinds = [img], ["input"], ["image"]
    if "seg" in task.split("+"):
        mask = torch.zeros(2, 1, h, w)
        mask[:, :, h // 4 : h // 2, w // 3 : (2 * w) // 3] = 1.0
        mask[1, :, h // 2 :, : w // 4] = 2.0
        args.append(mask)
        keys.append("mask")
        kinds.append("mask")
    targets = getattr(pipe, "albumentations_targets", {})
    keyset = {str(getattr(k, "name", k)).lower() for k in pipe.data_keys}
    fmt = targets.get("bbox_format")
    if fmt is not None and keyset & {"bbox_xyxy", "bbox_xywh"}:
        px = torch.tensor([[[0.1, 0.15, 0.45, 0.6], [0.5, 0.3, 0.9, 0.85], [0.05, 0.7, 0.3, 0.95]],
                           [[0.2, 0.2, 0.7, 0.5], [0.6, 0.55, 0.95, 0.9], [0.0, 0.0, 0.0, 0.0]]])
        px = px * torch.tensor([w, h, w, h], dtype=torch.float32)
        native = boxes_from_pixels(px, fmt, (h, w))  # what the user holds, in the config's format
        if fmt == "coco":
            args.append(native)
            keys.append("bbox_xywh")
        else:
            args.append(boxes_to_pixels(native, fmt, (h, w)) if fmt in ("yolo", "albumentations") else native)
            keys.append("bbox_xyxy")
        kinds.append("boxes")
    if "keypoints" in keyset:
        kp = torch.tensor([[[10.0, 20.0], [w / 2, h / 2], [w - 5.0, h - 3.0], [3.0, h - 10.0]],
                           [[w / 3, h / 4], [w - 20.0, 15.0], [float("nan"), float("nan")], [w / 2, h - 1.0]]])
        args.append(kp)
        keys.append("keypoints")
        kinds.append("keypoints")
    return Batch(args, keys, (h, w), fmt, kinds)


def run(pipe: Any, batch: Batch, params: Any = None) -> list[torch.Tensor]:
    """``pipe`` on the batch (replaying ``params`` if given); the outputs as a list, one per argument."""
    out = pipe(*batch.args, data_keys=batch.data_keys, params=params)
    return [out] if isinstance(out, torch.Tensor) else list(out)


_PARAM = re.compile(r": (?P<name>[A-Za-z_][A-Za-z0-9_]*): (?:parameter )?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=")


def refusal_key(message: str) -> str:
    """``"Name"`` or ``"Name.parameter"`` (from ``"Name: parameter key=..."`` or ``"Name: key=... (why)"``) of an
    ``UnsupportedTransformError`` or dropped message; the path is left out, so a refusal counts once per config."""
    m = _PARAM.search(message)
    if m:
        return f"{m['name']}.{m['key']}"
    parts = message.split(": ")
    return parts[1] if len(parts) > 1 else message
