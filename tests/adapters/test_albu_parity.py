"""Parity of every mapped transform with Albumentations itself (uint8 HWC ``u`` vs ``u / 255`` float BCHW)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

A = pytest.importorskip("albumentations")

from albu_parity import measure  # noqa: E402
from albu_parity import test_image as make_image  # noqa: E402
from kornia_diffaug.adapters.albumentations import TABLE, from_albumentations, to_albumentations  # noqa: E402

CASES = sorted(n for n, e in TABLE.items() if e.parity["case"] is not None)


@pytest.mark.parametrize("name", CASES)
def test_table_case_within_stated_bound(name):
    r = measure(name)
    assert r.ok, f"{name}: {r.figure} (bound {r.bound}, kind {r.kind})"


# Extra deterministic cases: other border modes, interpolations, sizes and parameter corners.
EXTRA = [
    ("ColorJitter", {"brightness": (1.3, 1.3), "contrast": (1, 1), "saturation": (1, 1), "hue": (0, 0)}, 1),
    ("ColorJitter", {"brightness": (1, 1), "contrast": (1.4, 1.4), "saturation": (1, 1), "hue": (0, 0)}, 1),
    ("ColorJitter", {"brightness": (1, 1), "contrast": (1, 1), "saturation": (1.6, 1.6), "hue": (0, 0)}, 1),
    ("ColorJitter", {"brightness": (1, 1), "contrast": (1, 1), "saturation": (1, 1), "hue": (0.2, 0.2)}, 4.5),
    ("ColorJitter", {"brightness": (1, 1), "contrast": (1, 1), "saturation": (1, 1), "hue": (-0.35, -0.35)}, 4.5),
    ("HueSaturationValue", {"hue_shift_limit": (-40, -40), "sat_shift_limit": (0, 0), "val_shift_limit": (0, 0)}, 4.5),
    ("RandomBrightnessContrast", {"brightness_limit": (-0.3, -0.3), "contrast_limit": (0.5, 0.5),
                                  "brightness_by_max": False}, 1),
    ("RGBShift", {"r_shift_limit": (0.1, 0.1), "g_shift_limit": (-0.2, -0.2), "b_shift_limit": (0, 0)}, 1),
    ("RandomGamma", {"gamma_limit": (150, 150)}, 1),
    ("Solarize", {"threshold_range": (0.8, 0.8)}, 0),
    ("Posterize", {"num_bits": (6, 6)}, 0),
    ("GaussianBlur", {"blur_limit": (0, 0), "sigma_limit": (2.0, 2.0)}, 1),
    ("GaussianBlur", {"blur_limit": (4, 4), "sigma_limit": (0.8, 0.8)}, 1),
    ("MotionBlur", {"blur_limit": (7, 7), "angle_range": (45, 45), "direction_range": (0.5, 0.5),
                    "allow_shifted": False}, 1),
    ("MedianBlur", {"blur_limit": (3, 3)}, 0),
    ("Blur", {"blur_limit": (3, 3)}, 1),
    ("Downscale", {"scale_range": (0.3, 0.3), "interpolation_pair": {"downscale": 1, "upscale": 1}}, 1),
    ("MultiplicativeNoise", {"multiplier": (0.7, 0.7), "per_channel": True}, 1),
    ("CLAHE", {"clip_limit": (3, 3), "tile_grid_size": (3, 5)}, None),
]


@pytest.mark.parametrize(("name", "case", "bound"), EXTRA, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(EXTRA)])
def test_pointwise_extra_cases(name, case, bound):
    r = measure(name, case)
    limit = TABLE[name].parity["bound"] if bound is None else bound
    if r.kind == "resample":
        assert r.mean_err <= limit, r.figure
    else:
        assert r.max_err <= limit + 0.5 + 1e-6, r.figure


GEOMETRIC_EXTRA = [
    ("Affine", {"rotate": (-25, -25), "border_mode": 1, "interpolation": 1}),
    ("Affine", {"rotate": (15, 15), "border_mode": 4, "scale": (0.8, 0.8)}),
    ("Affine", {"rotate": (15, 15), "border_mode": 2, "translate_px": {"x": (3, 3), "y": (-2, -2)}}),
    ("Affine", {"rotate": (40, 40), "border_mode": 0, "fill": 120}),
    ("Affine", {"scale": {"x": (1.2, 1.2), "y": (0.9, 0.9)}, "shear": {"x": (0, 0), "y": (10, 10)},
                "interpolation": 2}),
    ("Rotate", {"limit": (-60, -60), "interpolation": 0, "border_mode": 0}),
    ("SafeRotate", {"limit": (70, 70), "border_mode": 1}),
    ("Resize", {"height": 20, "width": 30, "interpolation": 0}),
    ("Resize", {"height": 100, "width": 77, "interpolation": 2}),
    ("PadIfNeeded", {"min_height": 64, "min_width": 80, "border_mode": 0, "fill": 50, "position": "top_left"}),
    ("PadIfNeeded", {"min_height": None, "min_width": None, "pad_height_divisor": 32, "pad_width_divisor": 24,
                     "border_mode": 1}),
    ("PadIfNeeded", {"min_height": 60, "min_width": 80, "border_mode": 2}),
    ("RandomResizedCrop", {"size": (32, 40), "scale": (1, 1), "ratio": (1.25, 1.25)}),
]


@pytest.mark.parametrize(("name", "case"), GEOMETRIC_EXTRA,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(GEOMETRIC_EXTRA)])
def test_geometric_extra_cases(name, case):
    r = measure(name, case)
    bound = 1.5 if r.kind == "resample" else 0
    err = r.mean_err if r.kind == "resample" else r.max_err
    assert err <= bound + (0.5 if r.kind != "resample" else 0), r.figure


def _keypoints_both(t, size=(40, 60)):
    u = make_image(*size)
    kps = np.array([[10.0, 5.0], [30.0, 20.0], [52.0, 33.0]])
    c = A.Compose([t], keypoint_params=A.KeypointParams(format="xy", remove_invisible=False))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ra = c(image=u, keypoints=kps)
        pipe = from_albumentations(A.to_dict(c))
    x = torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255
    out = pipe(x, torch.from_numpy(kps)[None])
    return np.asarray(ra["keypoints"])[:, :2], out[1][0].numpy(), ra["image"], out[0]


@pytest.mark.parametrize("t", [
    A.HorizontalFlip(p=1), A.VerticalFlip(p=1), A.Transpose(p=1), A.Affine(rotate=(30, 30), p=1),
    A.Affine(scale=(1.2, 1.2), translate_px=(4, 4), p=1), A.Resize(80, 90), A.PadIfNeeded(50, 70, border_mode=0),
    A.CenterCrop(30, 40), A.Crop(5, 3, 55, 38), A.LongestMaxSize(max_size=30),
    A.RandomResizedCrop(size=(30, 30), scale=(1, 1), ratio=(1, 1)), A.SafeRotate(limit=(30, 30), p=1),
    A.ShiftScaleRotate(shift_limit=(0.1, 0.1), scale_limit=(0.2, 0.2), rotate_limit=(-20, -20), p=1),
], ids=lambda t: type(t).__name__)
def test_keypoints_follow_like_albumentations(t):
    ka, kk, ia, ik = _keypoints_both(t)
    assert ik.shape[-2:] == ia.shape[:2]
    np.testing.assert_allclose(kk, ka, atol=1e-3)


def test_brightness_contrast_parameters_follow_albumentations_distribution():
    """alpha = 1 + U(contrast_limit), beta = U(brightness_limit): compare the empirical quantiles."""
    from kornia_diffaug.ops.albu import AlbuBrightnessContrast

    op = AlbuBrightnessContrast((-0.3, 0.1), (-0.2, 0.4))
    ours = op.sample(4000, (8, 8), torch.Generator().manual_seed(0), torch.device("cpu"))
    t = A.RandomBrightnessContrast(brightness_limit=(-0.3, 0.1), contrast_limit=(-0.2, 0.4), p=1)
    t.set_random_seed(0)
    img = np.zeros((4, 4, 3), np.uint8)
    theirs = [t.get_params_dependent_on_data({"shape": img.shape}, {"image": img}) for _ in range(4000)]
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    ta = np.quantile([d["alpha"] for d in theirs], qs)
    tb = np.quantile([d["beta"] / 255 for d in theirs], qs)
    np.testing.assert_allclose(np.quantile(ours["alpha"].numpy(), qs), ta, atol=0.03)
    np.testing.assert_allclose(np.quantile(ours["beta"].numpy(), qs), tb, atol=0.03)


def test_random_resized_crop_box_distribution_matches():
    from kornia_diffaug.ops.albu import AlbuRandomResizedCrop

    op = AlbuRandomResizedCrop(size=(16, 16), scale=(0.08, 1.0), ratio=(0.75, 4 / 3))
    box = op.sample(3000, (48, 64), torch.Generator().manual_seed(0), torch.device("cpu"))["box"].numpy()
    t = A.RandomResizedCrop(size=(16, 16), scale=(0.08, 1.0), p=1)
    t.set_random_seed(0)
    theirs = np.array([t.get_params_dependent_on_data({"shape": (48, 64, 3)}, {})["crop_coords"] for _ in range(3000)])
    area_o = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    area_t = (theirs[:, 2] - theirs[:, 0]) * (theirs[:, 3] - theirs[:, 1])
    qs = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(np.quantile(area_o, qs), np.quantile(area_t, qs), rtol=0.08)
    np.testing.assert_allclose(box[:, 0].mean(), theirs[:, 0].mean(), atol=1.0)


def test_gaussian_blur_kernel_sizes_are_drawn_like_albumentations():
    from kornia_diffaug.ops.albu import AlbuGaussianBlur

    op = AlbuGaussianBlur(blur_limit=(3, 8), sigma_limit=(0.5, 1.0))
    k = op.sample(6000, (8, 8), torch.Generator().manual_seed(0), torch.device("cpu"))["ksize"].numpy()
    # randint[3, 8] then even sizes + 1: 3 w.p. 1/6, 5, 7, 9 w.p. 1/3, 1/3, 1/6.
    freq = np.array([(k == s).mean() for s in (3, 5, 7, 9)])
    np.testing.assert_allclose(freq, [1 / 6, 1 / 3, 1 / 3, 1 / 6], atol=0.025)


def test_coarse_dropout_hole_count_and_size_distribution():
    from kornia_diffaug.ops.albu import AlbuCoarseDropout

    op = AlbuCoarseDropout((1, 4), (0.1, 0.3), (5, 9))
    s = op.sample(4000, (50, 60), torch.Generator().manual_seed(0), torch.device("cpu"))
    counts = (s["height"] > 0).sum(1).numpy()
    np.testing.assert_allclose(np.bincount(counts, minlength=5)[1:] / 4000, [0.25] * 4, atol=0.03)
    h = s["height"][s["height"] > 0].numpy()
    w = s["width"][s["width"] > 0].numpy()
    assert h.min() >= 5 and h.max() <= 14  # int(50 * U(0.1, 0.3))
    assert set(np.unique(w)) == set(range(5, 10))  # randint[5, 9] pixels


def test_hsv_hue_unit_is_opencv_uint8():
    """A hue shift of 90 OpenCV units is half a turn: pure red becomes cyan."""
    u = np.zeros((4, 4, 3), np.uint8)
    u[..., 0] = 255
    t = {"__class_fullname__": "HueSaturationValue", "p": 1.0, "hue_shift_limit": (90, 90),
         "sat_shift_limit": (0, 0), "val_shift_limit": (0, 0)}
    a = A.from_dict({"transform": t})(image=u)["image"]
    k = from_albumentations({"transform": t})(torch.from_numpy(u).permute(2, 0, 1)[None].float() / 255)
    np.testing.assert_array_equal(a[0, 0], [0, 255, 255])
    np.testing.assert_allclose(k[0, :, 0, 0].numpy() * 255, [0, 255, 255], atol=1)


@pytest.mark.parametrize("t", [
    A.GridDistortion(num_steps=4, distort_limit=(0.25, 0.25), p=1, keypoint_remapping_method="direct"),
    A.GridDistortion(num_steps=5, distort_limit=(-0.2, -0.2), p=1, keypoint_remapping_method="direct"),
], ids=["stretch", "shrink"])
def test_distortion_keypoints_follow_like_albumentations(t):
    ka, kk, ia, ik = _keypoints_both(t)
    np.testing.assert_allclose(kk, ka, atol=1.0)  # Albumentations rounds them to whole pixels


def test_elastic_transform_zero_alpha_is_identity_and_seeded():
    u = make_image()
    x = torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255
    cfg = {"transform": {"__class_fullname__": "ElasticTransform", "p": 1.0, "alpha": 0.0, "sigma": 4.0}}
    torch.testing.assert_close(from_albumentations(cfg)(x), x)
    cfg["transform"]["alpha"] = 20.0
    a = from_albumentations(cfg, generator=torch.Generator().manual_seed(1))(x)
    b = from_albumentations(cfg, generator=torch.Generator().manual_seed(1))(x)
    torch.testing.assert_close(a, b)
    assert (a - x).abs().mean() > 1e-3


def test_color_jitter_applies_each_sample_in_its_own_order():
    """The batched kernel (hue evaluated once) equals applying the four steps one sample at a time."""
    from kornia_diffaug.functional.albu import color as FC

    g = torch.Generator().manual_seed(0)
    x = torch.rand(24, 3, 6, 7, generator=g, dtype=torch.float64)
    f = torch.stack([torch.rand(24, generator=g) * 1.2 + 0.4 for _ in range(3)] + [torch.rand(24, generator=g) - 0.5],
                    1).double()
    order = torch.rand(24, 4, generator=g).argsort(1)
    y = FC.color_jitter(x, f, order)
    for i in range(24):
        xi = x[i : i + 1]
        for op in order[i].tolist():
            if op == 3:
                xi = FC._hue_rotate(xi, f[i : i + 1, 3])
            else:
                fi = torch.ones(1, 4, dtype=torch.float64)
                fi[0, op] = f[i, op]
                xi = FC._linear_jitter_step(xi, fi, torch.tensor([op]), (True,) * 4, True)
        torch.testing.assert_close(y[i : i + 1], xi)


def test_grid_dropout_matches_albumentations_on_fixed_grids():
    from albu_parity import measure

    for case in ({"ratio": 0.3, "holes_number_xy": (4, 4), "random_offset": False},
                 {"ratio": 0.5, "unit_size_range": (8, 9), "random_offset": False, "shift_xy": (2, 1)}):
        assert measure("GridDropout", case).max_err == 0.0


def test_grid_dropout_random_offset_area_and_unsupported_fill():
    from kornia_diffaug.ops.albu import AlbuGridDropout

    op = AlbuGridDropout(ratio=0.5, unit_size_range=(8, 9))
    s = op.sample(20, (64, 64), torch.Generator().manual_seed(0), torch.device("cpu"))
    assert abs(s["drop"].float().mean().item() - 0.25) < 1e-6  # 8x8 grid of 4x4 holes, always inside the cell
    from kornia_diffaug.adapters.albumentations import UnsupportedTransformError

    with pytest.raises(UnsupportedTransformError, match="random"):
        from_albumentations({"__class_fullname__": "GridDropout", "fill": "random"}, strict=True)


# ----------------------------------------------------------------------------------------------- geometric, aliases
def test_optical_distortion_maps_equal_albumentations_and_1x_shifts_the_centre():
    from albumentations.augmentations.geometric import functional as fg

    from kornia_diffaug.functional.albu import optical_distortion_map

    for mode, fn in (("camera", fg.get_camera_matrix_distortion_maps), ("fisheye", fg.get_fisheye_distortion_maps)):
        for k in (-0.4, 0.25):
            mx, my = fn((37, 52), k)
            m = optical_distortion_map(torch.tensor([k]), (37, 52), None, mode)[0].numpy()
            np.testing.assert_allclose(m[0], mx, atol=2e-5)
            np.testing.assert_allclose(m[1], my, atol=2e-5)
    # 1.x: cv2's camera with the principal point moved by (dx, dy)
    import cv2

    h, w, k, dx, dy = 30, 44, 0.3, 3.0, -2.0
    cam = np.array([[w, 0, w / 2 + dx], [0, h, h / 2 + dy], [0, 0, 1]], np.float32)
    mx, my = cv2.initUndistortRectifyMap(cam, np.array([k, k, 0, 0, 0], np.float32), None, None, (w, h),
                                         cv2.CV_32FC1)
    m = optical_distortion_map(torch.tensor([k]), (h, w), torch.tensor([[dx, dy]]))[0].numpy()
    np.testing.assert_allclose(m[0], mx, atol=2e-5)
    np.testing.assert_allclose(m[1], my, atol=2e-5)


@pytest.mark.parametrize("case", [{"distort_limit": (-0.5, -0.5), "border_mode": 1},
                                  {"distort_limit": (0.4, 0.4), "mode": "fisheye", "interpolation": 0}])
def test_optical_distortion_extra_cases(case):
    r = measure("OpticalDistortion", case)
    assert r.mean_err <= 1.5, r.figure


def test_piecewise_affine_map_equals_albumentations_for_the_same_jitter():
    from albumentations.augmentations.geometric import functional as fg

    from kornia_diffaug.ops.albu import AlbuPiecewiseAffine

    for (h, w), (r, c), s, absolute in (((30, 40), (3, 4), 0.05, False), ((25, 31), (4, 2), 2.0, True)):
        mx, my = fg.create_piecewise_affine_maps((h, w), (r, c), s, absolute, np.random.default_rng(5))
        std = s / 3 if absolute else s * min(h, w) / 3
        jit = np.random.default_rng(5).normal(0, std, (r, c, 2)).astype(np.float32)
        op = AlbuPiecewiseAffine(scale=(s, s), nb_rows=(2, 4), nb_cols=(2, 4), absolute_scale=absolute)
        noise = torch.zeros(1, 4, 4, 2, dtype=torch.float64)  # the op pads the grid to nb_rows/cols' maximum
        noise[0, :r, :c] = torch.from_numpy(jit.astype(np.float64)) / std
        params = {"rows": torch.tensor([r]), "cols": torch.tensor([c]), "scale": torch.tensor([s], dtype=torch.float64),
                  "noise": noise, "forward_input_shape": torch.tensor([1, 3, h, w])}
        m = op._map(params, None)[0].numpy()
        np.testing.assert_allclose(m[0], mx, atol=1e-4)
        np.testing.assert_allclose(m[1], my, atol=1e-4)


def test_piecewise_affine_zero_scale_is_the_identity():
    x = torch.rand(2, 3, 20, 30, dtype=torch.float64)
    cfg = {"transform": {"__class_fullname__": "PiecewiseAffine", "p": 1.0, "scale": 0.0}}
    torch.testing.assert_close(from_albumentations(cfg)(x), x)


@pytest.mark.parametrize("t", [A.OpticalDistortion(distort_limit=(0.3, 0.3), p=1, keypoint_remapping_method="direct"),
                               A.OpticalDistortion(distort_limit=(0.3, 0.3), mode="fisheye", p=1,
                                                   keypoint_remapping_method="direct")],
                         ids=["camera", "fisheye"])
def test_optical_distortion_keypoints_follow_like_albumentations(t):
    ka, kk, ia, ik = _keypoints_both(t)
    np.testing.assert_allclose(kk, ka, atol=1.0)  # Albumentations rounds them to whole pixels


@pytest.mark.parametrize("t", [A.RandomSizedCrop(min_max_height=(40, 40), size=(30, 50), w2h_ratio=1.5, p=1)],
                         ids=["RandomSizedCrop"])
def test_sized_crop_keypoints_follow_like_albumentations(t):
    # the crop spans the width, so only its y offset is random: run both until they agree on the image
    u = make_image(40, 60)
    kps = np.array([[10.0, 5.0], [30.0, 20.0], [52.0, 33.0]])
    x = torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255
    c = A.Compose([t], keypoint_params=A.KeypointParams(format="xy", remove_invisible=False), seed=0)
    ra = c(image=u, keypoints=kps)
    for s in range(40):
        pipe = from_albumentations(A.to_dict(c), generator=torch.Generator().manual_seed(s))
        img, k = pipe(x, torch.from_numpy(kps)[None])
        if np.abs(img[0].permute(1, 2, 0).numpy() * 255 - ra["image"]).mean() < 1.0:
            np.testing.assert_allclose(k[0].numpy(), np.asarray(ra["keypoints"])[:, :2], atol=1e-6)
            return
    pytest.fail("no draw cropped like Albumentations")


def test_random_sized_crop_heights_are_drawn_like_albumentations():
    from kornia_diffaug.ops.albu import AlbuRandomSizedCrop

    op = AlbuRandomSizedCrop(min_max_height=(10, 30), size=(8, 8), w2h_ratio=0.7)
    box = op.sample(4000, (40, 50), torch.Generator().manual_seed(0), torch.device("cpu"))["box"].numpy()
    t = A.RandomSizedCrop(min_max_height=(10, 30), size=(8, 8), w2h_ratio=0.7, p=1)
    t.set_random_seed(0)
    theirs = np.array([t.get_params_dependent_on_data({"shape": (40, 50, 3)}, {})["crop_coords"] for _ in range(4000)])
    for b in (box, theirs):
        assert ((b[:, 2] - b[:, 0]) == np.floor((b[:, 3] - b[:, 1]) * 0.7)).all()
    hs = [np.bincount((b[:, 3] - b[:, 1]).astype(int), minlength=31)[10:] / 4000 for b in (box, theirs)]
    np.testing.assert_allclose(hs[0], hs[1], atol=0.02)
    np.testing.assert_allclose(box[:, 1].mean(), theirs[:, 1].mean(), atol=0.5)


def test_iaa_names_load_as_their_successors_with_imgaug_semantics():
    from kornia_diffaug.ops.albu import AlbuAffine, AlbuGaussNoise, AlbuPerspective, AlbuSharpen

    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
        {"__class_fullname__": "albumentations.imgaug.transforms.IAASharpen", "p": 0.5, "alpha": 0.3,
         "lightness": [0.6, 0.9]},
        {"__class_fullname__": "IAAAdditiveGaussianNoise", "p": 0.5, "loc": 0, "scale": [2.55, 12.75],
         "per_channel": False},
        {"__class_fullname__": "IAAAffine", "p": 0.5, "scale": [0.9, 1.1], "translate_percent": 0.1, "rotate": 15,
         "shear": [-5, 5], "order": 3, "cval": 51, "mode": "edge"},
        {"__class_fullname__": "IAAPerspective", "p": 0.5, "scale": [0.05, 0.1], "keep_size": True}]}}
    sharpen, noise, affine, persp = from_albumentations(cfg).children()
    assert type(sharpen) is AlbuSharpen and sharpen.config()["alpha"] == (0.3, 0.3)  # imgaug: a number is constant
    assert type(noise) is AlbuGaussNoise
    np.testing.assert_allclose(noise.config()["std_range"], (0.01, 0.05))  # uint8 levels -> fractions
    assert noise.config()["per_channel"] is False
    c = affine.config()
    assert type(affine) is AlbuAffine and c["rotate"] == (15.0, 15.0)
    assert c["translate_percent"] == {"x": (0.1, 0.1), "y": (0.1, 0.1)}
    assert c["shear"] == {"x": (-5.0, 5.0), "y": (0.0, 0.0)}  # imgaug's bare shear is along x
    assert affine.interpolation == 2 and affine.border_mode == 1 and affine.fill == pytest.approx(0.2)
    assert type(persp) is AlbuPerspective and persp.config()["scale"] == (0.05, 0.1)
    back = A.from_dict(to_albumentations(from_albumentations(cfg)))
    assert [type(t).__name__ for t in back.transforms] == ["Sharpen", "GaussNoise", "Affine", "Perspective"]


def test_flip_draws_each_of_its_three_flips_and_moves_keypoints_with_the_pixels():
    u = make_image(10, 14)
    x = torch.from_numpy(u).permute(2, 0, 1)[None].double().repeat(60, 1, 1, 1) / 255
    pipe = from_albumentations({"transform": {"__class_fullname__": "Flip", "p": 1.0}, "__version__": "1.3.1"},
                               generator=torch.Generator().manual_seed(0))
    kps = torch.tensor([[[3.0, 2.0]]], dtype=torch.float64).repeat(60, 1, 1)
    y, k = pipe(x, kps, data_keys=["input", "keypoints"])
    seen = set()
    for i in range(60):
        for name, ref in (("h", x[i].flip(-1)), ("v", x[i].flip(-2)), ("hv", x[i].flip(-1, -2))):
            if torch.equal(y[i], ref):
                seen.add(name)
                px, py = int(k[i, 0, 0]), int(k[i, 0, 1])
                assert torch.equal(y[i, :, py, px], x[i, :, 2, 3])  # the marked pixel is under its keypoint
    assert seen == {"h", "v", "hv"}
