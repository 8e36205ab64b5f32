"""What a parameter means depends on the Albumentations that wrote the config (1.x, 2.0.x, AlbumentationsX):
GaussianBlur's OpenCV rules, Rotate's 1.x ``mask_value``, per-channel dropout fills, the export of mask fills,
AlbumentationsX's renamed parameters, and loader errors for any value a config can hold."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from kornia_diffaug.adapters.albumentations import (
    TABLE,
    UnsupportedTransformError,
    from_albumentations,
    to_albumentations,
)

from kornia_diffaug.functional.albu import median_blur, pad2d
from kornia_diffaug.functional.albu._median_net import run_median

AX = Path(__file__).resolve().parent / "fixtures" / "albumentationsx"


def _cfg(version, *transforms):
    return {"__version__": version, "transform": {"__class_fullname__": "Compose", "p": 1.0,
                                                  "transforms": list(transforms)}}


def _only(pipe):
    (m,) = list(pipe.children())
    return m


# ----------------------------------------------------------------------------------------------- GaussianBlur
@pytest.mark.parametrize("k", [3, 5, 7, 9, 11])
def test_1x_gaussian_blur_with_sigma_0_is_opencvs_kernel_for_the_size(k):
    cv2 = pytest.importorskip("cv2")
    g = torch.Generator().manual_seed(k)
    x = torch.randint(0, 256, (1, 3, 24, 20), generator=g).float() / 255
    t = {"__class_fullname__": "albumentations.augmentations.blur.transforms.GaussianBlur", "always_apply": False,
         "p": 1.0, "blur_limit": [k, k], "sigma_limit": [0, 0]}
    y = from_albumentations(_cfg("1.3.1", t), strict=True)(x)
    u = (x[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    ref = torch.from_numpy(cv2.GaussianBlur(u, (k, k), 0).astype(np.float32)).permute(2, 0, 1) / 255
    assert (y[0] - ref).abs().max() <= 1.01 / 255


def test_1x_default_sigma_limit_0_loads_and_2x_sigma_0_is_not_nan():
    t1 = {"__class_fullname__": "GaussianBlur", "always_apply": False, "p": 1.0, "blur_limit": [3, 7],
          "sigma_limit": 0}
    t2 = {"__class_fullname__": "GaussianBlur", "p": 1.0, "sigma_limit": 0}
    for cfg in (_cfg("1.3.1", t1), _cfg("2.0.8", t2)):
        for strict in (True, False):
            pipe = from_albumentations(cfg, strict=strict)
            assert pipe.albumentations_dropped == []
            assert torch.isfinite(pipe(torch.rand(2, 3, 16, 16))).all()
    assert _only(from_albumentations(_cfg("2.0.8", t2))).config()["blur_limit"] == (3, 3)


def test_1x_size_0_takes_opencvs_size_from_sigma_and_lower_ends_0_raise_the_size_to_3():
    t = {"__class_fullname__": "GaussianBlur", "p": 1.0, "blur_limit": [0, 0], "sigma_limit": [1.3, 1.3]}
    op = _only(from_albumentations(_cfg("1.3.1", t)))
    assert op.config()["size_rule"] == "opencv"
    assert set(op.sample(8, (16, 16), None, "cpu")["ksize"].tolist()) == {9}  # round(6 * 1.3 + 1) | 1
    op2 = _only(from_albumentations(_cfg("2.0.8", t)))
    assert set(op2.sample(8, (16, 16), None, "cpu")["ksize"].tolist()) == {9}  # int(3.5 * 1.3) * 2 + 1
    mixed = {"__class_fullname__": "GaussianBlur", "p": 1.0, "blur_limit": 7, "sigma_limit": 2}
    assert _only(from_albumentations(_cfg("1.3.1", mixed))).config()["blur_limit"] == (3, 7)
    assert _only(from_albumentations(_cfg("1.3.1", mixed))).config()["sigma_limit"] == (0.0, 2.0)
    assert _only(from_albumentations(_cfg("2.0.8", mixed))).config()["blur_limit"] == (0, 7)
    assert _only(from_albumentations(_cfg("2.0.8", mixed))).config()["sigma_limit"] == (0.0, 2.0)


# ----------------------------------------------------------------------------------------------- Rotate
def test_rotate_mask_value_none_loads_a_label_is_honoured_and_one_it_cannot_use_is_refused():
    t = {"__class_fullname__": "Rotate", "always_apply": False, "p": 1.0, "limit": [-10, 10], "interpolation": 1,
         "border_mode": 4, "value": None, "mask_value": None}
    assert from_albumentations(_cfg("1.3.1", t), strict=True).albumentations_dropped == []
    assert _only(from_albumentations(_cfg("1.3.1", {**t, "mask_value": 7}), strict=True)).fill_mask == 7.0
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\].*mask_value"):
        from_albumentations(_cfg("1.3.1", {**t, "mask_value": [7, 8]}), strict=True)


# ----------------------------------------------------------------------------------------------- dropout
def test_coarse_dropout_per_channel_fill_in_1x_and_2x_names():
    g = torch.Generator().manual_seed(0)
    one = {"__class_fullname__": "CoarseDropout", "p": 1.0, "max_holes": 1, "max_height": 6, "max_width": 6,
           "min_holes": 1, "min_height": 6, "min_width": 6, "fill_value": [255, 0, 51]}
    two = {"__class_fullname__": "CoarseDropout", "p": 1.0, "num_holes_range": [1, 1], "hole_height_range": [6, 6],
           "hole_width_range": [6, 6], "fill": [255, 0, 51]}
    for cfg in (_cfg("1.3.1", one), _cfg("2.0.8", two)):
        x = torch.full((2, 3, 16, 16), 0.5)
        y = from_albumentations(cfg, strict=True, generator=g)(x)
        hole = (y != 0.5).all(1)
        assert hole.sum() == 2 * 36
        torch.testing.assert_close(y.permute(0, 2, 3, 1)[hole], torch.tensor([1.0, 0.0, 0.2]).expand(72, 3))
        with pytest.raises(ValueError, match="one per channel"):
            from_albumentations(cfg)(torch.rand(1, 2, 16, 16))


@pytest.mark.parametrize("fill", ["random", "inpaint_ns", [[1, 2, 3]], []])
def test_a_fill_we_cannot_honour_is_unsupported_and_dropped_when_not_strict(fill):
    t = {"__class_fullname__": "CoarseDropout", "p": 1.0, "num_holes_range": [1, 2], "fill": fill}
    with pytest.raises(UnsupportedTransformError, match=r"transform\.transforms\[0\]: CoarseDropout: fill"):
        from_albumentations(_cfg("2.0.8", t))
    with pytest.warns(UserWarning, match="dropped"):
        pipe = from_albumentations(_cfg("2.0.8", t), strict=False)
    assert len(pipe.albumentations_dropped) == 1


def test_mask_fill_255_exports_as_255_from_1x_names():
    A = pytest.importorskip("albumentations")
    rows = [
        {"__class_fullname__": "CoarseDropout", "p": 1.0, "max_holes": 2, "max_height": 4, "max_width": 4,
         "fill_value": 10, "mask_fill_value": 255},
        {"__class_fullname__": "GridDropout", "p": 1.0, "ratio": 0.5, "unit_size_min": 4, "unit_size_max": 6,
         "fill_value": 10, "mask_fill_value": 255},
    ]
    for t in rows:
        out = to_albumentations(from_albumentations(_cfg("1.3.1", t)))["transform"]["transforms"][0]
        assert out["fill_mask"] == 255 and out["fill"] == 10
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert A.from_dict({"transform": out}).fill_mask == 255


# ----------------------------------------------------------------------------------------------- versions
def test_shift_scale_rotate_draws_one_scale_in_1x_and_albumentationsx_two_in_2_0():
    t = {"__class_fullname__": "ShiftScaleRotate", "p": 1.0, "shift_limit": 0.1, "scale_limit": 0.2,
         "rotate_limit": 10}
    assert _only(from_albumentations(_cfg("1.3.1", t))).config()["keep_ratio"] is True
    assert _only(from_albumentations(_cfg("2.0.8", t))).config()["keep_ratio"] is False
    ax = {"__class_fullname__": "ShiftScaleRotate", "p": 1.0, "shift_range": [-0.1, 0.1], "scale_range": [-0.2, 0.2],
          "rotate_range": [-10, 10]}
    op = _only(from_albumentations(_cfg("2.5.1", ax)))
    assert op.config()["keep_ratio"] is True
    assert op.config()["rotate"] == (-10.0, 10.0)


def test_a_1x_class_path_without_version_is_read_as_1x():
    t = {"__class_fullname__": "albumentations.augmentations.blur.transforms.GaussianBlur", "p": 1.0,
         "blur_limit": [3, 3], "sigma_limit": 0}
    cfg = {"transform": {"__class_fullname__": "albumentations.core.composition.Compose", "p": 1.0,
                         "transforms": [t]}}
    assert _only(from_albumentations(cfg)).config()["size_rule"] == "opencv"


def _ours(op):
    return op.config()


def test_albumentationsx_fixtures_load_to_what_albumentationsx_means():
    expected = json.loads((AX / "expected.json").read_text())
    checks = {  # AlbumentationsX attribute -> our op's config key (ranges with the same meaning)
        "blur_range": "blur_limit", "sigma_range": "sigma_limit", "clip_range": "clip_limit",
        "brightness_range": "brightness", "contrast_range": "contrast", "saturation_range": "saturation",
        "hue_range": "hue", "gamma_range": "gamma_limit", "alpha_range": "alpha", "lightness_range": "lightness",
        "distort_range": "distort_limit", "angle_range": "rotate",
    }
    for name in ("pixel", "geometric"):
        pipe = from_albumentations(AX / f"{name}.json", strict=True)
        mods = list(pipe.children())
        assert len(mods) == len(expected[name])
        for m, exp in zip(mods, expected[name], strict=True):
            cfg = m.config() if hasattr(m, "config") else {}
            for key, ours in checks.items():
                if key in exp and ours in cfg and not (key == "angle_range" and "limit" in cfg):
                    got = cfg[ours]
                    if name == "pixel" and type(m).__name__ == "AlbuBrightnessContrast":
                        continue  # checked below (brightness_limit names)
                    assert tuple(float(v) for v in got) == pytest.approx(tuple(exp[key])), (type(m).__name__, key)
        assert pipe(torch.rand(2, 3, 40, 40)).shape[:2] == (2, 3)
    pix = list(from_albumentations(AX / "pixel.json").children())
    rbc = next(m for m in pix if type(m).__name__ == "AlbuBrightnessContrast").config()
    assert rbc["brightness_limit"] == pytest.approx((-0.1, 0.2)) and rbc["contrast_limit"] == pytest.approx((-0.3, 0.1))
    hsv = next(m for m in pix if type(m).__name__ == "AlbuHueSaturationValue").config()
    assert hsv["hue_shift_limit"] == pytest.approx((-10, 10)) and hsv["val_shift_limit"] == pytest.approx((-5, 5))


def test_albumentationsx_elastic_is_refused_at_load_with_its_path():
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\]: ElasticTransform: AlbumentationsX"):
        from_albumentations(AX / "elastic.json", strict=True)
    with pytest.warns(UserWarning):
        assert len(from_albumentations(AX / "elastic.json", strict=False).albumentations_dropped) == 1


def test_albumentationsx_option_at_a_value_we_do_not_have_is_refused():
    t = {"__class_fullname__": "GridDistortion", "p": 1.0, "distort_range": [-0.2, 0.2],
         "map_resolution_range": [0.5, 1.0]}
    with pytest.raises(UnsupportedTransformError, match="map_resolution_range"):
        from_albumentations(_cfg("2.5.1", t))


# ----------------------------------------------------------------------------------------------- median
def test_median_network_in_chunks_equals_one_pass_and_passes_the_gradient_to_the_median_pixel():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 2, 19, 13, generator=g, dtype=torch.float64, requires_grad=True)
    for k in (5, 7, 11):
        xp = pad2d(x, k // 2, "replicate")
        whole = run_median(xp, k)
        assert torch.equal(run_median(xp, k, chunk_bytes=40 * xp.element_size()), whole)
        (grad,) = torch.autograd.grad(whole.sum(), x)
        assert grad.sum().item() == pytest.approx(whole.numel())  # one unit per output, to one pixel each
        assert ((grad - grad.round()).abs() < 1e-12).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_median_on_uint8_levels_equals_the_float_network_bit_for_bit(dtype):
    # Without autograd, an image of exact u / 255 levels is filtered as uint8; with autograd (or any other value)
    # the float network runs. Both must give the same bits, and the level path must not take non-level images.
    g = torch.Generator().manual_seed(5)
    levels = torch.randint(0, 256, (3, 3, 23, 17), generator=g).to(dtype) / 255
    other = levels + torch.rand(levels.shape, generator=g).to(dtype) * 1e-3
    for x in (levels, other):
        for k in (3, 5, 9):
            sizes = (k,)
            ksize = torch.full((3,), k)
            fast = median_blur(x, ksize, sizes)
            slow = median_blur(x.clone().requires_grad_(), ksize, sizes).detach()
            assert fast.dtype == dtype and torch.equal(fast, slow)
            ref = pad2d(x.double(), k // 2, "replicate").unfold(-2, k, 1).unfold(-2, k, 1).flatten(-2)
            assert torch.equal(fast.double(), ref.median(-1).values)


# ----------------------------------------------------------------------------------------------- any value
_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(-1e3, 1e3), st.just(float("nan")),
                    st.text(max_size=4), st.lists(st.integers(-5, 300), max_size=4),
                    st.lists(st.floats(-2, 2, allow_nan=False), max_size=3), st.dictionaries(st.text(max_size=2),
                                                                                           st.integers(), max_size=2))


@settings(max_examples=50, deadline=None)
@given(name=st.sampled_from(sorted(TABLE)), key=st.sampled_from(
    ["p", "blur_limit", "sigma_limit", "fill", "fill_value", "limit", "scale", "height", "width", "size", "ratio",
     "num_holes_range", "hole_height_range", "max_holes", "border_mode", "interpolation", "alpha", "sigma",
     "mean", "std", "var_limit", "threshold", "clip_limit", "num_bits", "max_size", "mask_value", "fill_mask",
     "alpha_affine", "shift_limit", "translate_percent", "rotate", "shear", "gamma_limit", "hue"]),
    value=_VALUES, version=st.sampled_from(["1.3.1", "2.0.8", "2.5.1", None, 3]))
def test_any_parameter_value_is_loaded_or_refused_with_a_value_error(name, key, value, version):
    t = {"__class_fullname__": name, key: value}
    if name in ("RandomCrop", "CenterCrop", "Resize") and key not in ("height", "width"):
        t.update(height=8, width=8)
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [t]}}
    if version is not None:
        cfg["__version__"] = version
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from_albumentations(cfg, strict=True)
        except ValueError as e:  # UnsupportedTransformError is one
            assert str(e).startswith("transform"), str(e)
