"""What 1.x (and 0.x) configs meant, where it differs from 2.0.8 under the same name, and mask fills.

- ``ElasticTransform(alpha_affine=...)``: 1.x's random affine, uniform noise and scipy smoothing, against
  Albumentations 1.3.1's own kernel on fixed draws (``fixtures/albumentations1x``, written by 1.3.1).
- 1.x ``PiecewiseAffine`` and 0.x ``IAAPiecewiseAffine``: scikit-image's triangulated mesh, against 1.3.1's own
  transform (images, masks, keypoints, boxes) and imgaug 0.4.0's (images, masks) on fixed draws
  (``fixtures/imgaug``); which versions get it.
- 1.x ``RandomRain``: drops counted from the area, ``rain_type`` lengths, integer slant, painted ``LINE_8``
  segments, the whole image blurred (against 1.3.1's ``add_rain`` on fixed drops).
- ``SafeRotate(mask_value=None)``, ``IAAEmboss``; mask fills honoured (or refused), never dropped.
- 1.x ``GaussianBlur(sigma_limit=0)`` exported as what 2.0.8 reads as the same blur.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import kornia.augmentation as K
import numpy as np
import pytest
import torch
from kornia.constants import Resample
from kornia.geometry.boxes import Boxes
from kornia.geometry.keypoints import Keypoints
from kornia_diffaug.adapters.albumentations import UnsupportedTransformError, from_albumentations, to_albumentations

from kornia_diffaug.functional import albu as FA
from kornia_diffaug.ops.albu import AlbuElasticTransform, AlbuPiecewiseAffineMesh, AlbuRandomRain

FIX = Path(__file__).resolve().parent / "fixtures" / "albumentations1x"


def _cfg(version, *ts):
    return {"__version__": version, "transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(ts)}}


def _only(pipe):
    (op,) = list(pipe.children())
    return op


# ----------------------------------------------------------------------------------------------- ElasticTransform
ELASTIC = [  # as make_fixtures.py: name, alpha, sigma, alpha_affine, interpolation, border_mode, fill, fill_mask
    ("constant", 6.0, 3.0, 3.0, 1, 0, 0.2, 7.0),
    ("reflect101", 20.0, 4.5, 4.0, 1, 4, 0.0, 0.0),
    ("replicate_cubic", 3.0, 1.5, 2.0, 2, 1, 0.0, 0.0),
]


@pytest.mark.parametrize("case", ELASTIC, ids=[c[0] for c in ELASTIC])
def test_elastic_with_alpha_affine_equals_albumentations_1_3_1(case):
    """Our draws fed to 1.3.1's ``elastic_transform``: the same affine matrix, the same masks (nearest, the
    mask fill), images within OpenCV's 1/32-pixel interpolation tables (on a smooth image)."""
    name, alpha, sigma, aa, interp, border, fill, fill_mask = case
    d = np.load(FIX / "elastic.npz")
    op = AlbuElasticTransform(alpha=alpha, sigma=sigma, interpolation=interp, border_mode=border, fill=fill,
                              fill_mask=fill_mask, noise_distribution="uniform", alpha_affine=aa, smoothing="scipy")
    h, w = d["mask"].shape
    m = FA.elastic_affine_matrix(torch.from_numpy(d[f"{name}.jitter"])[None], (h, w))
    np.testing.assert_allclose(m[0, :2].numpy(), d[f"{name}.matrix"], atol=2e-6)
    field = torch.stack([torch.from_numpy(d[f"{name}.u_x"]), torch.from_numpy(d[f"{name}.u_y"])])[None] * 2 - 1
    params = {"matrix": m, "field": field}
    img = torch.from_numpy(d["image"]).permute(2, 0, 1)[None].double()
    err = (op.apply_transform(img, params, op.flags) - torch.from_numpy(d[f"{name}.out"]).permute(2, 0, 1)).abs()
    assert err.mean() < 1e-3 and err.max() < 0.012, (err.mean(), err.max())
    mask = torch.from_numpy(d["mask"]).float()[None, None]
    got = op.apply_transform_mask(mask, params, {**op.flags, "resample": Resample.NEAREST})[0, 0]  # as for masks
    assert torch.equal(got, torch.from_numpy(d[f"{name}.mask"]).float())
    if border == 0:
        assert (got == fill_mask).any()  # the border label is there, as in 1.3.1's


def test_elastic_scipy_smoothing_equals_scipy_gaussian_filter():
    ndimage = pytest.importorskip("scipy.ndimage")
    f = torch.rand(2, 2, 13, 17, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    for sigma in (0.7, 2.5, 9.0):  # 9: the kernel is wider than the image (repeated reflections)
        ours = FA.gaussian_blur_fields(f, sigma, "scipy")
        ref = np.stack([[ndimage.gaussian_filter(f[b, k].numpy(), sigma) for k in range(2)] for b in range(2)])
        np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12)


def test_elastic_2x_smooths_dx_and_dy_stacked_as_albumentations_2_0_8_does():
    """2.0.8 blurs the (2 H, W) stack of both fields in one ``cv2.GaussianBlur``: its own function on our noise."""
    fg = pytest.importorskip("albumentations.augmentations.geometric.functional")

    class Noise:  # stands in for the numpy Generator: hands 2.0.8 our field
        def __init__(self, f):
            self.f = f

        def uniform(self, low, high, size):
            return self.f

    f = torch.rand(1, 2, 21, 26, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 2 - 1
    for sigma in (2.0, 50.0):
        dx, dy = fg.generate_displacement_fields((21, 26), 3.0, sigma, False, (0, 0), Noise(f[0].float().numpy()),
                                                 "uniform")
        ours = FA.elastic_map(f.float(), sigma, 3.0)[0] - FA.elastic_map(torch.zeros_like(f), sigma, 3.0)[0]
        np.testing.assert_allclose(ours.numpy(), np.stack([dx, dy]), atol=2e-5)


def _elastic(version, **kw):
    t = {"__class_fullname__": "albumentations.augmentations.geometric.transforms.ElasticTransform",
         "always_apply": False, "p": 1.0, "alpha": 1, "sigma": 50, "alpha_affine": 50, "interpolation": 1,
         "border_mode": 4, "value": None, "mask_value": None, "approximate": False, **kw}
    return _cfg(version, t)


@pytest.mark.parametrize("version", ["0.4.6", "0.5.2", "1.3.1"])
def test_a_1x_elastic_config_with_alpha_affine_loads_strictly_with_1x_semantics(version):
    pipe = from_albumentations(_elastic(version), strict=True)
    assert pipe.albumentations_dropped == []
    c = _only(pipe).config()
    assert (c["alpha_affine"], c["smoothing"], c["noise_distribution"], c["border_mode"]) == (50.0, "scipy",
                                                                                               "uniform", 4)
    y = pipe(torch.rand(2, 3, 24, 30))
    assert y.shape == (2, 3, 24, 30) and torch.isfinite(y).all()
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: AlbuElasticTransform .*alpha_affine"):
        to_albumentations(pipe)  # 2.0.8 has no affine in its ElasticTransform


def test_elastic_alpha_affine_after_1_4_is_refused_and_2x_keeps_its_semantics():
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: ElasticTransform: alpha_affine"):
        from_albumentations(_elastic("1.4.10"), strict=True)
    assert from_albumentations(_elastic("1.4.10", alpha_affine=0), strict=True).albumentations_dropped == []
    two = {"__class_fullname__": "ElasticTransform", "p": 1.0, "alpha": 3, "sigma": 5}
    c = _only(from_albumentations(_cfg("2.0.8", two))).config()
    assert (c["alpha_affine"], c["smoothing"], c["noise_distribution"], c["border_mode"]) == (0.0, "opencv",
                                                                                               "gaussian", 0)


def test_elastic_masks_and_keypoints_follow_the_affine_and_the_field():
    """A keypoint on a marked pixel stays on it (within a pixel: nearest sampling of the mask)."""
    g = torch.Generator().manual_seed(3)
    op = AlbuElasticTransform(alpha=4.0, sigma=4.0, interpolation=0, alpha_affine=3.0, noise_distribution="uniform",
                              smoothing="scipy", generator=g)
    seq = K.AugmentationSequential(op, data_keys=["input", "mask", "keypoints"])
    h, w = 40, 52
    pts = torch.tensor([[[20.0, 17.0]], [[31.0, 22.0]], [[26.0, 20.0]]])
    mask = torch.zeros(3, 1, h, w)
    for i, (x, y) in enumerate(pts[:, 0].long().tolist()):
        mask[i, 0, y - 1 : y + 2, x - 1 : x + 2] = 1.0  # a 3x3 spot: nearest sampling keeps it visible
    _, m, k = seq(torch.rand(3, 3, h, w), mask, pts)
    for i in range(3):
        ys, xs = torch.nonzero(m[i, 0] > 0.5, as_tuple=True)
        centre = torch.stack([xs.double().mean(), ys.double().mean()])
        assert torch.dist(centre, k[i, 0].double()) < 1.5, (centre, k[i, 0])
    moved = (k - pts).norm(dim=-1)
    assert (moved > 0.5).all()  # the affine moved them


# ----------------------------------------------------------------------------------------------- PiecewiseAffine
PIECEWISE = [  # as make_fixtures.py: name, (H, W), rows, cols, scale, absolute, order, mask order, mode, cval, mask
    ("constant", (20, 28), 4, 4, 0.04, False, 1, 0, "constant", 0, 0),
    ("rows3_cols5_abs_edge", (23, 17), 3, 5, 1.5, True, 0, 0, "edge", 0, 0),
    ("rows6_cols4_reflect", (36, 44), 6, 4, 0.03, False, 1, 1, "reflect", 0.5, 3),
    ("rows2_cols2_symmetric", (16, 24), 2, 2, 0.08, False, 1, 0, "symmetric", 0, 0),
    ("rows5_cols7_wrap", (30, 26), 5, 7, 0.02, False, 1, 0, "wrap", 0, 0),
]


def _mesh_case(case, big=7):
    """The op and the params that replay the fixture's draws (the grid padded to ``big x big``)."""
    name, (h, w), r, c, s, absolute, order, mask_order, mode, cval, cval_mask = case
    d = np.load(FIX / "piecewise.npz")
    op = AlbuPiecewiseAffineMesh(scale=(s, s), nb_rows=(2, big), nb_cols=(2, big), absolute_scale=absolute,
                                 order=order, mask_order=mask_order, mode=mode, cval=cval / 255, cval_mask=cval_mask)
    noise = torch.zeros(1, big, big, 2, dtype=torch.float64)
    noise[0, :r, :c] = torch.from_numpy(d[f"{name}.noise"]).view(r, c, 2)
    params = {"rows": torch.tensor([r]), "cols": torch.tensor([c]), "scale": torch.tensor([s], dtype=torch.float64),
              "noise": noise.view(1, big * big, 2), "forward_input_shape": torch.tensor([1, 3, h, w])}
    return op, params, {k.split(".", 1)[1]: d[k] for k in d.files if k.startswith(f"{name}.")}


@pytest.mark.parametrize("case", PIECEWISE, ids=[c[0] for c in PIECEWISE])
def test_piecewise_affine_mesh_equals_albumentations_1_3_1(case):
    """1.3.1's PiecewiseAffine on our draws: the same triangles (scipy's Delaunay), images within 1e-7 (1.3.1 rounds
    its float32 output), masks, keypoints and boxes exact; uint8 images within 1.3.1's truncation (< 1 level)."""
    op, params, d = _mesh_case(case)
    h, w = case[1]
    r, c = case[2], case[3]
    tri = {frozenset(t) for t in d["simplices"].tolist()}
    diag = FA.mesh_diagonals(r, c, (h, w))
    for i in range(r - 1):
        for j in range(c - 1):
            a, b, e, f = i * c + j, i * c + j + 1, (i + 1) * c + j, (i + 1) * c + j + 1
            assert (frozenset((a, b, f)) in tri) == diag[i][j] and (frozenset((a, e, f)) in tri) == diag[i][j]
    img = torch.from_numpy(d["image"]).permute(2, 0, 1)[None].double()
    err = (op.apply_transform(img, params, op.flags) - torch.from_numpy(d["out"]).permute(2, 0, 1)).abs()
    assert err.max() < 1e-7, err.max()
    u8 = (img * 255).round() / 255
    diff = op.apply_transform(u8, params, op.flags) * 255 - torch.from_numpy(d["uint8_out"]).permute(2, 0, 1)
    if case[6] == 0:
        assert diff.abs().max() < 1e-9  # nearest: whole levels both sides
    else:  # 1.3.1 casts with astype(uint8), truncating (a whole level where its float fell 1e-16 below one)
        assert diff.min() > -1e-6 and diff.max() < 1 + 1e-6 and diff.mean() > 0.3, (diff.min(), diff.max())
    mask = torch.from_numpy(d["mask"]).double()[None, None]
    got = op.apply_transform_mask(mask, params, op.flags)[0, 0]
    ref = torch.from_numpy(d["mask_out"]).double()
    if case[7] == 0:
        assert torch.equal(got, ref)
    else:
        # bilinear labels truncated: 1.3.1 differs only where its blend of equal labels fell a rounding error below
        # the label (1 - 1e-16 cast to 0), and such pixels are few
        m, _ = op._mesh(params, (h, w), "cpu")
        blend = FA.remap(mask, m[:, 0], m[:, 1], 1, op.border_mode, op.fill_mask)[0, 0]
        off = got != ref
        assert ((blend[off] - blend[off].round()).abs() < 1e-9).all() and off.float().mean() < 0.01
        assert (got[~off] == ref[~off]).all() and (got != got.round()).sum() == 0
    kp = op.apply_transform_keypoint(Keypoints(torch.from_numpy(d["keypoints"])[None]), params, op.flags).data[0]
    assert torch.equal(kp, torch.from_numpy(d["keypoints_out"]))
    box = Boxes.from_tensor(torch.from_numpy(d["boxes"])[None], mode="xyxy_plus", validate_boxes=False)
    out = op.apply_transform_box(box, params, op.flags).data[0]
    np.testing.assert_allclose(torch.cat([out.amin(-2), out.amax(-2)], -1).numpy(), d["boxes_out"], atol=1e-9)


def test_piecewise_affine_mesh_grid_size_of_a_sample_does_not_depend_on_its_batch():
    """Samples with other grids (padded to the largest) change nothing in a sample's output."""
    op, params, d = _mesh_case(PIECEWISE[0])
    img = torch.from_numpy(d["image"]).permute(2, 0, 1)[None].double()
    two = {**params, "rows": torch.tensor([4, 7]), "cols": torch.tensor([4, 2]),
           "scale": params["scale"].repeat(2), "noise": torch.cat([params["noise"], torch.randn(1, 49, 2).double()])}
    y = op.apply_transform(img.repeat(2, 1, 1, 1), two, op.flags)
    torch.testing.assert_close(y[:1], op.apply_transform(img, params, op.flags), atol=0, rtol=0)
    assert (y[1] - y[0]).abs().max() > 1e-3


IMGAUG = [  # as fixtures/imgaug/make_fixtures.py: name, (H, W), rows, cols, scale, order, mode, cval
    ("linear_constant", (22, 30), 4, 4, 0.04, 1, "constant", 0),
    ("nearest_edge", (27, 19), 3, 5, 0.05, 0, "edge", 0),
]


@pytest.mark.parametrize("case", IMGAUG, ids=[c[0] for c in IMGAUG])
def test_iaa_piecewise_affine_equals_imgaug_0_4_0(case):
    """imgaug's own PiecewiseAffine on our draws (what 0.x's IAAPiecewiseAffine runs): uint8 images equal after
    rounding (imgaug rounds its float result), masks through the image's order and cval, rounded, exact."""
    name, (h, w), r, c, s, order, mode, cval = case
    d = np.load(FIX.parent / "imgaug" / "piecewise.npz")
    op = _only(from_albumentations(_mesh_cfg("0.5.2", "IAA", scale=[s, s], nb_rows=r, nb_cols=c, order=order,
                                             mode=mode, cval=cval), strict=True))
    params = {"rows": torch.tensor([r]), "cols": torch.tensor([c]), "scale": torch.tensor([s], dtype=torch.float64),
              "noise": torch.from_numpy(d[f"{name}.noise"])[None], "forward_input_shape": torch.tensor([1, 3, h, w])}
    x = torch.from_numpy(d[f"{name}.image"]).permute(2, 0, 1)[None].double() / 255
    y = op.apply_transform(x, params, op.flags) * 255
    assert torch.equal(y.round(), torch.from_numpy(d[f"{name}.out"]).permute(2, 0, 1)[None].double())
    mask = op.apply_transform_mask(torch.from_numpy(d[f"{name}.mask"]).double()[None, None], params, op.flags)
    assert torch.equal(mask[0, 0], torch.from_numpy(d[f"{name}.mask_out"]).double())


def _mesh_cfg(version, name="PiecewiseAffine", targets=None, **kw):
    if name == "PiecewiseAffine":
        t = {"__class_fullname__": "PiecewiseAffine", "always_apply": False, "p": 1.0, "scale": [0.03, 0.05],
             "nb_rows": [4, 4], "nb_cols": [4, 4], "interpolation": 1, "mask_interpolation": 0, "cval": 0,
             "cval_mask": 0, "mode": "constant", "absolute_scale": False, "keypoints_threshold": 0.01, **kw}
    else:
        t = {"__class_fullname__": "albumentations.imgaug.transforms.IAAPiecewiseAffine", "always_apply": False,
             "p": 1.0, "scale": [0.03, 0.05], "nb_rows": 4, "nb_cols": 4, "order": 1, "cval": 0, "mode": "constant",
             **kw}
    cfg = _cfg(version, t)
    cfg["transform"].update(targets or {})
    return cfg


@pytest.mark.parametrize("version", ["0.5.2", "1.3.1", "1.4.18"])
def test_a_1x_piecewise_affine_config_loads_strictly_as_the_mesh(version):
    pipe = from_albumentations(_mesh_cfg(version, mask_interpolation=1, cval_mask=2, cval=51), strict=True)
    op = _only(pipe)
    assert isinstance(op, AlbuPiecewiseAffineMesh) and pipe.albumentations_dropped == []
    c = op.config()
    assert (c["order"], c["mask_order"], c["mode"], c["cval"], c["cval_mask"], c["mask_rounding"]) == (
        1, 1, "constant", 0.2, 2.0, "floor")
    x = torch.rand(2, 3, 24, 30, dtype=torch.float64, requires_grad=True)
    y, m = pipe(x, torch.ones(2, 1, 24, 30), data_keys=["input", "mask"])
    assert y.shape == x.shape and set(m.unique().tolist()) <= {0.0, 1.0, 2.0}
    y.sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: AlbuPiecewiseAffineMesh .*mesh"):
        to_albumentations(pipe)
    one = _only(from_albumentations(_mesh_cfg(version, scale=0.04), strict=True)).config()
    assert one["scale"] == (0.04, 0.04)  # 1.x: a number is a constant


def test_piecewise_affine_keys_of_1_4_19_and_later_and_without_version_are_refused():
    for version, why in (("1.4.24", "from Albumentations 1.4.24"), (None, "without __version__")):
        cfg = _mesh_cfg(version)
        if version is None:
            del cfg["__version__"]
        with pytest.raises(UnsupportedTransformError, match=rf"transforms\[0\]: PiecewiseAffine: cval, .*{why}"):
            from_albumentations(cfg, strict=True)
    two = _cfg("2.0.8", {"__class_fullname__": "PiecewiseAffine", "p": 1.0})
    assert type(_only(from_albumentations(two, strict=True))).__name__ == "AlbuPiecewiseAffine"
    with pytest.raises(UnsupportedTransformError, match=r"interpolation=3 \(a scikit-image spline order"):
        from_albumentations(_mesh_cfg("1.3.1", interpolation=3), strict=True)


def test_iaa_piecewise_affine_reads_imgaug_semantics_and_refuses_boxes_and_keypoints():
    """imgaug: a number ``scale`` is ``(0, scale)``; masks take the image's order and ``cval`` (uint8 labels),
    rounded; boxes and keypoints follow imgaug's own rules, refused."""
    op = _only(from_albumentations(_mesh_cfg("0.5.2", "IAA", scale=0.05, cval=3), strict=True))
    c = op.config()
    assert (c["scale"], c["mask_order"], c["cval_mask"], c["mask_rounding"]) == ((0.0, 0.05), 1, 3.0, "round")
    for key, params in (("bbox_params", {"format": "pascal_voc"}), ("keypoint_params", {"format": "xy"})):
        with pytest.raises(UnsupportedTransformError, match=rf"IAAPiecewiseAffine with {key}"):
            from_albumentations(_mesh_cfg("0.5.2", "IAA", targets={key: params}), strict=True)
    with pytest.raises(UnsupportedTransformError, match=r"IAAPiecewiseAffine: cval=\[0, 255\]"):
        from_albumentations(_mesh_cfg("0.5.2", "IAA", cval=[0, 255]), strict=True)


def test_a_1x_piecewise_affine_moves_boxes_and_keypoints_in_a_pipeline():
    """With bbox_params / keypoint_params: 1.x's corner rule and keypoint rule inside the pipeline (whole pixels;
    a lost keypoint, (-1, -1), is removed as 1.x's Compose removes it)."""
    cfg = _mesh_cfg("1.3.1", targets={"bbox_params": {"format": "pascal_voc", "label_fields": []},
                                      "keypoint_params": {"format": "xy", "remove_invisible": True}})
    pipe = from_albumentations(cfg, strict=True, generator=torch.Generator().manual_seed(0))
    boxes = torch.tensor([[[4.0, 5.0, 20.0, 18.0]], [[10.0, 2.0, 28.0, 9.0]]])
    kps = torch.tensor([[[6.3, 7.7], [15.0, 11.0]], [[1.5, 2.5], [29.0, 23.0]]])
    _, b, k = pipe(torch.rand(2, 3, 24, 30), boxes, kps, data_keys=["input", "bbox_xyxy", "keypoints"])
    assert torch.equal(b, b.round()) and torch.equal(k, k.round())
    assert (b - boxes).abs().max() < 4 and (k - kps).abs().max() < 4
    assert pipe.albumentations_valid["keypoints"].all()


def test_a_1x_piecewise_affine_with_no_positive_jitter_leaves_everything_where_it_was():
    """1.3.1 fails there (no transform) and 1.4.18 redraws; images, masks, boxes and keypoints come back."""
    cfg = _mesh_cfg("1.3.1", scale=0.0, targets={"bbox_params": {"format": "pascal_voc", "label_fields": []},
                                                 "keypoint_params": {"format": "xy"}})
    pipe = from_albumentations(cfg, strict=True)
    x = torch.rand(2, 3, 20, 26)
    boxes = torch.tensor([[[1.5, 2.25, 10.0, 9.5]], [[3.0, 4.0, 25.5, 19.0]]])
    kps = torch.tensor([[[6.3, 7.7]], [[0.2, 18.9]]])
    y, b, k = pipe(x, boxes, kps, data_keys=["input", "bbox_xyxy", "keypoints"])
    assert torch.equal(y, x) and torch.equal(b, boxes) and torch.equal(k, kps)


# ----------------------------------------------------------------------------------------------- RandomRain
RAIN = [("slant_left", -7, 9, 1, 5, 0.7), ("slant_right", 12, 14, 1, 3, 0.9), ("no_blur", 3, 6, 1, 1, 0.8)]


@pytest.mark.parametrize("case", RAIN, ids=[c[0] for c in RAIN])
def test_rain_1x_equals_albumentations_1_3_1_on_the_same_drops(case):
    """Within 4 levels (1.x scales V in uint8 HSV and rounds the blur); painted drops are exact."""
    name, slant, length, width, blur, bright = case
    d = np.load(FIX / "rain.npz")
    op = AlbuRandomRain((slant, slant), drop_length=length, drop_width=width, blur_value=blur,
                        brightness_coefficient=bright, semantics="1.x")
    drops = torch.from_numpy(d[f"{name}.drops"])[None]
    params = {"slant": torch.tensor([float(slant)], dtype=torch.float64), "drops": drops,
              "valid": torch.ones(1, drops.shape[1], dtype=torch.bool)}
    x = torch.from_numpy(d["image"]).permute(2, 0, 1)[None].double() / 255
    err = (op.apply_transform(x, params, op.flags) - torch.from_numpy(d[f"{name}.out"]).permute(2, 0, 1) / 255)
    err = err.abs() * 255
    assert err.max() < 4 and err.mean() < 1, (err.max(), err.mean())


def test_rain_layer_8_connected_equals_cv2_line():
    cv2 = pytest.importorskip("cv2")
    g = torch.Generator().manual_seed(0)
    h, w = 40, 50
    n = 64
    x0 = torch.randint(8, 42, (1, n), generator=g)
    y0 = torch.randint(0, 15, (1, n), generator=g)
    for slant in (-13, -2, 0, 5, 17):
        length = 1 + abs(slant) // 2 + 7
        for j in range(n):
            lay = FA.rain_layer(torch.stack([x0[:, j:j + 1], y0[:, j:j + 1]], -1), torch.ones(1, 1, dtype=torch.bool),
                                torch.tensor([float(slant)]), length, 20, (h, w), 8)[0]
            ref = np.zeros((h, w), np.uint8)
            x, y = int(x0[0, j]), int(y0[0, j])
            if 0 <= x + slant < w and y + length < h:  # inside: OpenCV does not clip
                cv2.line(ref, (x, y), (x + slant, y + length), 1, 1)
                assert np.array_equal(lay.numpy().astype(np.uint8), ref), (x, y, slant, length)


@pytest.mark.parametrize(("rain_type", "per", "length"), [("default", 600, 20), ("drizzle", 770, 10),
                                                          ("heavy", 600, 30), ("torrential", 500, 60)])
def test_rain_1x_draws_drops_from_the_area_and_rain_type_sets_the_length(rain_type, per, length):
    op = AlbuRandomRain((-9.7, 9.7), drop_length=20, rain_type=rain_type, semantics="1.x")
    h, w = 90, 130
    prm = op.sample(64, (h, w), torch.Generator().manual_seed(1), "cpu")
    assert prm["drops"].shape == (64, h * w // per, 2) and op._length(h) == length
    s = prm["slant"]
    assert torch.equal(s, s.trunc()) and s.abs().max() <= 9
    x, y = prm["drops"][..., 0], prm["drops"][..., 1]
    assert (x >= s.clamp(max=0).view(-1, 1)).all() and (x <= (w - s.clamp(min=0)).view(-1, 1)).all()
    assert y.min() == 0 and y.max() == h - length  # randint: both ends


def test_a_1x_rain_config_gets_1x_rain_and_is_not_exported_as_2x():
    t = {"__class_fullname__": "RandomRain", "p": 1.0, "slant_lower": -5, "slant_upper": 7, "drop_length": 12,
         "drop_color": [100, 150, 200], "rain_type": None}
    pipe = from_albumentations(_cfg("1.3.1", t), strict=True)
    c = _only(pipe).config()
    assert (c["semantics"], c["slant_range"], c["drop_length"]) == ("1.x", (-5.0, 7.0), 12)
    assert torch.isfinite(pipe(torch.rand(2, 3, 40, 48))).all()
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: AlbuRandomRain"):
        to_albumentations(pipe)
    default = {"__class_fullname__": "RandomRain", "p": 1.0, "slant_lower": -10, "slant_upper": 10}
    assert _only(from_albumentations(_cfg("1.3.1", default))).config()["drop_length"] == 20  # 1.x's default
    assert _only(from_albumentations(_cfg("2.0.8", {"__class_fullname__": "RandomRain", "p": 1.0}))).config()[
        "semantics"] == "2.x"


# ----------------------------------------------------------------------------------------------- SafeRotate, IAAEmboss
def test_safe_rotate_mask_value_none_loads_strictly():
    t = {"__class_fullname__": "albumentations.augmentations.geometric.rotate.SafeRotate", "always_apply": False,
         "p": 1.0, "limit": [-20, 20], "interpolation": 1, "border_mode": 0, "value": None, "mask_value": None}
    pipe = from_albumentations(_cfg("1.3.1", t), strict=True)
    assert pipe.albumentations_dropped == [] and _only(pipe).fill_mask == 0.0
    assert _only(from_albumentations(_cfg("1.3.1", {**t, "mask_value": 4}), strict=True)).fill_mask == 4.0


def test_iaa_emboss_maps_to_emboss_with_imgaugs_meanings():
    t = {"__class_fullname__": "albumentations.imgaug.transforms.IAAEmboss", "always_apply": False, "p": 0.5,
         "alpha": [0.2, 0.5], "strength": [0.2, 0.7]}
    op = _only(from_albumentations(_cfg("0.5.2", t), strict=True))
    assert op.albu_name == "Emboss" and op.config()["alpha"] == (0.2, 0.5) and op.config()["strength"] == (0.2, 0.7)
    fixed = _only(from_albumentations(_cfg("0.5.2", {**t, "alpha": 0.3, "strength": 1.0}), strict=True))
    assert fixed.config()["alpha"] == (0.3, 0.3) and fixed.config()["strength"] == (1.0, 1.0)  # imgaug: a constant


# ----------------------------------------------------------------------------------------------- mask fills
def _mask_case(name, **kw):
    base = {"Rotate": {"limit": [30, 30], "border_mode": 0},
            "Affine": {"rotate": [30, 30], "border_mode": 0},
            "SafeRotate": {"limit": [30, 30], "border_mode": 0},
            "PadIfNeeded": {"min_height": 20, "min_width": 22, "border_mode": 0},
            "ShiftScaleRotate": {"shift_limit": [0.2, 0.2], "scale_limit": [0, 0], "rotate_limit": [0, 0],
                                 "border_mode": 0}}[name]
    return {"__class_fullname__": name, "p": 1.0, **base, **kw}


@pytest.mark.parametrize("name", ["Rotate", "Affine", "SafeRotate", "PadIfNeeded", "ShiftScaleRotate"])
def test_a_mask_fill_is_honoured_as_albumentations_does(name):
    A = pytest.importorskip("albumentations")
    t = _mask_case(name, fill_mask=5)
    mask = np.zeros((16, 18), np.uint8)
    mask[3:12, 4:15] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = A.from_dict(_cfg("2.0.8", t))(image=np.zeros((16, 18, 3), np.uint8), mask=mask)["mask"]
    pipe = from_albumentations(_cfg("2.0.8", t), strict=True)
    _, m = pipe(torch.zeros(1, 3, 16, 18), torch.from_numpy(mask).float()[None, None], data_keys=["input", "mask"])
    got = m[0, 0].numpy()
    assert got.shape == ref.shape and (ref == 5).sum() > 10
    assert (got != ref).mean() < 0.02, (got != ref).sum()  # nearest taps: a few pixels on the edges at most


@pytest.mark.parametrize(("name", "key"), [("ShiftScaleRotate", "mask_value"), ("Rotate", "mask_value"),
                                           ("PadIfNeeded", "mask_value"), ("Affine", "cval_mask")])
def test_a_1x_mask_fill_is_honoured_and_one_label_per_channel_that_differ_is_refused(name, key):
    t = _mask_case(name, **{key: 9})
    pipe = from_albumentations(_cfg("1.3.1", t), strict=True)
    _, m = pipe(torch.zeros(1, 3, 16, 18), torch.ones(1, 1, 16, 18), data_keys=["input", "mask"])
    assert set(m.unique().tolist()) == {1.0, 9.0}
    with pytest.raises(UnsupportedTransformError, match=rf"transforms\[0\]: {name}: {key}"):
        from_albumentations(_cfg("1.3.1", _mask_case(name, **{key: [9, 3]})), strict=True)
    with pytest.warns(UserWarning, match="dropped"):
        assert len(from_albumentations(_cfg("1.3.1", _mask_case(name, **{key: [9, 3]})),
                                       strict=False).albumentations_dropped) == 1


def test_1x_distortions_default_to_1x_border_and_grid_normalisation():
    g = {"__class_fullname__": "GridDistortion", "p": 1.0, "num_steps": 5, "distort_limit": 0.3}
    one, two = (_only(from_albumentations(_cfg(v, g))).config() for v in ("0.5.2", "2.0.8"))
    assert (one["normalized"], one["border_mode"]) == (False, 4)
    assert (two["normalized"], two["border_mode"]) == (True, 0)


# ----------------------------------------------------------------------------------------------- GaussianBlur export
def test_1x_gaussian_blur_sigma_0_exports_as_the_same_blur_in_2_0_8():
    A = pytest.importorskip("albumentations")
    cv2 = pytest.importorskip("cv2")
    t = {"__class_fullname__": "GaussianBlur", "always_apply": False, "p": 0.6, "blur_limit": [3, 7],
         "sigma_limit": [0, 0]}
    out = to_albumentations(from_albumentations(_cfg("1.3.1", t)))["transform"]["transforms"][0]
    assert out["__class_fullname__"] == "OneOf" and out["p"] == 0.6
    sizes = [(c["blur_limit"], c["p"]) for c in out["transforms"]]
    assert sizes == [([3, 3], 0.2), ([5, 5], 0.4), ([7, 7], 0.4)]  # randint(3, 7), even sizes raised to odd
    img = (np.random.default_rng(0).random((24, 24, 3)) * 255).astype(np.uint8)
    for k in (3, 5, 7, 9, 11):
        one = to_albumentations(from_albumentations(_cfg("1.3.1", {**t, "blur_limit": [k, k], "p": 1.0})))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a NaN kernel warns in numpy
            y = A.from_dict(one)(image=img)["image"].astype(float)
        assert math.isfinite(y.sum())
        err = np.abs(y - cv2.GaussianBlur(img, (k, k), 0).astype(float))
        # uint8 rounding alone: 1 level; k = 5, 7 (OpenCV's fixed tables, no Gaussian equals them) on white noise,
        # the worst case: 3 levels at a few pixels
        assert err.max() <= (3 if k in (5, 7) else 1) and err.mean() < 0.5, (k, err.max(), err.mean())
    no = {**t, "blur_limit": [0, 7], "sigma_limit": [0.5, 2.0]}
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: GaussianBlur"):
        to_albumentations(from_albumentations(_cfg("1.3.1", no)))
    drawn = to_albumentations(from_albumentations(_cfg("1.3.1", {**t, "sigma_limit": [0.5, 2.0]})))
    assert drawn["transform"]["transforms"][0]["sigma_limit"] == [0.5, 2.0]
