"""The mapping table and the error path: every row builds its own op class, the builders leave the bounds to the
ops, and an op's error for a config value reaches the user naming the config path."""

from __future__ import annotations

import pytest
import torch
from kornia_diffaug.adapters.albumentations import TABLE, from_albumentations, to_albumentations

from kornia_diffaug.ops.albu import AlbuBlur, AlbuGaussianBlur, AlbuMotionBlur


def _compose(*transforms, **extra):
    return {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": list(transforms), **extra}}


def _t(name, **params):
    return {"__class_fullname__": name, **params}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_row_builds_exactly_its_op_class(name):
    entry = TABLE[name]
    assert isinstance(entry.op, type)
    case = entry.parity["case"] or entry.parity.get("build", {})
    (module,) = list(from_albumentations(_compose(_t(name, p=1.0, **case), **entry.parity.get("compose", {})),
                                         strict=True).children())
    assert type(module) is entry.op
    assert entry.kornia.partition(" (")[0].rpartition(".")[2] == entry.op.__name__


def test_kornia_rows_export_by_class():
    pipe = from_albumentations(_compose(_t("HorizontalFlip", p=0.3), _t("ToGray", p=0.2)))
    for m in pipe.children():
        del m._albumentations  # as if built by hand: the reverse lookup of the table names it
    names = [t["__class_fullname__"] for t in to_albumentations(pipe)["transform"]["transforms"]]
    assert names == ["HorizontalFlip", "ToGray"]


@pytest.mark.parametrize(("transform", "match"), [
    # bounds the builders no longer check: the op's message, with the config path
    (_t("GaussianBlur", sigma_limit=[-1, 2]), r"^transform\.transforms\[0\]: GaussianBlur: sigma_limit must lie in \["),
    (_t("GaussianBlur", sigma_limit=[1, 101]), r"GaussianBlur: sigma_limit must lie in \[0, 100\]"),
    (_t("Blur", blur_limit=[3, 301]), r"^transform\.transforms\[0\]: Blur: blur_limit must lie in \[0, 255\]"),
    (_t("RandomBrightnessContrast", brightness_limit=[-2, 0]), r"brightness_limit must lie in \[-1, 1\]"),
    (_t("Resize", height=0, width=3), r"^transform\.transforms\[0\]: Resize: height must be >= 1, got 0"),
    (_t("ElasticTransform", sigma=0), r"ElasticTransform: sigma must lie in \[0\.001, inf\]"),
    (_t("PadIfNeeded", position="middle"), r"PadIfNeeded: position must be one of"),
    (_t("OneOf", transforms=[_t("HorizontalFlip", p=0.0)]), r"^transform\.transforms\[0\]: OneOf: weights must be"),
    (_t("SomeOf", n=-1, transforms=[_t("HorizontalFlip")]), r"^transform\.transforms\[0\]: SomeOf: n must be >= 0"),
    # types read by the adapter itself, through kornia_diffaug._validate: still a ValueError, with the path
    (_t("Blur", p="often"), r"^transform\.transforms\[0\]: Blur: p must be a number"),
    (_t("Blur", blur_limit=[7, 3]), r"Blur: blur_limit has inverted bounds \(low > high\)"),
    (_t("MotionBlur", allow_shifted="yes"), r"MotionBlur: allow_shifted must be a bool"),
])
def test_a_bad_value_is_a_value_error_naming_the_path_and_the_allowed_range(transform, match):
    with pytest.raises(ValueError, match=match):
        from_albumentations(_compose(transform))


@pytest.mark.parametrize("cls", [AlbuBlur, AlbuMotionBlur, AlbuGaussianBlur])
def test_blur_ops_declare_the_kernel_size_cap(cls):
    with pytest.raises(ValueError, match=r"blur_limit must lie in \[0, 255\]"):
        cls(blur_limit=(3, 257))
    cls(blur_limit=(3, 255))(torch.rand(1, 1, 8, 8))


def test_gaussian_blur_declares_the_sigma_cap():
    with pytest.raises(ValueError, match=r"sigma_limit must lie in \[0, 100\]"):
        AlbuGaussianBlur(sigma_limit=(0.5, 100.5))
