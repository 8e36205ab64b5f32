"""Loaded pipelines as Kornia users run them: ``inverse`` for test-time augmentation (masks, boxes in both pixel
formats, keypoints back in the input frame; per-sample size paths included), and boxes through the distortions
against Albumentations 2.0.8 itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

import kornia_diffaug.functional.albu as FA
from kornia_diffaug.ops import NotInvertibleError

A = pytest.importorskip("albumentations")


def _compose(*transforms, **extra):
    return {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(transforms), **extra}


def _t(name, **params):
    return {"__class_fullname__": name, **params}


TTA = [
    _t("HorizontalFlip", p=0.5),
    _t("RandomRotate90", p=0.5),
    _t("PadIfNeeded", min_height=40, min_width=40, border_mode=0, p=1.0),
    _t("RandomCrop", height=36, width=36, p=1.0),
    _t("Resize", height=24, width=24, p=1.0),
    _t("OneOf", p=1.0, transforms=[_t("Transpose", p=1.0), _t("VerticalFlip", p=1.0)]),
]


@pytest.mark.parametrize("fmt", ["pascal_voc", "coco"])
def test_loaded_invertible_config_round_trips_boxes_keypoints_masks(fmt):
    cfg = _compose(*TTA, bbox_params={"format": fmt, "min_visibility": 0.0, "label_fields": []},
                   keypoint_params={"format": "xy", "remove_invisible": False})
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    pipe = type(pipe)(*pipe.children(), data_keys=[*pipe.data_keys, "mask"], bbox_rules=pipe.bbox_rules,
                      keypoint_rules=pipe.keypoint_rules)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 3, 32, 32, generator=g)
    m = (torch.rand(6, 1, 4, 4, generator=g) > 0.5).float().repeat_interleave(8, 2).repeat_interleave(8, 3)
    boxes = torch.tensor([[[4.0, 6.0, 20.0, 24.0], [0.0, 0.0, 0.0, 0.0]]]).repeat(6, 1, 1)  # one real, one padding
    if fmt == "coco":
        boxes[..., 2:] -= boxes[..., :2]
    kps = torch.tensor([[[10.0, 12.0], [3.0, 30.0]]]).repeat(6, 1, 1)
    out = pipe(x, boxes, kps, m)
    assert out[0].shape == (6, 3, 24, 24)
    img, box, kp, mask = pipe.inverse(*out)
    assert img.shape == x.shape and mask.shape == m.shape
    torch.testing.assert_close(box, boxes, atol=1e-4, rtol=0)  # padding rows stay zeros
    torch.testing.assert_close(kp, kps, atol=1e-4, rtol=0)
    # The resize blurred the image, but the nearest mask of 8x8 blocks comes back as labels, nearly where it was.
    assert torch.isin(mask, torch.tensor([0.0, 1.0])).all()
    inner = (slice(None), slice(None), slice(4, 28), slice(4, 28))
    assert (mask[inner] == m[inner]).float().mean() > 0.9


def test_loaded_per_sample_size_paths_invert():
    cfg = _compose(_t("RandomCrop", height=24, width=24, p=0.5), _t("Resize", height=16, width=16, p=1.0),
                   bbox_params={"format": "pascal_voc", "min_visibility": 0.0, "label_fields": []},
                   keypoint_params={"format": "xy", "remove_invisible": False})
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    x = torch.rand(8, 3, 32, 32)
    boxes = torch.tensor([[[8.0, 8.0, 16.0, 16.0]]]).repeat(8, 1, 1)
    kps = torch.tensor([[[10.0, 12.0]]]).repeat(8, 1, 1)
    out = pipe(x, boxes, kps)
    assert len(pipe._params[0].data) == 2  # cropped and not: two groups
    img, box, kp = pipe.inverse(*out)
    assert img.shape == x.shape
    torch.testing.assert_close(box, boxes, atol=1e-4, rtol=0)
    torch.testing.assert_close(kp, kps, atol=1e-4, rtol=0)


def test_loaded_distortion_refuses_inverse():
    pipe = from_albumentations(_compose(_t("HorizontalFlip", p=1.0), _t("GridDistortion", p=1.0)))
    with pytest.raises(NotInvertibleError, match="AlbuGridDistortion cannot be inverted"):
        pipe.inverse(pipe(torch.rand(2, 3, 16, 16)))


# -- boxes through the distortions --------------------------------------------------------------------------------
# No .5 edges: at a tie Albumentations' float32 normalised coordinates decide the rounding.
BOXES = np.array([[3.0, 4.0, 20.0, 25.0], [10.2, 0.0, 35.0, 39.6], [0.0, 30.0, 5.0, 40.0], [12.3, 13.7, 14.6, 17.2]])


@pytest.mark.parametrize("t", [
    _t("GridDistortion", num_steps=4, distort_limit=(0.3, 0.3), p=1.0),  # one draw: deterministic in both
    _t("GridDistortion", num_steps=3, distort_limit=(-0.4, -0.4), normalized=False, p=1.0),
    _t("GridDistortion", num_steps=5, distort_limit=(0.5, 0.5), border_mode=0, p=1.0),
    _t("ElasticTransform", alpha=0.0, sigma=5.0, p=1.0),  # zero displacement: the rounding conventions alone
    _t("OpticalDistortion", distort_limit=(0.4, 0.4), p=1.0),
    _t("OpticalDistortion", distort_limit=(-0.3, -0.3), mode="fisheye", p=1.0),
])
def test_boxes_through_distortions_match_albumentations(t):
    cfg = _compose(t, bbox_params={"format": "pascal_voc", "min_visibility": 0.0, "label_fields": []})
    img = (np.random.default_rng(0).random((40, 36, 3)) * 255).astype(np.uint8)
    want = np.asarray(A.from_dict({"transform": cfg})(image=img, bboxes=BOXES)["bboxes"])
    pipe = from_albumentations(cfg)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    _, got = pipe(x, torch.from_numpy(BOXES)[None].float())
    kept = pipe.albumentations_valid["bboxes"][0]
    np.testing.assert_allclose(got[0][kept].numpy(), want, atol=1e-4)
    assert not np.allclose(want, BOXES[: len(want)]) or t["__class_fullname__"] == "ElasticTransform"


def test_remap_boxes_kernel_matches_albumentations_on_random_maps():
    from albumentations.augmentations.geometric import functional as fgeometric

    rng = np.random.default_rng(1)
    h, w = 40, 36
    for _ in range(3):
        mx = (np.arange(w)[None, :] + rng.standard_normal((h, w)) * 3).astype(np.float32)
        my = (np.arange(h)[:, None] + rng.standard_normal((h, w)) * 3).astype(np.float32)
        want = fgeometric.remap_bboxes(BOXES, mx, my, (h, w))
        got = FA.remap_boxes(torch.from_numpy(BOXES)[None], torch.from_numpy(np.stack([mx, my]))[None])[0]
        np.testing.assert_allclose(got.numpy(), want, atol=0)
    # A box whose mask leaves the image keeps its coordinates (Albumentations' rule).
    away = torch.stack([torch.full((h, w), -50.0), torch.full((h, w), -50.0)])[None]
    np.testing.assert_array_equal(FA.remap_boxes(torch.from_numpy(BOXES)[None], away)[0].numpy(), BOXES)


@pytest.mark.parametrize("t", [_t("ElasticTransform", alpha=20.0, sigma=4.0, p=1.0),
                               _t("PiecewiseAffine", scale=(0.05, 0.05), p=1.0)])
def test_distortion_boxes_follow_the_mask_of_the_box(t):
    # The box of a box-shaped mask through the same draw is the moved box (definition check; random draws).
    cfg = _compose(t,
                   bbox_params={"format": "pascal_voc", "min_visibility": 0.0, "label_fields": []})
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(3))
    pipe = type(pipe)(*pipe.children(), data_keys=[*pipe.data_keys, "mask"], bbox_rules=pipe.bbox_rules)
    m = torch.zeros(1, 1, 40, 36)
    m[..., 6:21, 4:17] = 1  # pixels 4..16 x 6..20: the box [4, 6, 16, 20] in remap_boxes' rounding
    _, box, mask = pipe(torch.rand(1, 3, 40, 36), torch.tensor([[[4.0, 6.0, 16.0, 20.0]]]), m)
    ys, xs = torch.nonzero(mask[0, 0], as_tuple=True)
    torch.testing.assert_close(box[0, 0], torch.stack([xs.min(), ys.min(), xs.max(), ys.max()]).float())
