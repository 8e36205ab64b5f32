"""Data-driven crops (``RandomSizedBBoxSafeCrop``, ``CropNonEmptyMaskIfExists``) inside ``Compose`` /
``Sequential`` / ``OneOf`` / ``SomeOf``, against Albumentations 2.x itself: the crop is drawn from the boxes / mask
as the transforms before it *inside the container* left them.

Deterministic configs (a crop that must hold the whole image, a mask with one non-empty pixel in a corner) are
compared with Albumentations' own output. Random ones (``p < 1``, ``OneOf`` / ``SomeOf`` choices, the crop's draw)
are replayed per image: the transforms the pipeline applied to it, each data crop as the ``Crop`` of the window it
drew (then its resize), run by Albumentations; and the window must hold what Albumentations guarantees (every box,
or a non-empty mask pixel) of the targets as they reached the crop there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia.augmentation.container.params import ParamItem
from kornia_diffaug.adapters.albumentations import AlbumentationsPipeline, from_albumentations
from kornia_diffaug.adapters.albumentations.sizes import outcomes

from kornia_diffaug.ops.albu import PerSampleBranches, PerSampleOneOf

A = pytest.importorskip("albumentations")
from albumentations.core.bbox_utils import union_of_bboxes  # noqa: E402

BP = {"format": "pascal_voc", "label_fields": ["labels"]}
KP = {"format": "xy", "remove_invisible": False, "label_fields": ["kp_labels"]}
DATA_CROPS = ("RandomSizedBBoxSafeCrop", "CropNonEmptyMaskIfExists")


def T(name: str, **kw):  # noqa: N802 - reads as the Albumentations class it names
    return {"__class_fullname__": name, **kw}


def _config(transforms, boxes: bool = True, keypoints: bool = True) -> dict:
    top = T("Compose", p=1.0, transforms=transforms)
    if boxes:
        top["bbox_params"] = BP
    if keypoints:
        top["keypoint_params"] = KP
    return {"transform": top}


def _coords_image(h: int, w: int) -> np.ndarray:
    """Channel 0 holds x, channel 1 holds y, channel 2 x + y (uint8 levels): crops and flips show in the output."""
    u = np.zeros((h, w, 3), np.uint8)
    u[..., 0] = np.arange(w)[None, :]
    u[..., 1] = np.arange(h)[:, None]
    u[..., 2] = (np.arange(w)[None, :] + np.arange(h)[:, None]) % 256
    return u


def _albu(config: dict, u: np.ndarray, boxes=None, kps=None, mask=None) -> dict:
    """Albumentations' output for one image under ``config`` (its bbox/keypoint params are ``BP`` / ``KP``)."""
    data = {"image": u}
    if boxes is not None:
        data.update(bboxes=boxes, labels=list(range(len(boxes))))
    if kps is not None:
        data.update(keypoints=kps, kp_labels=list(range(len(kps))))
    if mask is not None:
        data["mask"] = mask
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.from_dict(config)(**data)


def _batch(u, n, boxes=None, kps=None, mask=None):
    args = [torch.from_numpy(u).permute(2, 0, 1).float().div(255)[None].repeat(n, 1, 1, 1)]
    keys = ["input"]
    if mask is not None:
        args.append(torch.from_numpy(mask).float()[None, None].repeat(n, 1, 1, 1))
        keys.append("mask")
    if boxes is not None:
        args.append(torch.tensor(boxes)[None].repeat(n, 1, 1))
        keys.append("bbox_xyxy")
    if kps is not None:
        args.append(torch.tensor(kps)[None].repeat(n, 1, 1))
        keys.append("keypoints")
    return args, keys


def _assert_like(ours: list[torch.Tensor], keys: list[str], pipe: AlbumentationsPipeline, i: int, ref: dict,
                 image_atol: float) -> None:
    """Sample ``i`` of the pipeline's outputs equals Albumentations' ``ref`` (the kept boxes, with their labels)."""
    for key, t in zip(keys, ours, strict=True):
        if key == "input":
            got = t[i].permute(1, 2, 0).double().numpy() * 255
            assert got.shape == ref["image"].shape, (got.shape, ref["image"].shape)
            np.testing.assert_allclose(got, ref["image"], rtol=0, atol=image_atol)
        elif key == "mask":
            np.testing.assert_array_equal(t[i, 0].numpy(), ref["mask"])
        elif key == "bbox_xyxy":
            valid = pipe.albumentations_valid["bboxes"][i]
            assert torch.nonzero(valid).flatten().tolist() == [int(v) for v in ref["labels"]]
            expect = np.asarray(ref["bboxes"], dtype=np.float64).reshape(-1, 4)
            np.testing.assert_allclose(t[i][valid].double().numpy(), expect, rtol=0, atol=1e-4)
        else:
            np.testing.assert_allclose(t[i].double().numpy(), np.asarray(ref["keypoints"])[:, :2], rtol=0, atol=1e-4)


# ------------------------------------------------------------------------------------- deterministic: parity
# One box, the window of the Crop below: after it, the whole image (a single box is not eroded). The crop without
# boxes would draw a height in [int(0.7 H), H] instead. Powers of two keep Albumentations' float32 normalised
# coordinates exact (its window edge is int(x_max * W), which a 0.99999994 would make one pixel short).
BOXES = [[16.0, 8.0, 112.0, 56.0]]
KPS = [[20.0, 10.0], [60.0, 50.0], [110.0, 30.0]]
BEFORE = [T("Crop", x_min=16, y_min=8, x_max=112, y_max=56, p=1.0), T("HorizontalFlip", p=1.0)]
SAFE = T("RandomSizedBBoxSafeCrop", height=24, width=32, erosion_rate=0.3, p=1.0)


def _wrapped(kind: str, children: list[dict]) -> dict:
    if kind == "Compose":
        return T("Compose", p=1.0, transforms=children)
    if kind == "Sequential":
        return T("Sequential", p=1.0, transforms=children)
    if kind == "OneOf":  # one child, chosen always: a Sequential inside
        return T("OneOf", p=1.0, transforms=[T("Sequential", p=1.0, transforms=children)])
    return T("SomeOf", n=1, p=1.0, transforms=[T("Sequential", p=1.0, transforms=children)])


@pytest.mark.parametrize("kind", ["Compose", "Sequential", "OneOf", "SomeOf"])
def test_bbox_safe_crop_reads_the_boxes_the_container_moved(kind):
    """After ``Crop`` the box is the whole image, so the crop (which must hold it) is the whole image: one outcome,
    as in Albumentations. Drawn from the boxes before the ``Crop``, or from none, it would be another window."""
    cfg = _config([_wrapped(kind, [*BEFORE, SAFE, T("VerticalFlip", p=1.0)]), T("Transpose", p=1.0)])
    u = _coords_image(64, 128)
    ref = _albu(cfg, u, BOXES, KPS)
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    args, keys = _batch(u, 4, BOXES, KPS)
    out = pipe(*args)
    for i in range(4):
        _assert_like(out, keys, pipe, i, ref, image_atol=1.01)  # cv2 rounds its resize to uint8


MASK_CROP = T("CropNonEmptyMaskIfExists", height=24, width=30, p=1.0)


def _corner_mask(h: int, w: int) -> np.ndarray:
    """One non-empty pixel, at the top-right corner: after a horizontal flip it is the top-left one, and
    Albumentations' crop holding it can only be the top-left window."""
    m = np.zeros((h, w), np.uint8)
    m[0, w - 1] = 1
    return m


@pytest.mark.parametrize("kind", ["Compose", "Sequential", "OneOf", "SomeOf"])
@pytest.mark.parametrize("targets", ["all", "mask only"])
def test_mask_crop_reads_the_mask_the_container_flipped(kind, targets):
    """``HorizontalFlip`` then ``CropNonEmptyMaskIfExists`` in a container, with and without boxes/keypoints (the
    pipeline's path without box/keypoint checks)."""
    full = targets == "all"
    cfg = _config([_wrapped(kind, [T("HorizontalFlip", p=1.0), MASK_CROP]), T("VerticalFlip", p=1.0)],
                  boxes=full, keypoints=full)
    u, mask = _coords_image(60, 80), _corner_mask(60, 80)
    boxes, kps = ([[50.0, 2.0, 78.0, 20.0], [5.0, 30.0, 20.0, 50.0]], [[70.0, 10.0], [10.0, 40.0]]) if full else \
        (None, None)
    ref = _albu(cfg, u, boxes, kps, mask)
    assert ref["mask"].any() and ref["image"].shape[:2] == (24, 30)
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    args, keys = _batch(u, 3, boxes, kps, mask)
    out = pipe(*args, data_keys=keys)
    out = [out] if isinstance(out, torch.Tensor) else list(out)
    for i in range(3):
        _assert_like(out, keys, pipe, i, ref, image_atol=1e-3)


# ------------------------------------------------------------------------------------- random: per-image replay
def _applied(pipe: AlbumentationsPipeline, n: int) -> list[list[tuple[torch.nn.Module, dict, int]]]:
    """Per sample, the leaf ops the last call applied to it, in order: (op, its params, the sample's row in them).
    Walks the recorded params (containers' lists, :class:`PerSampleBranches`' groups with their rows)."""
    out: list[list[tuple[torch.nn.Module, dict, int]]] = [[] for _ in range(n)]

    def walk(parent: torch.nn.Module, items: list[ParamItem], rows: torch.Tensor) -> None:
        for item in items:
            m = parent.get_submodule(item.name)
            if isinstance(m, PerSampleBranches):
                for g in item.data:
                    walk(m, g.data["params"], rows[g.data["rows"]])
            elif isinstance(item.data, list):
                walk(m, item.data, rows)
            elif isinstance(item.data, dict):
                for j, i in enumerate(rows.tolist()):
                    if float(item.data["batch_prob"][j]) > 0.5:
                        out[i].append((m, item.data, j))

    walk(pipe, pipe._params, torch.arange(n))
    return out


def _replayed(steps) -> tuple[list[dict], list[tuple[int, dict, tuple[int, ...]]]]:
    """The transforms of ``steps`` as an Albumentations config (each at p=1; a data crop as the ``Crop`` of the
    window it drew, then its ``Resize``), and where each data crop sits in it, with its config and window."""
    ts, crops = [], []
    for m, data, j in steps:
        cfg = {**m._albumentations, "p": 1.0}
        name = cfg["__class_fullname__"]
        if name not in DATA_CROPS:
            ts.append(cfg)
            continue
        x0, y0, x1, y1 = (int(v) for v in data["box"][j].tolist())
        crops.append((len(ts), cfg, (x0, y0, x1, y1)))
        ts.append(T("Crop", x_min=x0, y_min=y0, x_max=x1, y_max=y1, p=1.0))
        if name == "RandomSizedBBoxSafeCrop":
            ts.append(T("Resize", height=cfg["height"], width=cfg["width"], interpolation=cfg.get("interpolation", 1),
                        p=1.0))
    return ts, crops


def _check_per_image(cfg: dict, u, n: int, seed: int, boxes=None, kps=None, mask=None, image_atol: float = 1.5,
                     expect_crops: bool = True) -> list[int]:
    """Run the loaded ``cfg`` on ``n`` copies of ``u``; per image, Albumentations on what was applied to it must
    give the same outputs, and each data crop's window must hold every box / a non-empty mask pixel as they
    reached it (images within ``image_atol`` uint8 levels: a resize of ours is linear in float, Albumentations'
    rounds to uint8 after each of the two resizes on a path). Returns how many data crops each image went
    through."""
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(seed))
    args, keys = _batch(u, n, boxes, kps, mask)
    out = pipe(*args, data_keys=keys)
    out = [out] if isinstance(out, torch.Tensor) else list(out)
    counts = []
    for i, steps in enumerate(_applied(pipe, n)):
        ts, crops = _replayed(steps)
        counts.append(len(crops))
        for at, crop, (x0, y0, x1, y1) in crops:
            before = _albu(_config(ts[:at], boxes is not None, kps is not None), u, boxes, kps, mask)
            h, w = before["image"].shape[:2]
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, ((x0, y0, x1, y1), (h, w))
            name = crop["__class_fullname__"]
            if name == "RandomSizedBBoxSafeCrop" and len(before["bboxes"]):  # the (eroded) union of the boxes
                b = np.asarray(before["bboxes"], dtype=np.float64)
                ux0, uy0, ux1, uy1 = union_of_bboxes(b, crop.get("erosion_rate", 0.0)).astype(np.float64)
                assert x0 <= ux0 + 1e-4 and y0 <= uy0 + 1e-4 and x1 >= ux1 - 1e-4 and y1 >= uy1 - 1e-4, (
                    (x0, y0, x1, y1), b)
            if name == "CropNonEmptyMaskIfExists" and before["mask"].any():
                assert before["mask"][y0:y1, x0:x1].any(), (x0, y0, x1, y1)
        ref = _albu(_config(ts, boxes is not None, kps is not None), u, boxes, kps, mask)
        _assert_like(out, keys, pipe, i, ref, image_atol)
    if expect_crops:
        assert any(counts) and not all(counts), counts  # both paths taken in the batch
    again = pipe(*args, data_keys=keys, params=pipe._params)  # replay: the same windows
    again = [again] if isinstance(again, torch.Tensor) else list(again)
    for a, b in zip(out, again, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)
    return counts


BOXES_2 = [[20.0, 10.0, 45.0, 40.0], [60.0, 30.0, 95.0, 70.0]]
KPS_2 = [[25.0, 15.0], [90.0, 65.0], [50.0, 50.0]]


def test_bbox_safe_crop_in_a_sequential_with_p_below_one_then_a_resize():
    """``Sequential(p=0.5)[HorizontalFlip, PadIfNeeded, RandomSizedBBoxSafeCrop]`` then ``Resize``: some images
    are cropped from their flipped, padded boxes, the others only resized."""
    cfg = _config([
        T("Sequential", p=0.5, transforms=[T("HorizontalFlip", p=1.0),
                                           T("PadIfNeeded", min_height=100, min_width=120,
                                             border_mode=0, p=1.0),
                                           T("RandomSizedBBoxSafeCrop", height=40, width=50, erosion_rate=0.2,
                                                 interpolation=1, p=1.0)]),
        T("Resize", height=32, width=40, p=1.0), T("VerticalFlip", p=0.5)])
    _check_per_image(cfg, _coords_image(80, 100), 8, 0, BOXES_2, KPS_2)


def test_bbox_safe_crop_as_one_branch_of_a_one_of_with_p_below_one():
    """``OneOf(p=0.8)`` between a flip-then-crop branch and a resize to the crop's size."""
    cfg = _config([
        T("OneOf", p=0.8, transforms=[
            T("Sequential", p=0.6, transforms=[T("VerticalFlip", p=1.0),
                                               T("RandomSizedBBoxSafeCrop", height=40, width=50, interpolation=1,
                                                 p=1.0)]),
            T("Resize", height=40, width=50, p=0.4)]),
        T("Resize", height=40, width=50, p=1.0), T("HorizontalFlip", p=0.5)])
    _check_per_image(cfg, _coords_image(80, 100), 10, 1, BOXES_2, KPS_2)


def test_mask_crop_in_a_some_of_with_boxes_keypoints_and_a_pad_back():
    """``SomeOf(n=2)`` of a flip, the mask crop and another flip, then ``PadIfNeeded`` back to the input size: the
    crop reads the mask as the flips chosen before it left it."""
    mask = np.zeros((60, 80), np.uint8)
    mask[5:9, 60:70] = 2   # a blob near the top-right corner
    mask[45, 10] = 1       # a pixel near the bottom-left one
    cfg = _config([
        T("SomeOf", n=2, p=0.9, transforms=[T("HorizontalFlip", p=1.0),
                                            T("CropNonEmptyMaskIfExists", height=24, width=30, p=1.0),
                                            T("VerticalFlip", p=1.0)]),
        T("PadIfNeeded", min_height=60, min_width=80, border_mode=0, p=1.0)])
    boxes, kps = [[55.0, 2.0, 75.0, 15.0], [5.0, 40.0, 20.0, 55.0]], [[62.0, 6.0], [10.0, 45.0]]
    _check_per_image(cfg, _coords_image(60, 80), 10, 2, boxes, kps, mask, image_atol=1e-3)


def test_nested_containers_and_two_data_crops():
    """A ``Compose(p=0.7)`` holding a ``OneOf`` of the two data crops (masks and boxes both given), then a flip."""
    mask = np.zeros((80, 100), np.uint8)
    mask[60:70, 5:20] = 1
    cfg = _config([
        T("Compose", p=0.7, transforms=[
            T("HorizontalFlip", p=1.0),
            T("OneOf", p=1.0, transforms=[T("CropNonEmptyMaskIfExists", height=40, width=50, p=0.5),
                                          T("RandomSizedBBoxSafeCrop", height=40, width=50, p=0.5)]),
            T("VerticalFlip", p=0.5)]),
        T("Resize", height=40, width=50, p=1.0)])
    boxes = [[30.0, 20.0, 60.0, 50.0]]
    counts = _check_per_image(cfg, _coords_image(80, 100), 12, 3, boxes, [[35.0, 25.0]], mask)
    assert set(counts) == {0, 1}


def test_equals_its_leaf_ops_in_turn():
    """With every ``p`` 1 the pipeline equals its leaf ops applied one after another, each replaying the params
    the pipeline recorded (the data crop then draws its window again from the boxes reaching it: the same one)."""
    cfg = _config([T("Sequential", p=1.0, transforms=[T("Affine", rotate=(-20, 20), p=1.0), SAFE,
                                                      T("HorizontalFlip", p=0.5)]),
                   T("VerticalFlip", p=0.5)])
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(4))
    args, keys = _batch(_coords_image(80, 100), 6, BOXES_2, KPS_2)
    out = pipe(*args)
    valid = dict(pipe.albumentations_valid)

    def leaves(parent, items):
        for item in items:
            m = parent.get_submodule(item.name)
            yield from leaves(m, item.data) if isinstance(item.data, list) else [(m, item)]

    for m, item in leaves(pipe, pipe._params):
        one = AlbumentationsPipeline(m, data_keys=keys, bbox_rules=pipe.bbox_rules, keypoint_rules=pipe.keypoint_rules)
        name = next(iter(dict(one.named_children())))
        args = one(*args, params=[ParamItem(name, item.data)])
    for a, b in zip(out, args, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5, equal_nan=True)
    for k, v in valid.items():
        assert torch.equal(v, one.albumentations_valid[k])


def test_sizes_of_a_data_crop_in_a_container_are_static():
    """A data crop's output size is its ``(height, width)``: a ``OneOf`` of it and a same-size crop has one size
    outcome whatever the input (no input size is required; the branches still run in per-sample groups, as a crop
    cannot run on part of a batch); with another size, a later resize closes the groups."""
    same = from_albumentations(_config([T("OneOf", p=1.0, transforms=[
        T("RandomSizedBBoxSafeCrop", height=30, width=40, p=0.5), T("RandomCrop", height=30, width=40, p=0.5)])]))
    one_of = next(m for m in same.modules() if isinstance(m, PerSampleOneOf))
    assert outcomes(one_of) == frozenset({("fixed", 30, 40)})
    assert same.albumentations_input_size is None
    for h, w in ((50, 60), (41, 77)):
        args, _ = _batch(_coords_image(h, w), 5, BOXES_2[:1], KPS_2)
        assert same(*args)[0].shape == (5, 3, 30, 40)
    other = from_albumentations(_config([T("OneOf", p=1.0, transforms=[
        T("RandomSizedBBoxSafeCrop", height=30, width=40, p=0.5), T("RandomCrop", height=20, width=20, p=0.5)]),
        T("Resize", height=16, width=16, p=1.0)]))
    assert isinstance(next(iter(other.children())), PerSampleBranches)
    assert outcomes(next(iter(other.children()))) == frozenset({("fixed", 16, 16)})
    args, _ = _batch(_coords_image(50, 60), 5, BOXES_2[:1], KPS_2)
    assert other(*args)[0].shape == (5, 3, 16, 16)


def test_mask_crop_in_a_container_still_needs_a_mask():
    cfg = _config([T("OneOf", p=1.0, transforms=[MASK_CROP])])
    pipe = from_albumentations(cfg)
    args, _ = _batch(_coords_image(40, 50), 2, BOXES_2[:1], KPS_2)
    with pytest.raises(ValueError, match="Can not find mask for CropNonEmptyMaskIfExists"):
        pipe(*args)


@pytest.mark.parametrize("nested", [False, True])
def test_mask_crop_with_p_below_one_and_a_mask_only(nested):
    """Image and mask only (no box or keypoint checks): a mask crop with ``p < 1``, at the top level (where the
    per-sample groups hold it) or in a ``Sequential`` after a flip, then a resize back to one size."""
    mask = np.zeros((60, 80), np.uint8)
    mask[50:55, 3:9] = 1
    crop = T("CropNonEmptyMaskIfExists", height=30, width=40, p=0.5)
    first = T("Sequential", p=1.0, transforms=[T("VerticalFlip", p=1.0), crop]) if nested else crop
    cfg = _config([first, T("PadIfNeeded", min_height=60, min_width=80, border_mode=0, p=1.0)], boxes=False,
                  keypoints=False)
    _check_per_image(cfg, _coords_image(60, 80), 10, 5, mask=mask, image_atol=1e-3)


def test_inverse_undoes_a_nested_data_crop():
    """``inverse`` takes boxes and keypoints back through the nested crop's drawn window (and the flips); with
    ``erosion_rate`` 0 the window holds every box whole, so they come back as they went in."""
    crop = T("RandomSizedBBoxSafeCrop", height=40, width=50, p=1.0)
    cfg = _config([T("Sequential", p=1.0, transforms=[T("HorizontalFlip", p=1.0), crop]), T("VerticalFlip", p=1.0)])
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(6))
    args, _ = _batch(_coords_image(80, 100), 3, BOXES_2, KPS_2)
    y, b, k = pipe(*args)
    assert pipe.albumentations_valid["bboxes"].all()
    _, b0, k0 = pipe.inverse(y, b, k, params=pipe._params)
    torch.testing.assert_close(b0, args[1], rtol=0, atol=1e-4)
    torch.testing.assert_close(k0, args[2], rtol=0, atol=1e-4)
