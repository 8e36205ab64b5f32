"""Configs as people write them by hand (not ``A.to_dict``): parameters left out mean the constructor's default,
bare numbers mean what Albumentations 2.0.8's validators make of them, and transforms after ``Normalize`` are
refused where Albumentations computes them in other units. Each against Albumentations itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import UnsupportedTransformError, from_albumentations

A = pytest.importorskip("albumentations")


def _cfg(*transforms, version="2.0.8", **compose):
    cfg = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(transforms), **compose}}
    if version is not None:
        cfg["__version__"] = version
    return cfg


def _albu(cfg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.from_dict(cfg)


def _image(h=32, w=40, seed=0):
    return (np.random.default_rng(seed).random((h, w, 3)) * 255).astype(np.uint8)


def _t(u):
    return torch.from_numpy(u).permute(2, 0, 1)[None].double() / 255


def _levels(y):
    return (y[0].permute(1, 2, 0).numpy() * 255).round()


FLIPS = [{"__class_fullname__": "HorizontalFlip", "p": 1.0}, {"__class_fullname__": "VerticalFlip", "p": 1.0}]


@pytest.mark.parametrize(("container", "p"), [("OneOf", 0.5), ("Sequential", 0.5), ("SomeOf", 1.0)])
def test_a_container_without_p_takes_its_constructors_default(container, p):
    node = {"__class_fullname__": container, "transforms": FLIPS}
    pipe = from_albumentations(_cfg(node), generator=torch.Generator().manual_seed(0))
    assert pipe[0].p == p
    x = torch.rand(400, 1, 4, 4, generator=torch.Generator().manual_seed(1))
    unchanged = (pipe(x) == x).flatten(1).all(1).double().mean().item()
    assert abs(unchanged - (1 - p)) < 0.08
    assert getattr(A, container)(FLIPS and [A.HorizontalFlip(p=1)]).p == p  # the constructor's own default


def test_one_of_weighs_a_child_without_p_by_that_childs_default():
    # HorizontalFlip's default p is 0.5: against a VerticalFlip with p = 1, OneOf picks it a third of the time.
    node = {"__class_fullname__": "OneOf", "p": 1.0, "transforms": [
        {"__class_fullname__": "HorizontalFlip"}, {"__class_fullname__": "VerticalFlip", "p": 1.0}]}
    pipe = from_albumentations(_cfg(node), generator=torch.Generator().manual_seed(0))
    assert pipe[0].weights == [0.5, 1.0]
    x = torch.arange(16.0).view(1, 1, 4, 4).expand(600, 1, 4, 4)
    horizontal = (pipe(x) == x.flip(-1)).flatten(1).all(1).double().mean().item()
    assert abs(horizontal - 1 / 3) < 0.06


@pytest.mark.parametrize(("version", "corner"), [("2.0.8", 0.0), (None, 0.0), ("1.3.1", 200.0)])
def test_pad_if_needed_without_border_mode_pads_as_that_version_did(version, corner):
    u = np.full((16, 16, 3), 200, np.uint8)
    node = {"__class_fullname__": "PadIfNeeded", "min_height": 32, "min_width": 32, "p": 1.0}
    y = _levels(from_albumentations(_cfg(node, version=version))(_t(u)))
    assert y[0, 0, 0] == corner
    if version != "1.3.1":
        np.testing.assert_array_equal(y, _albu(_cfg(node, version=version))(image=u)["image"])


@pytest.mark.parametrize(("node", "expected"), [
    ({"__class_fullname__": "Affine", "rotate": 15, "p": 1.0}, None),  # a fixed 15 degrees, not U(-15, 15)
    ({"__class_fullname__": "Perspective", "scale": 0.1, "p": 1.0}, (0.0, 0.1)),
    ({"__class_fullname__": "RandomGamma", "gamma_limit": 110, "p": 1.0}, (1.0, 110.0)),
])
def test_bare_numbers_mean_what_albumentations_validators_make_of_them(node, expected):
    t = _albu(_cfg(node)).transforms[0]
    if expected is None:
        assert tuple(t.rotate) == (15.0, 15.0)
        u = _image()
        pipe = from_albumentations(_cfg(node))
        for seed in range(3):  # every draw is the same rotation as Albumentations'
            y = _levels(pipe(_t(u)))
            a = _albu(_cfg(node))(image=u)["image"].astype(float)
            assert np.abs(y - a)[4:-4, 4:-4].max() <= 1, seed
        return
    key = "scale" if "scale" in node else "gamma_limit"
    assert tuple(getattr(t, key)) == expected
    pipe = from_albumentations(_cfg(node))
    assert expected in [tuple(float(v) for v in r) for r in _ranges(pipe[0])]


def _ranges(op):
    """Every (low, high) pair held in an op's configuration."""
    cfg = getattr(op, "_cfg", {}) or {}
    vals = [*cfg.values(), *vars(op).values()]
    return [v for v in vals if isinstance(v, (tuple, list)) and len(v) == 2
            and all(isinstance(x, (int, float)) for x in v)]


def test_a_bare_gamma_limit_in_a_1x_config_is_refused():
    node = {"__class_fullname__": "RandomGamma", "gamma_limit": 110, "p": 1.0}
    with pytest.raises(UnsupportedTransformError, match=r"transforms\[0\].*gamma_limit"):
        from_albumentations(_cfg(node, version="1.3.1"))


@pytest.mark.parametrize("after", [
    {"__class_fullname__": "RandomBrightnessContrast", "p": 1.0},
    {"__class_fullname__": "CoarseDropout", "fill": 128, "p": 1.0},
    {"__class_fullname__": "GaussianBlur", "p": 1.0},
    {"__class_fullname__": "Rotate", "limit": 20, "fill": 128, "p": 1.0},
])
def test_transforms_after_normalize_that_albumentations_computes_in_float_units_are_refused(after):
    cfg = _cfg({"__class_fullname__": "Normalize", "p": 1.0}, after)
    where = r"transforms\[1\].*after Normalize \(transform.transforms\[0\]"
    with pytest.raises(UnsupportedTransformError, match=where):
        from_albumentations(cfg)
    with pytest.warns(UserWarning, match="dropped"):
        assert len(from_albumentations(cfg, strict=False)) == 1


@pytest.mark.parametrize("cubic", [False, True])
def test_flips_crops_and_linear_resampling_after_normalize_still_load_and_match(cubic):
    resize = {"__class_fullname__": "Resize", "height": 24, "width": 30, "interpolation": 2 if cubic else 1, "p": 1.0}
    cfg = _cfg({"__class_fullname__": "Normalize", "p": 1.0}, {"__class_fullname__": "HorizontalFlip", "p": 1.0},
               {"__class_fullname__": "CenterCrop", "height": 16, "width": 16, "p": 1.0},
               {"__class_fullname__": "Rotate", "limit": [10, 10], "p": 1.0},
               {"__class_fullname__": "PadIfNeeded", "min_height": 20, "min_width": 20, "p": 1.0}, resize,
               {"__class_fullname__": "ToTensorV2", "p": 1.0})
    if cubic:  # cubic saturates on uint8 only: after Normalize it is refused
        with pytest.raises(UnsupportedTransformError, match=r"transforms\[5\]: Resize after Normalize"):
            from_albumentations(cfg)
        return
    u = _image()
    y = from_albumentations(cfg)(_t(u).float())
    a = _albu(cfg)(image=u)["image"]
    torch.testing.assert_close(y[0], a, atol=1e-4, rtol=0)


@pytest.mark.parametrize("node", [
    {"__class_fullname__": "Rotate", "limit": [10, 10], "interpolation": 2, "border_mode": 1, "p": 1.0},
    {"__class_fullname__": "Affine", "scale": [1.5, 1.5], "interpolation": 2, "p": 1.0},
    {"__class_fullname__": "RandomResizedCrop", "size": [48, 64], "scale": [1, 1], "ratio": [1.25, 1.25],
     "interpolation": 2, "p": 1.0},
])
def test_cubic_warps_saturate_as_opencvs_uint8_output(node):
    u = _image(40, 50)
    u[::4, :, 1] = 255
    u[1::4, :, 1] = 0  # sharp stripes: cubic taps overshoot
    y = from_albumentations(_cfg(node))(_t(u))
    assert y.min() >= 0 and y.max() <= 1
    a = _albu(_cfg(node))(image=u)["image"].astype(float)
    assert np.abs(_levels(y) - a)[4:-4, 4:-4].max() <= 1


def test_compose_mask_interpolation_other_than_nearest_is_refused():
    cfg = _cfg({"__class_fullname__": "Resize", "height": 8, "width": 8, "p": 1.0}, mask_interpolation=1)
    with pytest.raises(UnsupportedTransformError, match="mask_interpolation"):
        from_albumentations(cfg)
    assert from_albumentations(_cfg({"__class_fullname__": "Resize", "height": 8, "width": 8, "p": 1.0},
                                    mask_interpolation=0)) is not None
