"""Boxes and keypoints through loaded pipelines, against Albumentations 2.0.8 itself: clipping, ``bbox_params``
filters (labels kept aligned), ``remove_invisible``, ``check_each_transform``, and the padded batch format."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import (
    UnsupportedTransformError,
    boxes_from_pixels,
    boxes_to_pixels,
    from_albumentations,
    unpad,
)

A = pytest.importorskip("albumentations")


def _image(h, w, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def _coords_image(h, w):
    """Channel 0 holds x, channel 1 holds y (uint8 levels): a crop's offset can be read off its output."""
    u = np.zeros((h, w, 3), np.uint8)
    u[..., 0] = np.arange(w)[None, :]
    u[..., 1] = np.arange(h)[:, None]
    return u


def _tensor(u):
    return torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255


def _albu(transforms, u, boxes=None, keypoints=None, bbox_params=None, keypoint_params=None, seed=0):
    """Albumentations' output for one image, and the Compose (to load the same config)."""
    kw = {}
    if bbox_params is not None:
        kw["bbox_params"] = A.BboxParams(**{"label_fields": ["labels"], **bbox_params})
    if keypoint_params is not None:
        kw["keypoint_params"] = A.KeypointParams(**{"label_fields": ["kp_labels"], **keypoint_params})
    c = A.Compose(transforms, seed=seed, **kw)
    data = {"image": u}
    if boxes is not None:
        data.update(bboxes=boxes, labels=list(range(len(boxes))))
    if keypoints is not None:
        data.update(keypoints=keypoints, kp_labels=list(range(len(keypoints))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return c(**data), c


def _kept(values, valid, i=0):
    """Sample ``i``'s kept entries and their indices (the labels, since labels are ``range(N)``)."""
    (vals,), (idx,) = unpad(values[i:i + 1], valid[i:i + 1], torch.arange(values.shape[1])[None])
    return vals.numpy(), idx.tolist()


def _assert_boxes_like_albumentations(transforms, u, boxes, bbox_params=None, fmt="pascal_voc"):
    bp = {"format": fmt, **(bbox_params or {})}
    ra, c = _albu(transforms, u, boxes=boxes, bbox_params=bp)
    pipe = from_albumentations(A.to_dict(c))
    img, out = pipe(_tensor(u), torch.tensor(boxes, dtype=torch.float64)[None])
    assert tuple(img.shape[-2:]) == ra["image"].shape[:2]
    got, labels = _kept(out, pipe.albumentations_valid["bboxes"])
    expected = np.asarray(ra["bboxes"], dtype=np.float64).reshape(-1, 4)
    assert labels == [int(v) for v in ra["labels"]]
    np.testing.assert_allclose(got, expected, atol=1e-4)
    return out, pipe


# ----------------------------------------------------------------------------------------------- the issue
def test_box_moved_60_px_up_is_clipped_as_albumentations_clips_it():
    u = _image(200, 200)
    out, _ = _assert_boxes_like_albumentations([A.Affine(translate_px={"x": 0, "y": -60}, p=1)], u,
                                               [[50.0, 20.0, 150.0, 160.0]])
    torch.testing.assert_close(out[0, 0], torch.tensor([50.0, 0.0, 150.0, 100.0], dtype=torch.float64))


@pytest.mark.parametrize("seed", range(4))
def test_random_crop_boxes_equal_albumentations_crop_at_the_same_offset(seed):
    u = _coords_image(120, 160)
    boxes = [[10.0, 5.0, 60.0, 50.0], [100.0, 70.0, 150.0, 115.0], [0.0, 0.0, 160.0, 120.0], [70.0, 40.0, 90.0, 60.0]]
    ra, c = _albu([A.RandomCrop(height=64, width=80)], u, boxes=boxes, bbox_params={"format": "pascal_voc"})
    pipe = from_albumentations(A.to_dict(c), generator=torch.Generator().manual_seed(seed))
    img, out = pipe(_tensor(u).repeat(3, 1, 1, 1), torch.tensor(boxes, dtype=torch.float64)[None].repeat(3, 1, 1))
    valid = pipe.albumentations_valid["bboxes"]
    for i in range(3):
        x0, y0 = (int(round(v)) for v in (img[i, 0, 0, 0].item() * 255, img[i, 1, 0, 0].item() * 255))
        ref, _ = _albu([A.Crop(x_min=x0, y_min=y0, x_max=x0 + 80, y_max=y0 + 64)], u, boxes=boxes,
                       bbox_params={"format": "pascal_voc"})
        got, labels = _kept(out, valid, i)
        assert labels == [int(v) for v in ref["labels"]]
        np.testing.assert_allclose(got, np.asarray(ref["bboxes"]).reshape(-1, 4), atol=1e-4)
        assert (got >= 0).all() and (got[:, [0, 2]] <= 80).all() and (got[:, [1, 3]] <= 64).all()
    # Albumentations' own RandomCrop is that Crop at its drawn offset
    x0, y0 = int(ra["image"][0, 0, 0]), int(ra["image"][0, 0, 1])
    ref, _ = _albu([A.Crop(x_min=x0, y_min=y0, x_max=x0 + 80, y_max=y0 + 64)], u, boxes=boxes,
                   bbox_params={"format": "pascal_voc"})
    np.testing.assert_allclose(np.asarray(ra["bboxes"]), np.asarray(ref["bboxes"]), atol=1e-6)


# ----------------------------------------------------------------------------------------------- every mover
GEOMETRIC = [
    A.HorizontalFlip(p=1), A.VerticalFlip(p=1), A.Transpose(p=1), A.Affine(rotate=(30, 30), p=1),
    A.Affine(scale=(1.3, 1.3), p=1), A.Affine(shear={"x": (10, 10), "y": (0, 0)}, p=1),
    A.Affine(translate_percent={"x": (0.3, 0.3), "y": (-0.2, -0.2)}, p=1),
    A.ShiftScaleRotate(shift_limit=(0.1, 0.1), scale_limit=(0.2, 0.2), rotate_limit=(20, 20), border_mode=0, p=1),
    A.Rotate(limit=(25, 25), border_mode=0, p=1), A.SafeRotate(limit=(30, 30), border_mode=0, p=1),
    A.Resize(90, 50), A.LongestMaxSize(max_size=100), A.SmallestMaxSize(max_size=30),
    A.RandomResizedCrop(size=(30, 30), scale=(1, 1), ratio=(1, 1)), A.CenterCrop(30, 40), A.Crop(5, 3, 55, 38),
    A.PadIfNeeded(90, 100, border_mode=0), A.Perspective(scale=(0, 0), p=1),
]


@pytest.mark.parametrize("t", GEOMETRIC, ids=lambda t: type(t).__name__)
def test_boxes_follow_every_geometric_transform_exactly_as_albumentations(t):
    boxes = [[10.0, 12.0, 50.0, 40.0], [3.0, 5.0, 20.0, 30.0], [60.0, 40.0, 79.0, 59.0], [70.0, 2.0, 80.0, 9.0]]
    _assert_boxes_like_albumentations([t], _image(60, 80), boxes)


def test_boxes_follow_random_rotate90_exactly_as_albumentations():
    u = _image(60, 60)
    boxes = [[10.0, 12.0, 50.0, 40.0], [3.0, 5.0, 20.0, 30.0]]
    x = _tensor(u)
    for seed in range(4):
        ra, c = _albu([A.RandomRotate90(p=1)], u, boxes=boxes, bbox_params={"format": "pascal_voc"}, seed=seed)
        for s in range(16):  # the draw that rotates the image as Albumentations did
            pipe = from_albumentations(A.to_dict(c), generator=torch.Generator().manual_seed(s))
            img, out = pipe(x, torch.tensor(boxes, dtype=torch.float64)[None])
            if np.abs(img[0].permute(1, 2, 0).numpy() * 255 - ra["image"]).max() < 0.6:
                break
        else:
            pytest.fail("no draw rotated like Albumentations")
        np.testing.assert_allclose(out[0].numpy(), np.asarray(ra["bboxes"]), atol=1e-4)


# ----------------------------------------------------------------------------------------------- bbox_params
BOXES = [[10.0, 10.0, 30.0, 30.0],    # moves out entirely
         [40.0, 50.0, 80.0, 90.0],    # 40 x 40, half kept
         [100.0, 45.0, 104.0, 95.0],  # 4 x 50, 4 x 25 kept
         [120.0, 60.0, 180.0, 190.0],  # 60 x 130, kept but for min_height
         [5.0, 55.0, 195.0, 58.0]]    # 190 x 3: elongated, all kept


# Thresholds sit just either side of the boxes' values: at an exact tie Albumentations' float32 normalised
# arithmetic can fall either way (40 x 20 px comes out as 799.99994 px^2), ours compares the pixel values.
@pytest.mark.parametrize("params", [
    {}, {"min_area": 799}, {"min_area": 801}, {"min_area": 101}, {"min_visibility": 0.49},
    {"min_visibility": 0.51}, {"min_width": 5}, {"min_height": 25.1}, {"min_height": 24.9},
    {"max_accept_ratio": 20.0}, {"min_area": 90, "min_visibility": 0.3, "min_width": 3, "min_height": 3},
], ids=str)
def test_bbox_params_filters_like_albumentations_with_labels_aligned(params):
    _assert_boxes_like_albumentations([A.Affine(translate_px={"x": 0, "y": -70}, p=1)], _image(200, 200), BOXES,
                                      params)


@pytest.mark.parametrize("check_each", [True, False])
def test_check_each_transform_clips_between_transforms_or_only_at_the_end(check_each):
    up, down = A.Affine(translate_px={"x": 0, "y": -60}, p=1), A.Affine(translate_px={"x": 0, "y": 60}, p=1)
    boxes = [[50.0, 20.0, 150.0, 160.0], [10.0, 5.0, 30.0, 40.0]]
    out, _ = _assert_boxes_like_albumentations([up, down], _image(200, 200), boxes,
                                               {"check_each_transform": check_each})
    first = [50.0, 60.0, 150.0, 160.0] if check_each else [50.0, 20.0, 150.0, 160.0]
    torch.testing.assert_close(out[0, 0], torch.tensor(first, dtype=torch.float64))


def test_min_visibility_is_checked_per_transform_as_albumentations_does():
    """Two crops keeping 60% of a box each: 36% overall, but each check sees 60% of what it was given."""
    crops = [A.Crop(x_min=0, y_min=0, x_max=160, y_max=160), A.Crop(x_min=0, y_min=0, x_max=136, y_max=136)]
    boxes = [[100.0, 0.0, 200.0, 100.0], [0.0, 100.0, 100.0, 200.0], [20.0, 20.0, 60.0, 60.0]]
    for mv in (0.3, 0.5, 0.7):
        _assert_boxes_like_albumentations(crops, _image(200, 200), boxes, {"min_visibility": mv})
        _assert_boxes_like_albumentations(crops, _image(200, 200), boxes,
                                          {"min_visibility": mv, "check_each_transform": False})


def test_checks_run_between_the_children_of_containers():
    seq = A.Sequential([A.Affine(translate_px={"x": 0, "y": -60}, p=1), A.Affine(translate_px={"x": 0, "y": 60}, p=1)],
                       p=1)
    some = A.SomeOf([A.Affine(translate_px={"x": -50, "y": 0}, p=1), A.Resize(100, 100)], n=2, p=1)
    boxes = [[50.0, 20.0, 150.0, 160.0], [0.0, 150.0, 40.0, 190.0]]
    for t in (seq, some):
        _assert_boxes_like_albumentations([t], _image(200, 200), boxes, {"min_area": 500})


def test_per_sample_one_of_filters_each_image_by_its_own_choice():
    """A batch through ``OneOf``: each image's boxes are those Albumentations gives for the branch it took."""
    u = _image(120, 160)
    branches = [A.Affine(translate_px={"x": (0, 0), "y": (-60, -60)}, p=1),
                A.Affine(translate_px={"x": (90, 90), "y": (0, 0)}, p=1)]
    boxes = [[20.0, 10.0, 70.0, 90.0], [100.0, 70.0, 150.0, 110.0], [60.0, 50.0, 65.0, 58.0]]
    bp = {"format": "pascal_voc", "min_visibility": 0.3}
    _, c = _albu([A.OneOf(branches, p=0.8)], u, boxes=boxes, bbox_params=bp)
    pipe = from_albumentations(A.to_dict(c), generator=torch.Generator().manual_seed(3))
    x = _tensor(u).repeat(24, 1, 1, 1)
    img, out = pipe(x, torch.tensor(boxes, dtype=torch.float64)[None].repeat(24, 1, 1))
    valid = pipe.albumentations_valid["bboxes"]
    refs = [_albu([], u, boxes=boxes, bbox_params=bp)[0]] + [_albu([b], u, boxes=boxes, bbox_params=bp)[0]
                                                             for b in branches]
    seen = set()
    for i in range(24):
        which = int(np.argmin([np.abs(img[i].permute(1, 2, 0).numpy() * 255 - r["image"]).mean() for r in refs]))
        seen.add(which)
        got, labels = _kept(out, valid, i)
        assert labels == [int(v) for v in refs[which]["labels"]]
        np.testing.assert_allclose(got, np.asarray(refs[which]["bboxes"]).reshape(-1, 4), atol=1e-4)
    assert seen == {0, 1, 2}


def test_boxes_after_a_resize_are_checked_at_the_new_size():
    boxes = [[10.0, 10.0, 190.0, 60.0], [150.0, 150.0, 199.0, 199.0], [90.0, 90.0, 110.0, 110.0]]
    _assert_boxes_like_albumentations([A.Resize(100, 120), A.CenterCrop(50, 60)], _image(200, 200), boxes,
                                      {"min_visibility": 0.2})


def test_clip_true_clips_the_input_boxes():
    boxes = [[-10.0, 20.0, 150.0, 160.0], [190.0, 190.0, 230.0, 230.0]]
    _assert_boxes_like_albumentations([A.HorizontalFlip(p=1)], _image(200, 200), boxes, {"clip": True})


@pytest.mark.parametrize("fmt", ["coco", "yolo", "albumentations"])
def test_other_box_formats_give_albumentations_boxes(fmt):
    u = _image(100, 120)
    voc = torch.tensor([[10.0, 10.0, 50.0, 40.0], [60.0, 5.0, 118.0, 95.0], [90.0, 80.0, 110.0, 99.0]],
                       dtype=torch.float64)
    given = boxes_from_pixels(voc, fmt, (100, 120))
    t = [A.Affine(translate_px={"x": 20, "y": 10}, p=1), A.Resize(50, 80)]
    ra, c = _albu(t, u, boxes=given.tolist(), bbox_params={"format": fmt, "min_area": 30})
    pipe = from_albumentations(A.to_dict(c))
    inp = given if fmt == "coco" else boxes_to_pixels(given, fmt, (100, 120))  # yolo/albumentations: pixels
    _, out = pipe(_tensor(u), inp[None])
    got, labels = _kept(out, pipe.albumentations_valid["bboxes"])
    assert labels == [int(v) for v in ra["labels"]]
    if fmt != "coco":
        got = boxes_from_pixels(torch.from_numpy(got), fmt, (50, 80)).numpy()
    np.testing.assert_allclose(got, np.asarray(ra["bboxes"]), atol=1e-4)


def test_filter_matches_albumentations_filter_bboxes_on_random_boxes():
    from albumentations.core.bbox_utils import filter_bboxes as albu_filter
    from kornia_diffaug.adapters.albumentations.targets import BoxRules, filter_boxes

    g = np.random.default_rng(0)
    h, w = 50, 70
    xy = g.uniform(-40, 110, (400, 2, 2))
    boxes = np.concatenate([xy.min(1), xy.max(1)], 1)
    for kw in ({}, {"min_area": 200}, {"min_visibility": 0.4}, {"min_width": 12, "min_height": 8},
               {"max_accept_ratio": 3.0}):
        rules = BoxRules(**kw)
        got, valid = filter_boxes(torch.from_numpy(boxes)[None], torch.ones(1, 400, dtype=torch.bool), (h, w), rules)
        norm = (boxes / [w, h, w, h]).astype(np.float32)
        ref = albu_filter(np.concatenate([norm, np.arange(400)[:, None]], 1), {"height": h, "width": w},
                          min_area=rules.min_area, min_visibility=rules.min_visibility, min_width=rules.min_width,
                          min_height=rules.min_height, max_accept_ratio=rules.max_accept_ratio)
        # Albumentations keeps a box clipped to no area until its next check (where it goes): we drop it at once
        ref = ref[(ref[:, 2] - ref[:, 0]) * (ref[:, 3] - ref[:, 1]) > 0]
        assert valid[0].nonzero().flatten().tolist() == ref[:, 4].astype(int).tolist()
        np.testing.assert_allclose(got[0][valid[0]].numpy(), ref[:, :4] * [w, h, w, h], atol=1e-3)


# ----------------------------------------------------------------------------------------------- keypoints
@pytest.mark.parametrize("remove_invisible", [True, False])
@pytest.mark.parametrize("check_each", [True, False])
def test_keypoints_outside_the_image_follow_remove_invisible(remove_invisible, check_each):
    u = _image(100, 120)
    kps = [[10.0, 10.0], [60.0, 50.0], [119.0, 99.0], [5.0, 95.0], [0.0, 0.0]]
    t = [A.Affine(translate_px={"x": 0, "y": -30}, p=1), A.Affine(translate_px={"x": -8, "y": 30}, p=1)]
    kp = {"format": "xy", "remove_invisible": remove_invisible, "check_each_transform": check_each}
    ra, c = _albu(t, u, keypoints=kps, keypoint_params=kp)
    pipe = from_albumentations(A.to_dict(c))
    _, out = pipe(_tensor(u), torch.tensor(kps, dtype=torch.float64)[None])
    valid = pipe.albumentations_valid["keypoints"]
    got, labels = _kept(out, valid)
    assert labels == [int(v) for v in ra["kp_labels"]]
    np.testing.assert_allclose(got, np.asarray(ra["keypoints"])[:, :2], atol=1e-4)
    assert torch.isnan(out[0][~valid[0]]).all()  # removed keypoints cannot pass for real ones


# ----------------------------------------------------------------------------------------------- batches
def test_batch_keeps_its_padded_shape_with_a_mask_and_per_sample_lists():
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0,
                         "transforms": [{"__class_fullname__": "Affine", "p": 1.0, "translate_px": {"x": 0, "y": -60}}],
                         "bbox_params": {"format": "pascal_voc", "label_fields": ["labels"], "min_visibility": 0.5}}}
    pipe = from_albumentations(cfg)
    boxes = torch.tensor([[[50.0, 20.0, 150.0, 160.0], [10.0, 10.0, 40.0, 40.0], [0.0, 0.0, 0.0, 0.0]],
                          [[10.0, 100.0, 60.0, 190.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])  # zeros: padding
    labels = torch.tensor([[7, 8, -1], [9, -1, -1]])
    names = [["car", "dog", None], ["cat", None, None]]
    img, out = pipe(torch.rand(2, 3, 200, 200), boxes)
    assert out.shape == boxes.shape
    valid = pipe.albumentations_valid["bboxes"]
    assert valid.tolist() == [[True, False, False], [True, False, False]]
    assert (out[~valid] == 0).all()  # removed boxes are zeros, never plausible boxes
    per_box, per_label, per_name = unpad(out, valid, labels, names)
    torch.testing.assert_close(per_box[0], torch.tensor([[50.0, 0.0, 150.0, 100.0]]))
    torch.testing.assert_close(per_box[1], torch.tensor([[10.0, 40.0, 60.0, 130.0]]))
    assert [t.tolist() for t in per_label] == [[7], [9]] and per_name == [["car"], ["cat"]]
    with pytest.raises(ValueError, match="valid must have shape"):
        unpad(out, valid[:, :2])


def test_unbatched_boxes_and_replay_without_the_image():
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
        {"__class_fullname__": "RandomCrop", "p": 1.0, "height": 50, "width": 50}],
        "bbox_params": {"format": "pascal_voc"}, "keypoint_params": {"format": "xy"}}}
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    boxes, kps = torch.tensor([[10.0, 10.0, 90.0, 90.0], [0.0, 0.0, 5.0, 5.0]]), torch.tensor([[20.0, 30.0]])
    img, b, k = pipe(torch.rand(3, 100, 100), boxes, kps)
    assert b.shape == (2, 4) and k.shape == (1, 2) and pipe.albumentations_valid["bboxes"].shape == (2,)
    again = pipe(boxes, params=pipe._params, data_keys=["bbox_xyxy"])
    torch.testing.assert_close(again, b)
    fresh = from_albumentations(cfg)
    with pytest.raises(ValueError, match="without the image"):
        fresh(boxes, params=pipe._params, data_keys=["bbox_xyxy"])


def test_image_only_calls_are_unchanged():
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0,
                         "transforms": [{"__class_fullname__": "HorizontalFlip", "p": 1.0}],
                         "bbox_params": {"format": "pascal_voc"}}}
    x = torch.rand(2, 3, 8, 8)
    torch.testing.assert_close(from_albumentations(cfg)(x, data_keys=["input"]), x.flip(-1))


# ----------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("t", [
    {"__class_fullname__": "Affine", "p": 1.0, "scale": 0.5, "border_mode": 4},
    {"__class_fullname__": "ShiftScaleRotate", "p": 1.0, "border_mode": 2},
    {"__class_fullname__": "Rotate", "p": 1.0, "border_mode": 4},
    {"__class_fullname__": "SafeRotate", "p": 1.0, "border_mode": 4},
    {"__class_fullname__": "PadIfNeeded", "min_height": 300, "min_width": 300, "border_mode": 4},
], ids=lambda t: t["__class_fullname__"])
def test_reflected_borders_with_boxes_or_keypoints_are_refused_naming_border_mode(t):
    """Albumentations adds mirrored copies of boxes and keypoints there: a batch cannot grow its N."""
    base = {"__class_fullname__": "Compose", "p": 1.0, "transforms": [t]}
    for extra in ({"bbox_params": {"format": "pascal_voc"}}, {"keypoint_params": {"format": "xy"}}):
        with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: \w+: border_mode=[24] with"):
            from_albumentations({"transform": {**base, **extra}})
        with pytest.warns(UserWarning, match="mirrored copies"):
            from_albumentations({"transform": {**base, **extra}}, strict=False)
    from_albumentations({"transform": base})  # images and masks alone are fine


@pytest.mark.parametrize(("params", "err", "match"), [
    ({"format": "pascal_voc", "min_visibility": 1.5}, ValueError, "min_visibility"),
    ({"format": "pascal_voc", "min_area": -1}, ValueError, "min_area"),
    ({"format": "pascal_voc", "max_accept_ratio": 0.5}, ValueError, "max_accept_ratio"),
    ({"format": "pascal_voc", "clip": "yes"}, ValueError, "clip"),
    ({"format": "pascal_voc", "frobnicate": 1}, UnsupportedTransformError, "bbox_params: parameter frobnicate=1"),
])
def test_bad_bbox_params_raise_naming_the_parameter(params, err, match):
    with pytest.raises(err, match=match):
        from_albumentations({"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [],
                                           "bbox_params": params}})


def test_albumentations_saved_bbox_and_keypoint_params_load_strictly():
    c = A.Compose([A.HorizontalFlip()], bbox_params=A.BboxParams(format="coco", label_fields=["l"], min_area=3,
                                                                 max_accept_ratio=4.0, clip=True),
                  keypoint_params=A.KeypointParams(format="xy", remove_invisible=False))
    pipe = from_albumentations(A.to_dict(c), strict=True)
    assert pipe.bbox_rules.min_area == 3 and pipe.bbox_rules.clip and pipe.bbox_rules.max_accept_ratio == 4.0
    assert not pipe.keypoint_rules.remove_invisible


# ----------------------------------------------------------------------------------------------- geometric, aliases
@pytest.mark.parametrize("name", ["NoOp", "ToTensorV2", "ToFloat"])
def test_identities_leave_boxes_keypoints_and_masks(name):
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0,
                         "transforms": [{"__class_fullname__": name, "p": 1.0}, {"__class_fullname__": "HorizontalFlip",
                                                                                  "p": 1.0}],
                         "bbox_params": {"format": "pascal_voc"}, "keypoint_params": {"format": "xy"}}}
    if name == "ToFloat":  # nothing that depends on uint8 may follow it; flips do not
        cfg["transform"]["transforms"][0]["max_value"] = None
    pipe = from_albumentations(cfg)
    x, m = torch.rand(2, 3, 20, 30), torch.rand(2, 1, 20, 30)
    b, k = torch.tensor([[[2.0, 3.0, 10.0, 12.0]]]).repeat(2, 1, 1), torch.tensor([[[4.0, 5.0]]]).repeat(2, 1, 1)
    y, ym, yb, yk = pipe(x, m, b, k, data_keys=["input", "mask", "bbox_xyxy", "keypoints"])
    torch.testing.assert_close(y, x.flip(-1))
    torch.testing.assert_close(ym, m.flip(-1))
    torch.testing.assert_close(yb[0, 0], torch.tensor([20.0, 3.0, 28.0, 12.0]))
    torch.testing.assert_close(yk[0, 0], torch.tensor([25.0, 5.0]))


def test_flip_boxes_follow_like_albumentations_flips():
    u = _image(60, 80)
    boxes = [[10.0, 12.0, 50.0, 40.0], [3.0, 5.0, 20.0, 30.0]]
    refs = {}
    for key, ts in (("h", [A.HorizontalFlip(p=1)]), ("v", [A.VerticalFlip(p=1)]),
                    ("hv", [A.HorizontalFlip(p=1), A.VerticalFlip(p=1)])):
        refs[key] = _albu(ts, u, boxes=boxes, bbox_params={"format": "pascal_voc"})[0]
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [{"__class_fullname__": "Flip",
                                                                                     "p": 1.0}],
                         "bbox_params": {"format": "pascal_voc"}}}
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    img, out = pipe(_tensor(u).repeat(12, 1, 1, 1), torch.tensor(boxes, dtype=torch.float64)[None].repeat(12, 1, 1))
    seen = set()
    for i in range(12):
        key = min(refs, key=lambda k: np.abs(img[i].permute(1, 2, 0).numpy() * 255 - refs[k]["image"]).max())
        seen.add(key)
        np.testing.assert_allclose(out[i].numpy(), np.asarray(refs[key]["bboxes"]), atol=1e-6)
    assert seen == {"h", "v", "hv"}


def _mask_crop_config(h, w, **extra):
    return {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
        {"__class_fullname__": "CropNonEmptyMaskIfExists", "height": h, "width": w, **extra}],
        "bbox_params": {"format": "pascal_voc"}, "keypoint_params": {"format": "xy", "remove_invisible": False}}}


def test_crop_non_empty_mask_holds_a_mask_pixel_and_moves_targets_like_albumentations_crop():
    u = _coords_image(60, 80)
    mask = torch.zeros(4, 1, 60, 80)
    mask[0, 0, 50:53, 70:75] = 1      # one blob near a corner
    mask[1, 0, 5, 5] = 3              # a single pixel
    mask[2, 0, 20:40, 10:60] = 255    # a large region
    boxes = [[5.0, 5.0, 30.0, 25.0], [60.0, 40.0, 78.0, 58.0]]
    kps = [[6.0, 7.0], [71.0, 51.0]]
    pipe = from_albumentations(_mask_crop_config(24, 30), generator=torch.Generator().manual_seed(1))
    x = _tensor(u).repeat(4, 1, 1, 1)
    img, m, b, k = pipe(x, mask, torch.tensor(boxes)[None].repeat(4, 1, 1), torch.tensor(kps)[None].repeat(4, 1, 1),
                        data_keys=["input", "mask", "bbox_xyxy", "keypoints"])
    assert img.shape == (4, 3, 24, 30) and m.shape == (4, 1, 24, 30)
    for i in range(4):
        x0, y0 = (int(round(v)) for v in (img[i, 0, 0, 0].item() * 255, img[i, 1, 0, 0].item() * 255))
        torch.testing.assert_close(m[i], mask[i, :, y0:y0 + 24, x0:x0 + 30])
        if i < 3:
            assert m[i].any(), "the crop must hold a non-empty pixel"
        ref, _ = _albu([A.Crop(x_min=x0, y_min=y0, x_max=x0 + 30, y_max=y0 + 24)], u, boxes=boxes, keypoints=kps,
                       bbox_params={"format": "pascal_voc"},
                       keypoint_params={"format": "xy", "remove_invisible": False})
        got, labels = _kept(b, pipe.albumentations_valid["bboxes"], i)
        assert labels == [int(v) for v in ref["labels"]]
        np.testing.assert_allclose(got, np.asarray(ref["bboxes"]).reshape(-1, 4), atol=1e-4)
        np.testing.assert_allclose(k[i].numpy(), np.asarray(ref["keypoints"])[:, :2], atol=1e-4)
    again = pipe(x, mask, torch.tensor(boxes)[None].repeat(4, 1, 1), torch.tensor(kps)[None].repeat(4, 1, 1),
                 data_keys=["input", "mask", "bbox_xyxy", "keypoints"], params=pipe._params)
    torch.testing.assert_close(again[0], img)  # replay: the same crops


def test_crop_non_empty_mask_offsets_are_distributed_like_albumentations():
    """A single non-empty pixel: Albumentations' crop origin is that pixel minus randint offsets, clipped."""
    u = _coords_image(40, 50)
    mask = np.zeros((40, 50), np.uint8)
    mask[30, 8] = 1
    t = A.CropNonEmptyMaskIfExists(height=16, width=20, p=1)
    t.set_random_seed(0)
    theirs = np.array([t.get_params_dependent_on_data({"shape": (40, 50)}, {"mask": mask})["crop_coords"][:2]
                       for _ in range(3000)])
    from kornia_diffaug.ops.albu import AlbuCropNonEmptyMaskIfExists

    op = AlbuCropNonEmptyMaskIfExists(16, 20)
    params = op.sample(3000, (40, 50), torch.Generator().manual_seed(0), torch.device("cpu"))
    op.refine(params, mask=[torch.from_numpy(mask).float()[None, None].expand(3000, 1, 40, 50)])
    ours = params["box"][:, :2].numpy()
    for j in range(2):
        vals = sorted(set(theirs[:, j]) | set(ours[:, j]))
        fo = np.array([(ours[:, j] == v).mean() for v in vals])
        ft = np.array([(theirs[:, j] == v).mean() for v in vals])
        assert 0.5 * np.abs(fo - ft).sum() < 0.06
    del u


def test_crop_non_empty_mask_ignores_values_and_channels_and_needs_a_mask():
    from kornia_diffaug.ops.albu import AlbuCropNonEmptyMaskIfExists

    m = torch.zeros(1, 2, 10, 10)
    m[0, 0, 1, 1] = 5   # ignored value
    m[0, 1, 8, 8] = 1   # ignored channel
    op = AlbuCropNonEmptyMaskIfExists(4, 4, ignore_values=[5])
    assert op.nonempty([m]).sum() == 1 and op.nonempty([m])[0, 8, 8]
    op = AlbuCropNonEmptyMaskIfExists(4, 4, ignore_channels=[1])
    assert op.nonempty([m]).sum() == 1 and op.nonempty([m])[0, 1, 1]
    pipe = from_albumentations(_mask_crop_config(4, 4))
    with pytest.raises(ValueError, match="Can not find mask for CropNonEmptyMaskIfExists"):
        pipe(torch.rand(1, 3, 10, 10), torch.tensor([[[1.0, 1.0, 3.0, 3.0]]]), torch.tensor([[[2.0, 2.0]]]))
    # Inside a container (here after a flip) the crop is drawn from the mask as it reaches it, as in Albumentations:
    # the one non-empty pixel, at the top-right corner before the flip, is then the top-left one, which only the
    # top-left window holds (tests/adapters/test_albu_nested_crops.py has the rest).
    one_of = {"__class_fullname__": "OneOf", "p": 1.0, "transforms": [{"__class_fullname__": "Sequential", "p": 1.0,
                                                                       "transforms": [
        {"__class_fullname__": "HorizontalFlip", "p": 1.0},
        {"__class_fullname__": "CropNonEmptyMaskIfExists", "height": 4, "width": 4}]}]}
    pipe = from_albumentations({"__class_fullname__": "Compose",
                                "transforms": [{"__class_fullname__": "NoOp"}, one_of]})
    x, mask = torch.rand(3, 3, 10, 10), torch.zeros(3, 1, 10, 10)
    mask[:, :, 0, 9] = 1
    y, m = pipe(x, mask, data_keys=["input", "mask"])
    torch.testing.assert_close(y, x.flip(-1)[..., :4, :4])
    assert m[:, 0, 0, 0].all() and m.sum() == 3
    with pytest.raises(ValueError, match="Can not find mask for CropNonEmptyMaskIfExists"):
        from_albumentations(one_of)(x)


def test_random_sized_bbox_safe_crop_keeps_every_box_like_albumentations():
    u = _coords_image(120, 160)
    boxes = [[20.0, 30.0, 60.0, 70.0], [100.0, 50.0, 140.0, 110.0], [70.0, 5.0, 80.0, 15.0]]
    kps = [[25.0, 35.0], [130.0, 100.0]]
    bp = {"format": "pascal_voc", "min_visibility": 0.9}
    kp = {"format": "xy", "remove_invisible": False}
    ra, c = _albu([A.RandomSizedBBoxSafeCrop(height=48, width=64, erosion_rate=0.0, p=1)], u, boxes=boxes,
                  keypoints=kps, bbox_params=bp, keypoint_params=kp)
    assert len(ra["bboxes"]) == 3  # Albumentations keeps every box
    pipe = from_albumentations(A.to_dict(c), generator=torch.Generator().manual_seed(0))
    n = 6
    img, b, k = pipe(_tensor(u).repeat(n, 1, 1, 1), torch.tensor(boxes, dtype=torch.float64)[None].repeat(n, 1, 1),
                     torch.tensor(kps, dtype=torch.float64)[None].repeat(n, 1, 1))
    assert img.shape == (n, 3, 48, 64) and pipe.albumentations_valid["bboxes"].all()
    crop_op = next(iter(pipe.children()))
    crop_boxes = pipe._params[0].data["box"]
    for i in range(n):
        x0, y0, x1, y1 = (int(v) for v in crop_boxes[i].tolist())
        assert x0 <= 20 and y0 <= 5 and x1 >= 140 and y1 >= 110  # the union of the boxes is inside
        ref, _ = _albu([A.Crop(x_min=x0, y_min=y0, x_max=x1, y_max=y1), A.Resize(48, 64)], u, boxes=boxes,
                       keypoints=kps, bbox_params=bp, keypoint_params=kp)
        np.testing.assert_allclose(b[i].numpy(), np.asarray(ref["bboxes"]), atol=1e-4)
        np.testing.assert_allclose(k[i].numpy(), np.asarray(ref["keypoints"])[:, :2], atol=1e-4)
        np.testing.assert_allclose(img[i].permute(1, 2, 0).numpy() * 255, ref["image"], atol=1.0)
    assert type(crop_op).__name__ == "AlbuRandomSizedBBoxSafeCrop"


def test_bbox_safe_crop_box_draws_like_albumentations():
    from albumentations.augmentations.crops.transforms import RandomSizedBBoxSafeCrop

    from kornia_diffaug.ops.albu import AlbuRandomSizedBBoxSafeCrop

    boxes = np.array([[20.0, 30.0, 60.0, 70.0], [100.0, 50.0, 140.0, 110.0]])
    t = RandomSizedBBoxSafeCrop(height=10, width=10, erosion_rate=0.2, p=1)
    t.set_random_seed(0)
    norm = boxes / [160, 120, 160, 120]
    theirs = np.array([t.get_params_dependent_on_data({"shape": (120, 160)}, {"bboxes": norm})["crop_coords"]
                       for _ in range(3000)])
    op = AlbuRandomSizedBBoxSafeCrop(10, 10, erosion_rate=0.2)
    params = op.sample(3000, (120, 160), torch.Generator().manual_seed(0), torch.device("cpu"))
    params["forward_input_shape"] = torch.tensor([3000, 3, 120, 160])
    op.refine(params, bboxes=(torch.from_numpy(boxes)[None].expand(3000, 2, 4), torch.ones(3000, 2, dtype=torch.bool)))
    ours = params["box"].numpy()
    np.testing.assert_allclose(np.quantile(ours, [0.1, 0.5, 0.9], 0), np.quantile(theirs, [0.1, 0.5, 0.9], 0), atol=2)
    # without boxes: a crop of the image's aspect, height randint[int(0.8 H), H]
    params = op.sample(2000, (120, 160), torch.Generator().manual_seed(1), torch.device("cpu"))
    h = (params["box"][:, 3] - params["box"][:, 1]).numpy()
    assert h.min() == 96 and h.max() == 120
    np.testing.assert_array_equal(params["box"][:, 2] - params["box"][:, 0], np.floor(h * 160 / 120))


def test_sized_bbox_safe_crop_without_bbox_params_is_refused_at_load():
    with pytest.raises(UnsupportedTransformError, match=r"\[0\]: RandomSizedBBoxSafeCrop without bbox_params"):
        from_albumentations({"__class_fullname__": "RandomSizedBBoxSafeCrop", "height": 10, "width": 10})


def test_boxes_through_a_grid_shuffle_are_refused():  # the distortions move boxes: tests/adapters/test_albu_inverse.py
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0,
                         "transforms": [{"__class_fullname__": "RandomGridShuffle"}],
                         "bbox_params": {"format": "pascal_voc"}}}
    with pytest.raises(UnsupportedTransformError, match=r"RandomGridShuffle with bbox_params"):
        from_albumentations(cfg)
