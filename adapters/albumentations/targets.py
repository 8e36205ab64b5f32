"""What Albumentations' ``Compose`` does to boxes and keypoints, as tensor maths: the rules (:class:`BoxRules`,
:class:`KeypointRules`, read from a config by ``parse.py``), the checks (:func:`filter_boxes`,
:func:`clip_boxes`, :func:`visible_keypoints`), :func:`unpad`, and the box format conversions
(:func:`boxes_to_pixels`, :func:`boxes_from_pixels`). ``pipeline.py`` runs the checks between transforms.

Albumentations 2.0.8 (``core/bbox_utils.py``, ``core/keypoints_utils.py``, ``core/composition.py``):

- boxes: after every transform (``check_each_transform=True``, the default; else only at the end) each box is
  clipped to the image and kept when ``area >= min_area``, ``clipped area / area before clipping >=
  min_visibility`` (the box as that transform left it), clipped ``width >= min_width``, ``height >= min_height``
  (pixels) and ``max(w/h, h/w) <= max_accept_ratio``; ``clip=True`` also clips the input boxes.
  ``Affine``/``Rotate``/``ShiftScaleRotate``/``SafeRotate`` drop boxes left wholly outside the image.
- keypoints: with ``remove_invisible=True`` (the default), points outside ``0 <= x < W, 0 <= y < H`` are
  removed after every transform (``check_each_transform``) or at the end.

A batch keeps its padded shape: ``(B, N, 4)`` boxes and ``(B, M, 2)`` keypoints come back with the same ``N``
and ``M``, each entry where it was (so labels stay aligned by index), and the pipeline's
``albumentations_valid`` holds the ``(B, N)`` / ``(B, M)`` masks of the entries Albumentations would have kept.
Removed boxes are zeros (Kornia's padding) and removed keypoints NaN, so neither can pass for a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["BoxRules", "KeypointRules", "boxes_from_pixels", "boxes_to_pixels", "clip_boxes", "filter_boxes",
           "unpad", "visible_keypoints"]

_EPS = 1e-7  # Albumentations' epsilon in filter_bboxes


# ----------------------------------------------------------------------------------------------- the rules
@dataclass(frozen=True)
class BoxRules:
    """``bbox_params`` as Albumentations applies them (thresholds in pixels)."""

    format: str = "pascal_voc"
    min_area: float = 0.0
    min_visibility: float = 0.0
    min_width: float = 0.0
    min_height: float = 0.0
    max_accept_ratio: float | None = None
    clip: bool = False
    check_each_transform: bool = True


@dataclass(frozen=True)
class KeypointRules:
    """``keypoint_params`` as Albumentations applies them."""

    remove_invisible: bool = True
    check_each_transform: bool = True


# ----------------------------------------------------------------------------------------------- the maths
def filter_boxes(xyxy: torch.Tensor, valid: torch.Tensor, size: tuple[int, int], r: BoxRules
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """Albumentations' ``filter_bboxes`` on pixel ``xyxy`` ``(B, N, 4)``: the clipped boxes and the kept mask.

    A box clipped to no area is dropped at once; Albumentations keeps it until its next check (the end of the
    pipeline at the latest), where its zero area removes it, so the two differ only if a later transform could
    grow a zero-area box, which no mapped transform does to one lying on the border."""
    h, w = size
    x1, y1, x2, y2 = xyxy.unbind(-1)
    area = (x2 - x1) * (y2 - y1)
    cx1, cx2 = x1.clamp(0, w), x2.clamp(0, w)
    cy1, cy2 = y1.clamp(0, h), y2.clamp(0, h)
    cw, ch = cx2 - cx1, cy2 - cy1
    c_area = cw * ch
    keep = ((area >= _EPS) & (c_area > 0) & (c_area >= r.min_area - _EPS)
            & (c_area / (area + _EPS) >= r.min_visibility) & (cw >= r.min_width - _EPS) & (ch >= r.min_height - _EPS))
    if r.max_accept_ratio is not None:
        keep = keep & (torch.maximum(cw / (ch + _EPS), ch / (cw + _EPS)) <= r.max_accept_ratio)
    valid = valid & keep
    clipped = torch.stack([cx1, cy1, cx2, cy2], -1).masked_fill(~valid.unsqueeze(-1), 0.0)
    return clipped, valid


def clip_boxes(xyxy: torch.Tensor, valid: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """``clip=True`` on the input: clip to the image and drop boxes left with no area."""
    h, w = size
    lim = xyxy.new_tensor([w, h, w, h])
    c = torch.minimum(xyxy.clamp_min(0), lim)
    valid = valid & ((c[..., 2] - c[..., 0]) * (c[..., 3] - c[..., 1]) >= _EPS)
    return c.masked_fill(~valid.unsqueeze(-1), 0.0), valid


def visible_keypoints(xy: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    h, w = size
    x, y = xy[..., 0], xy[..., 1]
    return (x >= 0) & (x < w) & (y >= 0) & (y < h)


def unpad(values: torch.Tensor, valid: torch.Tensor, *aligned: Any) -> list[Any] | tuple[list[Any], ...]:
    """Per-sample lists of the kept entries of padded ``values`` ``(B, N, ...)`` under ``valid`` ``(B, N)``.

    ``aligned`` are labels (or scores, ids) for the same entries: ``(B, N, ...)`` tensors or length-``B``
    sequences of length-``N`` sequences; each comes back filtered the same way, so it stays aligned.

        >>> img, boxes, kps = pipe(x, boxes, kps)
        >>> boxes_i, labels_i = unpad(boxes, pipe.albumentations_valid["bboxes"], labels)

    Returns a list of ``B`` tensors, or a tuple of such lists (one per argument) when ``aligned`` is given.
    Reads the mask on the host (one sync); the padded tensor and mask are the batched, sync-free form.
    """
    if values.shape[:2] != valid.shape:
        raise ValueError(f"valid must have shape {tuple(values.shape[:2])} (B, N) to match values, got "
                         f"{tuple(valid.shape)}")
    keep = valid.bool().cpu()
    rows = [k.nonzero().flatten() for k in keep]
    outs = [[values[i][r.to(values.device)] for i, r in enumerate(rows)]]
    for j, lab in enumerate(aligned):
        if len(lab) != len(rows):
            raise ValueError(f"aligned[{j}] must hold {len(rows)} samples, got {len(lab)}")
        out = []
        for i, r in enumerate(rows):
            li = lab[i]
            if len(li) != keep.shape[1]:
                raise ValueError(f"aligned[{j}][{i}] must hold {keep.shape[1]} entries, got {len(li)}")
            out.append(li[r.to(li.device)] if isinstance(li, torch.Tensor) else [li[k] for k in r.tolist()])
        outs.append(out)
    return outs[0] if not aligned else tuple(outs)


# ----------------------------------------------------------------------------------------------- formats
def boxes_to_pixels(boxes: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """Convert ``(N, 4)`` boxes of Albumentations format ``fmt`` to pixel ``xyxy`` for an image of ``(H, W)``:
    ``yolo`` is normalised ``(cx, cy, w, h)``, ``albumentations`` normalised ``xyxy``."""
    h, w = size
    scale = torch.tensor([w, h, w, h], dtype=boxes.dtype, device=boxes.device)
    if fmt == "yolo":
        cx, cy, bw, bh = boxes.unbind(-1)
        return torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1) * scale
    if fmt == "albumentations":
        return boxes * scale
    if fmt == "pascal_voc":
        return boxes
    if fmt == "coco":
        x, y, bw, bh = boxes.unbind(-1)
        return torch.stack([x, y, x + bw, y + bh], -1)
    raise ValueError(f"unknown bbox format {fmt!r}; use pascal_voc, coco, yolo or albumentations")


def boxes_from_pixels(boxes: torch.Tensor, fmt: str, size: tuple[int, int]) -> torch.Tensor:
    """The inverse of :func:`boxes_to_pixels`: pixel ``xyxy`` boxes ``(..., 4)`` of an ``(H, W)`` image (the
    pipeline's output size) in Albumentations format ``fmt``. Removed (zero) boxes stay zero."""
    h, w = size
    scale = torch.tensor([w, h, w, h], dtype=boxes.dtype, device=boxes.device)
    if fmt == "yolo":
        x1, y1, x2, y2 = (boxes / scale).unbind(-1)
        return torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)
    if fmt == "albumentations":
        return boxes / scale
    if fmt == "pascal_voc":
        return boxes
    if fmt == "coco":
        x1, y1, x2, y2 = boxes.unbind(-1)
        return torch.stack([x1, y1, x2 - x1, y2 - y1], -1)
    raise ValueError(f"unknown bbox format {fmt!r}; use pascal_voc, coco, yolo or albumentations")
