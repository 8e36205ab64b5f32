"""Sizes flow through loaded pipelines as Albumentations draws them: each transform for the image it receives.

Segments where a per-sample decision changes the size (a crop with ``p < 1``, a ``OneOf`` of crop and resize) run
per group of samples (``PerSampleBranches``) and are checked sample by sample against Albumentations itself;
paths that never come back to one size are refused at load time, naming the transform.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import UnsupportedTransformError, from_albumentations

from kornia_diffaug.ops.albu import PerSampleBranches

A = pytest.importorskip("albumentations")

KP = {"format": "xy", "remove_invisible": False}
BB = {"format": "pascal_voc", "min_visibility": 0.0}


def _cfg(*transforms, **compose):
    return A.to_dict(A.Compose(list(transforms), **compose))


def _coords(b, h, w, seed=0):
    """Images whose channels 0/1 hold x/y (uint8 levels) plus noise in channel 2: crops are readable."""
    u = np.zeros((b, h, w, 3), np.uint8)
    u[..., 0] = np.arange(w)[None, None, :]
    u[..., 1] = np.arange(h)[None, :, None]
    u[..., 2] = np.random.default_rng(seed).integers(0, 256, (b, h, w))
    return u


def _t(u):
    return torch.from_numpy(u).permute(0, 3, 1, 2).double() / 255


def _branches(pipe):
    found = [m for m in pipe.modules() if isinstance(m, PerSampleBranches)]
    assert len(found) == 1
    return found[0]


def _groups(pipe):
    (item,) = [p for p in pipe._params if isinstance(pipe.get_submodule(p.name), PerSampleBranches)]
    return item.data


def test_resize_then_flip_maps_keypoints_on_the_new_width():
    pipe = from_albumentations(_cfg(A.Resize(32, 32), A.HorizontalFlip(p=1), keypoint_params=A.KeypointParams(**KP)))
    _, kp = pipe(torch.rand(2, 3, 64, 64), torch.tensor([[[10.0, 20.0]]]).repeat(2, 1, 1))
    assert torch.allclose(kp[:, 0], torch.tensor([26.0, 10.0]).expand(2, 2))


def test_skipped_crop_then_resize_matches_albumentations_per_sample():
    """RandomCrop(p=0.5) -> Resize: every sample equals Albumentations' Resize, or its Crop at the drawn box then
    Resize; image, mask, boxes and keypoints."""
    crop = A.RandomCrop(40, 48, p=0.5)
    cfg = _cfg(crop, A.Resize(24, 32), bbox_params=A.BboxParams(**BB), keypoint_params=A.KeypointParams(**KP))
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(3))
    b, h, w = 12, 56, 64
    u = _coords(b, h, w)
    x = _t(u)
    mask = (torch.arange(h * w).view(1, 1, h, w) % 7 == 0).double().expand(b, 1, h, w).contiguous()
    boxes = torch.tensor([[8.0, 6.0, 40.0, 30.0]]).repeat(b, 1, 1)
    kps = torch.tensor([[20.0, 12.0], [50.0, 44.0]]).repeat(b, 1, 1)
    y, m, bx, kp = pipe(x, mask, boxes, kps, data_keys=["input", "mask", "bbox_xyxy", "keypoints"])
    assert y.shape == (b, 3, 24, 32) and m.shape == (b, 1, 24, 32)
    groups = _groups(pipe)
    assert len(groups) == 2, "the seed gives both paths"
    for g in groups:
        crop_item = g.data["params"][0]
        applied = bool(crop_item.data["batch_prob"][0] > 0.5)
        for j, r in enumerate(g.data["rows"].tolist()):
            if applied:
                x0, y0, x1, y1 = (int(v) for v in crop_item.data["box"][j].tolist())
                first = A.Crop(x_min=x0, y_min=y0, x_max=x1, y_max=y1, p=1)
            else:
                first = A.NoOp()
            ref = A.Compose([first, A.Resize(24, 32)], bbox_params=A.BboxParams(**BB),
                            keypoint_params=A.KeypointParams(**KP))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = ref(image=u[r], mask=mask[r, 0].numpy(), bboxes=boxes[r].numpy(), keypoints=kps[r].numpy())
            assert np.abs(y[r].permute(1, 2, 0).numpy() * 255 - out["image"]).max() <= 1.0
            assert np.array_equal(m[r, 0].numpy(), out["mask"])
            ours = bx[r][pipe.albumentations_valid["bboxes"][r]].numpy()
            assert np.allclose(ours, np.asarray(out["bboxes"]).reshape(-1, 4), atol=1e-4)
            assert np.allclose(kp[r].numpy(), np.asarray(out["keypoints"])[:, :2], atol=1e-4)


def test_grouped_pipeline_replays_bitwise_and_passes_gradients():
    cfg = _cfg(A.RandomCrop(24, 24, p=0.5), A.GaussianBlur(blur_limit=(3, 5), p=0.5), A.Resize(16, 16))
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    x = torch.rand(8, 3, 32, 32, requires_grad=True)
    y = pipe(x)
    assert y.shape == (8, 3, 16, 16)
    assert torch.equal(pipe(x, params=pipe._params), y)
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_one_of_with_same_output_size_runs_each_sample_on_its_branch():
    """OneOf([RandomResizedCrop(24), Resize(24)]): the Resize samples equal Albumentations' Resize exactly."""
    cfg = _cfg(A.OneOf([A.RandomResizedCrop(size=(24, 24), p=1), A.Resize(24, 24, p=1)], p=1))
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(1))
    u = _coords(10, 40, 48)
    y = pipe(_t(u))
    assert y.shape == (10, 3, 24, 24)
    groups = _groups(pipe)
    assert len(groups) == 2
    resized = A.Resize(24, 24)
    for g in groups:
        (one_of,) = g.data["params"]
        chose_resize = bool(one_of.data[1].data["batch_prob"][0] > 0.5)
        for r in g.data["rows"].tolist():
            diff = np.abs(y[r].permute(1, 2, 0).numpy() * 255 - resized(image=u[r])["image"]).max()
            assert (diff <= 1.0) == chose_resize


def test_pad_then_crop_detection_config_runs_and_matches_albumentations():
    """LongestMaxSize -> PadIfNeeded -> CenterCrop (the deterministic twin of the detection configs' RandomCrop)."""
    ts = [A.LongestMaxSize(80), A.PadIfNeeded(80, 80, border_mode=0), A.CenterCrop(70, 70)]
    pipe = from_albumentations(_cfg(*ts, bbox_params=A.BboxParams(**BB)))
    u = _coords(2, 50, 64)
    boxes = torch.tensor([[4.0, 5.0, 60.0, 40.0]]).repeat(2, 1, 1)
    y, bx = pipe(_t(u), boxes)
    ref = A.Compose(ts, bbox_params=A.BboxParams(**BB))(image=u[0], bboxes=boxes[0].numpy())
    assert y.shape == (2, 3, 70, 70)
    assert np.abs(y[0].permute(1, 2, 0).numpy() * 255 - ref["image"]).max() <= 1.0
    assert np.allclose(bx[0].numpy(), np.asarray(ref["bboxes"]).reshape(-1, 4), atol=1e-3)
    rand = from_albumentations(_cfg(ts[0], ts[1], A.RandomCrop(70, 70), bbox_params=A.BboxParams(**BB)))
    assert rand(_t(u), boxes)[0].shape == (2, 3, 70, 70)


def test_crop_larger_than_its_input_raises_with_the_config_path():
    pipe = from_albumentations(_cfg(A.Resize(32, 32), A.RandomCrop(40, 40)))
    with pytest.raises(ValueError, match=r"transform\.transforms\[1\]: RandomCrop: crop size \(40, 40\) is larger"):
        pipe(torch.rand(1, 3, 64, 64))


@pytest.mark.parametrize("transforms, where", [
    ([A.HorizontalFlip(), A.OneOf([A.RandomCrop(20, 20), A.Resize(24, 24)])], r"transform\.transforms\[1\]: OneOf"),
    ([A.RandomScale(p=1), A.Blur()], r"transform\.transforms\[0\]: RandomScale"),
])
def test_paths_that_never_meet_are_refused_at_load_time(transforms, where):
    cfg = _cfg(*transforms)
    with pytest.raises(UnsupportedTransformError, match=where + ".*different sizes"):
        from_albumentations(cfg)
    with pytest.warns(UserWarning, match="dropped"):
        pipe = from_albumentations(cfg, strict=False)
    assert pipe(torch.rand(3, 3, 40, 40)).shape[0] == 3


def test_nested_sequential_that_meets_inside_is_grouped_there():
    cfg = _cfg(A.Sequential([A.RandomCrop(24, 24, p=0.5), A.Resize(16, 16)], p=1), A.HorizontalFlip())
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    assert isinstance(_branches(pipe), PerSampleBranches)
    assert pipe(torch.rand(6, 3, 32, 32)).shape == (6, 3, 16, 16)


def test_random_scale_then_pad_and_crop_groups_samples_by_drawn_size():
    """RandomScale -> PadIfNeeded -> RandomCrop (segmentation configs): each sample is scaled by its own s to
    (int(H s), int(W s)), padded and cropped; keypoints scale by s as Albumentations scales them."""
    ts = [A.RandomScale(scale_limit=(-0.3, 0.3), p=1), A.PadIfNeeded(40, 40, border_mode=0), A.CenterCrop(40, 40)]
    pipe = from_albumentations(_cfg(*ts, keypoint_params=A.KeypointParams(**KP)),
                               generator=torch.Generator().manual_seed(2))
    b, h, w = 8, 44, 48
    u = _coords(b, h, w)
    kps = torch.tensor([[10.0, 12.0]]).repeat(b, 1, 1)
    y, kp = pipe(_t(u), kps)
    assert y.shape == (b, 3, 40, 40)
    groups = _groups(pipe)
    assert len(groups) > 1
    for g in groups:
        scale = g.data["params"][0].data["scale"]
        for j, r in enumerate(g.data["rows"].tolist()):
            s = float(scale[j])
            ref = A.Compose([A.Resize(int(h * s), int(w * s)), *ts[1:]], keypoint_params=A.KeypointParams(**KP))
            out = ref(image=u[r], keypoints=kps[r].numpy())
            assert np.abs(y[r].permute(1, 2, 0).numpy() * 255 - out["image"]).max() <= 1.0
            # keypoints: x * s (RandomScale) vs x * int(W s) / W (Resize): within a pixel
            assert np.allclose(kp[r].numpy(), np.asarray(out["keypoints"])[:, :2], atol=1.0)
    assert torch.equal(pipe(_t(u), kps, params=pipe._params)[0], y)


def test_random_scale_with_nothing_fixing_the_size_is_refused():
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: RandomScale: leaves images of different"):
        from_albumentations(_cfg(A.RandomScale(p=1), A.HorizontalFlip()))


@pytest.mark.parametrize("transforms, meets", [
    ([A.RandomCrop(24, 24, p=0.5)], (24, 24)),
    ([A.Resize(32, 32, p=0.9), A.Blur()], (32, 32)),
    ([A.OneOf([A.HorizontalFlip(), A.RandomSizedCrop(min_max_height=(16, 24), size=(24, 32))], p=0.8)], (24, 32)),
])
def test_paths_that_meet_for_some_input_sizes_are_checked_at_call_time(transforms, meets):
    """A crop with p < 1 to the size the author's images have: one size for those inputs (and then as
    Albumentations computes it), a clear error naming the transform for any other input size."""
    pipe = from_albumentations(_cfg(*transforms), generator=torch.Generator().manual_seed(0))
    assert pipe(torch.rand(4, 3, *meets)).shape == (4, 3, *meets)
    with pytest.raises(ValueError, match=rf"transform\.transforms\[0\]: .*for 40x48 inputs the samples end at "
                                         rf"different sizes.*one size for {meets[0]}x{meets[1]} inputs"):
        pipe(torch.rand(4, 3, 40, 48))


def test_random_crop_from_borders_then_resize_matches_albumentations_per_sample():
    """RandomCropFromBorders -> Resize: each sample's crop is drawn for its image (a size of its own), then
    resized; every sample equals Albumentations' Crop at the drawn box then Resize."""
    ts = [A.RandomCropFromBorders(crop_left=0.2, crop_right=0.2, crop_top=0.1, crop_bottom=0.3, p=1),
          A.Resize(24, 24)]
    pipe = from_albumentations(_cfg(*ts, keypoint_params=A.KeypointParams(**KP)),
                               generator=torch.Generator().manual_seed(4))
    b, h, w = 6, 40, 48
    u = _coords(b, h, w)
    kps = torch.tensor([[20.0, 18.0]]).repeat(b, 1, 1)
    y, kp = pipe(_t(u), kps)
    assert y.shape == (b, 3, 24, 24)
    groups = _groups(pipe)
    assert len(groups) > 1
    for g in groups:
        box = g.data["params"][0].data["box"]
        for j, r in enumerate(g.data["rows"].tolist()):
            x0, y0, x1, y1 = (int(v) for v in box[j].tolist())
            assert 0 <= x0 <= int(0.2 * w) and x1 >= int(0.8 * w) and 0 <= y0 <= int(0.1 * h) and y1 >= int(0.7 * h)
            ref = A.Compose([A.Crop(x_min=x0, y_min=y0, x_max=x1, y_max=y1), A.Resize(24, 24)],
                            keypoint_params=A.KeypointParams(**KP))
            out = ref(image=u[r], keypoints=kps[r].numpy())
            assert np.abs(y[r].permute(1, 2, 0).numpy() * 255 - out["image"]).max() <= 1.0
            assert np.allclose(kp[r].numpy(), np.asarray(out["keypoints"])[:, :2], atol=1e-4)


def test_bbox_safe_random_crop_then_resize_is_random_sized_bbox_safe_crop():
    """BBoxSafeRandomCrop -> Resize is Albumentations' RandomSizedBBoxSafeCrop (which subclasses the crop and
    resizes it): loaded as that one op, every box kept inside; alone, its size depends on the boxes: refused."""
    bb = A.BboxParams(format="pascal_voc")
    cfg = _cfg(A.BBoxSafeRandomCrop(erosion_rate=0.0), A.Resize(32, 40), A.HorizontalFlip(p=0.5), bbox_params=bb)
    pipe = from_albumentations(cfg, generator=torch.Generator().manual_seed(0))
    names = [type(m).__name__ for m in pipe.children()]
    assert names[0] == "AlbuRandomSizedBBoxSafeCrop" and len(names) == 2
    assert pipe.children().__next__()._albumentations_path == "transform.transforms[0]"
    boxes = torch.tensor([[10.0, 8.0, 30.0, 24.0], [40.0, 30.0, 60.0, 50.0]]).repeat(4, 1, 1)
    y, bx = pipe(torch.rand(4, 3, 56, 64), boxes)
    assert y.shape == (4, 3, 32, 40)
    assert pipe.albumentations_valid["bboxes"].all()  # a box-safe crop keeps every box
    assert (bx[..., 0] >= 0).all() and (bx[..., 2] <= 40).all() and (bx[..., 3] <= 32).all()
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: BBoxSafeRandomCrop: its output size "
                                                        r"depends on each image's boxes"):
        from_albumentations(_cfg(A.BBoxSafeRandomCrop(), A.HorizontalFlip(), bbox_params=bb))
    strict_area = A.BboxParams(format="pascal_voc", min_area=10)
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: BBoxSafeRandomCrop \+ Resize with "
                                                        r"bbox_params min_area"):
        from_albumentations(_cfg(A.BBoxSafeRandomCrop(), A.Resize(32, 40), bbox_params=strict_area))


@pytest.mark.parametrize("transforms", [
    [A.RandomCrop(24, 24, p=0.5), A.Resize(16, 16), A.HorizontalFlip()],
    [A.HorizontalFlip(), A.OneOf([A.RandomResizedCrop(size=(24, 24), p=1), A.Resize(24, 24, p=1)], p=1), A.Blur()],
    [A.Sequential([A.RandomCrop(24, 24, p=0.5), A.Resize(16, 16)], p=1), A.HorizontalFlip()],
    [A.RandomScale(scale_limit=(-0.3, 0.3), p=1), A.PadIfNeeded(40, 40, border_mode=0), A.CenterCrop(40, 40)],
    [A.RandomCrop(24, 24, p=0.5)],  # paths meet for 24x24 inputs only: checked at call time
])
def test_segments_grouped_by_size_export_back_to_the_same_config(transforms):
    """The loader's PerSampleBranches grouping is ours: exported, the segment is its transforms again, in place."""
    from kornia_diffaug.adapters.albumentations import to_albumentations

    cfg = _cfg(*transforms)
    pipe = from_albumentations(cfg)
    assert any(isinstance(m, PerSampleBranches) for m in pipe.modules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = A.from_dict(to_albumentations(pipe))
    assert A.to_dict(back) == A.to_dict(A.from_dict(cfg))


@pytest.mark.parametrize("transform", [
    A.RandomResizedCrop(size=(37, 53), scale=(0.2, 0.9), p=1.0),
    A.RandomResizedCrop(size=(70, 90), scale=(0.05, 0.3), interpolation=0, p=1.0),
    A.RandomSizedCrop(min_max_height=(15, 45), size=(45, 31), w2h_ratio=1.3, p=1.0),
    A.RandomResizedCrop(size=(29, 70), scale=(0.1, 0.6), interpolation=2, p=1.0),
    A.RandomSizedCrop(min_max_height=(10, 30), size=(33, 20), w2h_ratio=0.8, interpolation=2, p=1.0),
])
def test_resized_crops_pick_the_mask_pixels_opencv_picks(transform):
    """A resized crop's mask (and an ``interpolation=0`` image) is OpenCV's nearest resize of the crop, pixel for
    pixel: each sample equals Albumentations' ``Crop`` at our drawn box followed by its ``Resize``. Linear and
    cubic images are within OpenCV's uint8 rounding of it at every pixel, the crop's edges included (taps past the
    edge repeat it, as ``cv2.resize`` does, and do not read the pixels around the crop)."""
    pipe = from_albumentations(_cfg(transform), generator=torch.Generator().manual_seed(0))
    u = _coords(6, 48, 64, seed=1)
    labels = np.random.default_rng(2).integers(0, 5, (6, 48, 64)).astype(np.uint8)
    img, mask = pipe(_t(u), torch.from_numpy(labels).double()[:, None], data_keys=["input", "mask"])
    (item,) = pipe._params
    h, w = transform.size
    for i, (x0, y0, x1, y1) in enumerate(item.data["box"].round().long().tolist()):
        ref = A.Compose([A.Crop(x_min=x0, y_min=y0, x_max=x1, y_max=y1),
                         A.Resize(h, w, interpolation=transform.interpolation)])(image=u[i], mask=labels[i])
        np.testing.assert_array_equal(mask[i, 0].numpy(), ref["mask"])
        ours = img[i].permute(1, 2, 0).numpy() * 255
        if transform.interpolation == 0:
            np.testing.assert_allclose(ours, ref["image"], rtol=0, atol=1e-9)
        else:  # OpenCV rounds its fixed-point (linear) or float (cubic) result to uint8
            atol = 0.8 if transform.interpolation == 1 else 0.5 + 1e-6
            np.testing.assert_allclose(ours, ref["image"], rtol=0, atol=atol)


@pytest.mark.parametrize("transform", [
    A.LongestMaxSize(100), A.SmallestMaxSize(30), A.Resize(33, 77),
    A.RandomScale(scale_limit=(0.37, 0.37), p=1.0), A.RandomScale(scale_limit=(-0.41, -0.41), p=1.0),
])
def test_resizes_move_boxes_and_keypoints_as_albumentations(transform):
    """Albumentations moves boxes in normalised coordinates (by the ratio of the rounded sizes) and scales
    keypoints by the transform's own factor; for a 45x61 image the two differ by up to a pixel."""
    comp = A.Compose([transform], bbox_params=A.BboxParams(format="pascal_voc", min_visibility=0.0),
                     keypoint_params=A.KeypointParams(format="xy", remove_invisible=False))
    pipe = from_albumentations(A.to_dict(comp))
    u = _coords(1, 45, 61)
    boxes = np.array([[5, 6, 30, 25], [20, 10, 55, 40], [40, 30, 60, 44]], np.float32)
    kps = np.array([[10.5, 12.25], [33.0, 20.0], [55.5, 40.0]], np.float32)
    img, bx, kp = pipe(_t(u), torch.from_numpy(boxes)[None].double(), torch.from_numpy(kps)[None].double())
    ref = comp(image=u[0], bboxes=boxes, keypoints=kps)
    assert img.shape[-2:] == ref["image"].shape[:2]
    np.testing.assert_allclose(bx[0].numpy(), np.asarray(ref["bboxes"]).reshape(-1, 4), rtol=0, atol=1e-4)
    np.testing.assert_allclose(kp[0].numpy(), np.asarray(ref["keypoints"])[:, :2], rtol=0, atol=1e-4)
    back = pipe.inverse(img, bx, kp)  # each by the inverse of its own matrix
    np.testing.assert_allclose(back[2][0].numpy(), kps, rtol=0, atol=1e-4)
