"""``CoarseDropout`` / ``GridDropout`` and the boxes and keypoints they cover, against Albumentations 2.0.8:
its ``filter_bboxes_by_holes`` (visible area, ``min_area``, ``min_visibility``, boxes shrunk to their visible
pixels) and ``filter_keypoints_in_holes`` on the same holes, and whole pipelines where the holes are fixed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations, unpad
from kornia_diffaug.adapters.albumentations.targets import BoxRules, boxes_after_holes, keypoints_outside_holes

from kornia_diffaug.ops.albu import AlbuCoarseDropout

A = pytest.importorskip("albumentations")
fd = pytest.importorskip("albumentations.augmentations.dropout.functional")


def _holes_of(params, i):
    """Sample ``i``'s holes as Albumentations' ``[x1, y1, x2, y2]`` rows (the empty slots left out)."""
    t, l_, hh, ww = (params[k][i].numpy() for k in ("top", "left", "height", "width"))
    on = (hh > 0) & (ww > 0)
    return np.stack([l_, t, l_ + ww, t + hh], 1)[on].astype(np.int64)


def _drawn_holes(b, size, holes_range, side_range, seed):
    """``b`` samples of a CoarseDropout's holes: its params and their ``(B, H, W)`` mask."""
    op = AlbuCoarseDropout(num_holes_range=holes_range, hole_height_range=side_range, hole_width_range=side_range,
                           generator=torch.Generator().manual_seed(seed))
    params = op.sample(b, size, op.generator, torch.device("cpu"))
    return params, op.hole_mask(params, size)


@pytest.mark.parametrize("rules", [{}, {"min_area": 60.0}, {"min_visibility": 0.5}, {"min_area": 20.0,
                                                                                       "min_visibility": 0.2}])
def test_boxes_after_holes_equal_albumentations_filter_bboxes_by_holes(rules):
    h, w, n, b = 40, 56, 30, 12
    g = np.random.default_rng(1)
    params, holes = _drawn_holes(b, (h, w), (0, 4), (0.1, 0.6), 3)
    xy = g.uniform(0, [w, h], (b, n, 2, 2))
    boxes = np.concatenate([xy.min(2), xy.max(2)], 2)
    r = BoxRules(**rules)
    applied = torch.ones(b, dtype=torch.bool)
    got, valid = boxes_after_holes(torch.from_numpy(boxes), torch.ones(b, n, dtype=torch.bool), holes, applied, r)
    checked = 0
    for i in range(b):
        hs = _holes_of(params, i)
        if len(hs) == 0:  # Albumentations returns the boxes as they are
            assert valid[i].all() and torch.equal(got[i], torch.from_numpy(boxes[i]))
            continue
        ref = fd.filter_bboxes_by_holes(np.concatenate([boxes[i], np.arange(n)[:, None]], 1), hs, (h, w),
                                        min_area=r.min_area, min_visibility=r.min_visibility)
        assert valid[i].nonzero().flatten().tolist() == ref[:, 4].astype(int).tolist()
        np.testing.assert_array_equal(got[i][valid[i]].numpy(), ref[:, :4])
        assert (got[i][~valid[i]] == 0).all()
        checked += len(ref)
    assert checked > 50  # the case exercises both kept (shrunk) and dropped boxes
    assert (~valid).sum() > 10


def test_keypoints_outside_holes_equal_albumentations_filter_keypoints_in_holes():
    h, w, m, b = 32, 48, 60, 10
    g = np.random.default_rng(2)
    params, holes = _drawn_holes(b, (h, w), (1, 5), (0.2, 0.5), 5)
    kp = g.uniform(-2, [w + 2, h + 2], (b, m, 2))
    kp[:, :8] = np.floor(kp[:, :8])  # points on hole edges
    applied = torch.tensor([True] * (b - 2) + [False] * 2)
    ok = keypoints_outside_holes(torch.from_numpy(kp), holes, applied)
    for i in range(b):
        if not applied[i]:
            assert ok[i].all()
            continue
        ref = fd.filter_keypoints_in_holes(np.concatenate([kp[i], np.arange(m)[:, None]], 1), _holes_of(params, i))
        assert ok[i].nonzero().flatten().tolist() == ref[:, 2].astype(int).tolist()
    assert (~ok).sum() > 20


def test_samples_the_dropout_skips_keep_their_boxes():
    holes = torch.zeros(2, 20, 20, dtype=torch.bool)
    holes[:, 5:15, 5:15] = True
    boxes = torch.tensor([[[6.2, 6.5, 14.0, 14.0], [0.5, 0.5, 10.7, 10.2]]] * 2, dtype=torch.float64)
    got, valid = boxes_after_holes(boxes, torch.ones(2, 2, dtype=torch.bool), holes, torch.tensor([True, False]),
                                   BoxRules())
    assert valid.tolist() == [[False, True], [True, True]]
    assert got[0, 1].tolist() == [0.0, 0.0, 10.0, 10.0]  # shrunk to whole pixels, as Albumentations does
    assert torch.equal(got[1], boxes[1])


def _run_both(transform, u, boxes, kps, bbox_params, seed=0):
    c = A.Compose([transform], bbox_params=A.BboxParams(label_fields=["labels"], **bbox_params),
                  keypoint_params=A.KeypointParams("xy", label_fields=["kl"]), seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = c(image=u, bboxes=boxes, labels=list(range(len(boxes))), keypoints=kps, kl=list(range(len(kps))))
    pipe = from_albumentations(A.to_dict(c))
    x = torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255
    img, ob, ok = pipe(x, torch.tensor(boxes, dtype=torch.float64)[None], torch.tensor(kps, dtype=torch.float64)[None])
    np.testing.assert_array_equal((img[0].permute(1, 2, 0).numpy() * 255).round(), ra["image"])
    (bv,), (bi,) = unpad(ob, pipe.albumentations_valid["bboxes"], torch.arange(len(boxes))[None])
    (kv,), (ki,) = unpad(ok, pipe.albumentations_valid["keypoints"], torch.arange(len(kps))[None])
    assert bi.tolist() == [int(v) for v in ra["labels"]]
    np.testing.assert_allclose(bv.numpy(), np.asarray(ra["bboxes"]).reshape(-1, 4), atol=1e-4)
    assert ki.tolist() == [int(v) for v in ra["kl"]]
    np.testing.assert_allclose(kv.numpy(), np.asarray(ra["keypoints"]).reshape(-1, 2), atol=1e-6)


@pytest.mark.parametrize("bbox_params", [{"format": "pascal_voc"}, {"format": "pascal_voc", "min_visibility": 0.6},
                                         {"format": "coco", "min_area": 150}])
def test_grid_dropout_pipeline_equals_albumentations(bbox_params):
    u = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    boxes = [[2.5, 3.0, 30.2, 20.7], [33.0, 17.0, 60.0, 44.0], [8.0, 8.0, 16.0, 16.0], [40.5, 2.0, 47.5, 9.5]]
    if bbox_params["format"] == "coco":
        boxes = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes]
    kps = [[1.0, 1.0], [9.5, 9.5], [20.0, 4.0], [50.2, 30.7], [17.0, 17.0]]
    t = A.GridDropout(ratio=0.5, unit_size_range=(16, 17), random_offset=False, p=1.0)
    _run_both(t, u, boxes, kps, bbox_params)


def test_coarse_dropout_covering_the_image_removes_what_it_covers():
    u = (np.random.default_rng(0).random((48, 64, 3)) * 255).astype(np.uint8)
    t = A.CoarseDropout(num_holes_range=(1, 1), hole_height_range=(48, 48), hole_width_range=(64, 64), p=1.0)
    _run_both(t, u, [[5.0, 5.0, 25.0, 25.0], [30.0, 10.0, 60.0, 40.0]], [[2.0, 2.0], [40.0, 20.0]],
              {"format": "pascal_voc", "min_visibility": 0.3})
