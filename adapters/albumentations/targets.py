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

__all__ = ["BoxRules", "KeypointRules", "boxes_after_holes", "boxes_from_pixels", "boxes_to_pixels", "clip_boxes",
           "filter_boxes", "keypoints_outside_holes", "unpad", "visible_keypoints"]

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


def boxes_after_holes(xyxy: torch.Tensor, valid: torch.Tensor, holes: torch.Tensor, applied: torch.Tensor,
                      r: BoxRules) -> tuple[torch.Tensor, torch.Tensor]:
    """What a dropout (``CoarseDropout``, ``GridDropout``) does to pixel ``xyxy`` boxes ``(B, N, 4)``:
    Albumentations' ``filter_bboxes_by_holes`` then ``resize_boxes_to_visible_area`` on the samples where the op
    ran (``applied`` ``(B,)`` bool) with at least one hole pixel in ``holes`` ``(B, H, W)``.

    On the box truncated to whole pixels (after Albumentations' float32 round trip), of area ``A``, with ``I``
    hole pixels inside: kept when ``A - I >= min_area``, ``(A - I) / A >= min_visibility`` and ``A - I > 0``; a
    kept box becomes the bounding rectangle of its visible pixels (integer edges, as in Albumentations, also for a
    box no hole touches)."""
    b, h, w = holes.shape
    dev = xyxy.device
    hm = holes.to(dev, torch.int32)
    run = applied.to(dev).bool() & hm.flatten(1).any(1)
    # Albumentations keeps boxes normalised in float32 and denormalises them in float64 before ``astype(int)``:
    # 17 / 48 in float32, times 48, is 16.9999995, which truncates to 16. The same round trip here.
    scale = torch.tensor([w, h, w, h], dtype=torch.float64, device=dev)
    bi = ((xyxy.double() / scale).float().double() * scale).trunc().long()
    x1, x2 = bi[..., 0].clamp(0, w), bi[..., 2].clamp(0, w)
    y1, y2 = bi[..., 1].clamp(0, h), bi[..., 3].clamp(0, h)
    area = ((bi[..., 2] - bi[..., 0]) * (bi[..., 3] - bi[..., 1])).to(xyxy.dtype)
    integral = torch.nn.functional.pad(hm.cumsum(1).cumsum(2), (1, 0, 1, 0)).flatten(1)  # (B, (H+1)(W+1))

    def at(yy: torch.Tensor, xx: torch.Tensor) -> torch.Tensor:
        return integral.gather(1, (yy * (w + 1) + xx).flatten(1)).view_as(yy)

    inside = (at(y2, x2) - at(y1, x2) - at(y2, x1) + at(y1, x1)).to(xyxy.dtype)
    rest = area - inside
    keep = (rest >= r.min_area) & (rest / area >= r.min_visibility) & (rest > 0)  # 0 / 0 is NaN: dropped
    # Rows (columns) of each box with a visible pixel: fewer hole pixels in the row's span than its width.
    rows_c = torch.nn.functional.pad(hm.cumsum(2), (1, 0))  # (B, H, W + 1)
    cols_c = torch.nn.functional.pad(hm.transpose(1, 2).cumsum(2), (1, 0))  # (B, W, H + 1)
    n = xyxy.shape[1]
    row_holes = rows_c.gather(2, x2.unsqueeze(1).expand(b, h, n)) - rows_c.gather(2, x1.unsqueeze(1).expand(b, h, n))
    col_holes = cols_c.gather(2, y2.unsqueeze(1).expand(b, w, n)) - cols_c.gather(2, y1.unsqueeze(1).expand(b, w, n))
    ys = torch.arange(h, device=dev).view(1, h, 1)
    xs = torch.arange(w, device=dev).view(1, w, 1)
    vis_r = (row_holes < (x2 - x1).unsqueeze(1)) & (ys >= y1.unsqueeze(1)) & (ys < y2.unsqueeze(1))  # (B, H, N)
    vis_c = (col_holes < (y2 - y1).unsqueeze(1)) & (xs >= x1.unsqueeze(1)) & (xs < x2.unsqueeze(1))  # (B, W, N)

    def first_last(vis: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        first = vis.int().argmax(1)
        last = length - 1 - vis.flip(1).int().argmax(1)
        return first, last + 1

    ny1, ny2 = first_last(vis_r, h)
    nx1, nx2 = first_last(vis_c, w)
    visible = torch.stack([nx1, ny1, nx2, ny2], -1).to(xyxy.dtype)
    on = run.view(-1, 1)
    new_valid = torch.where(on, valid & keep, valid)
    out = torch.where((on & new_valid).unsqueeze(-1), visible, xyxy)
    return out.masked_fill(~new_valid.unsqueeze(-1), 0.0), new_valid


def keypoints_outside_holes(xy: torch.Tensor, holes: torch.Tensor, applied: torch.Tensor) -> torch.Tensor:
    """``(B, M)`` bool: keypoints ``(B, M, 2)`` not inside a hole of ``holes`` ``(B, H, W)`` where the dropout
    ran (``applied`` ``(B,)``); Albumentations' ``filter_keypoints_in_holes`` (holes have integer edges, so a point
    is inside exactly when the pixel ``(floor(y), floor(x))`` is a hole pixel)."""
    b, h, w = holes.shape
    dev = xy.device
    x, y = xy[..., 0], xy[..., 1]
    ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)  # NaN (removed) points are not in the image either
    xi = torch.where(ok, x, 0).floor().long().clamp(0, w - 1)
    yi = torch.where(ok, y, 0).floor().long().clamp(0, h - 1)
    hit = holes.to(dev).flatten(1).gather(1, yi * w + xi) & ok
    return ~(hit & applied.to(dev).bool().view(-1, 1))


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
