"""Every supported transform loads as Albumentations' own ``to_dict`` writes it with default arguments.

``to_dict`` writes every init argument, ``None`` included (``Equalize(mask=None)``, ``Affine(translate_percent=
None)``, ``GridDropout(unit_size_range=None)``): those are Albumentations' defaults and must load under
``strict=True``, and the loaded pipeline must give images of the shape Albumentations gives.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations, supported_transforms

A = pytest.importorskip("albumentations")
pytest.importorskip("albumentations.pytorch")

# Arguments Albumentations requires (no default), kept minimal; everything else is left at its default.
REQUIRED = {
    "RandomCrop": {"height": 8, "width": 8},
    "CenterCrop": {"height": 8, "width": 8},
    "Crop": {"x_max": 8, "y_max": 8},
    "Resize": {"height": 8, "width": 8},
    "RandomResizedCrop": {"size": (8, 8)},
    "LongestMaxSize": {"max_size": 8},
    "SmallestMaxSize": {"max_size": 8},
    "RandomScale": {"scale_limit": (0.5, 0.5), "p": 1.0},  # a scale range alone leaves images of several sizes
    "RandomCropFromBorders": {"crop_left": 0.0, "crop_right": 0.0, "crop_top": 0.0, "crop_bottom": 0.0},  # as above
    "RandomSizedCrop": {"min_max_height": (8, 12), "size": (8, 8)},
    "RandomSizedBBoxSafeCrop": {"height": 8, "width": 8},
    "CropNonEmptyMaskIfExists": {"height": 8, "width": 8},
}
CONTAINERS = {"Compose", "OneOf", "SomeOf", "Sequential", "ReplayCompose"}
# Transforms that read a target: the Compose's params and the call's extra data (Albumentations' and ours).
DATA = {"RandomSizedBBoxSafeCrop": ({"bbox_params": A.BboxParams(format="pascal_voc")},
                                    {"bboxes": [[2.0, 3.0, 9.0, 12.0]]}),
        "CropNonEmptyMaskIfExists": ({}, {"mask": np.pad(np.ones((3, 3), np.uint8), ((9, 4), (2, 11)))})}

# 1.x names that Albumentations 2.0.8 no longer has: the entries 1.3.1's ``to_dict`` wrote for their defaults.
ONE_X_DEFAULTS = {
    "Cutout": {"__class_fullname__": "albumentations.augmentations.dropout.cutout.Cutout", "always_apply": False,
               "p": 0.5, "num_holes": 8, "max_h_size": 8, "max_w_size": 8, "fill_value": 0},
    "RandomBrightness": {"__class_fullname__": "albumentations.augmentations.transforms.RandomBrightness",
                         "always_apply": False, "p": 0.5, "limit": [-0.2, 0.2]},
    "RandomContrast": {"__class_fullname__": "albumentations.augmentations.transforms.RandomContrast",
                       "always_apply": False, "p": 0.5, "limit": [-0.2, 0.2]},
    "JpegCompression": {"__class_fullname__": "albumentations.augmentations.transforms.JpegCompression",
                        "always_apply": False, "p": 0.5, "quality_lower": 99, "quality_upper": 100},
    "Flip": {"__class_fullname__": "albumentations.augmentations.transforms.Flip", "always_apply": False, "p": 0.5},
    "ToTensor": {"__class_fullname__": "albumentations.pytorch.transforms.ToTensor", "num_classes": 1,
                 "sigmoid": True, "normalize": None},
    "IAASharpen": {"__class_fullname__": "albumentations.imgaug.transforms.IAASharpen", "always_apply": False,
                   "p": 0.5, "alpha": [0.2, 0.5], "lightness": [0.5, 1.0]},
    "IAAEmboss": {"__class_fullname__": "albumentations.imgaug.transforms.IAAEmboss", "always_apply": False,
                  "p": 0.5, "alpha": [0.2, 0.5], "strength": [0.2, 0.7]},
    "IAAAdditiveGaussianNoise": {"__class_fullname__": "albumentations.imgaug.transforms.IAAAdditiveGaussianNoise",
                                 "always_apply": False, "p": 0.5, "loc": 0, "scale": [2.55, 12.75],
                                 "per_channel": False},
    "IAAAffine": {"__class_fullname__": "albumentations.imgaug.transforms.IAAAffine", "always_apply": False,
                  "p": 0.5, "scale": 1.0, "translate_percent": None, "translate_px": None, "rotate": 0.0,
                  "shear": 0.0, "order": 1, "cval": 0, "mode": "reflect"},
    "IAAPerspective": {"__class_fullname__": "albumentations.imgaug.transforms.IAAPerspective",
                       "always_apply": False, "p": 0.5, "scale": [0.05, 0.1], "keep_size": True},
    "IAAPiecewiseAffine": {"__class_fullname__": "albumentations.imgaug.transforms.IAAPiecewiseAffine",
                           "always_apply": False, "p": 0.5, "scale": [0.03, 0.05], "nb_rows": 4, "nb_cols": 4,
                           "order": 1, "cval": 0, "mode": "constant"},
}


def _saved_by_albumentations(name):
    """(config dict as ``A.to_dict`` writes it, the Compose) for the default-constructed transform ``name``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name in CONTAINERS:
            t = getattr(A, name)([A.HorizontalFlip()]) if name != "Compose" else A.HorizontalFlip()
        else:
            t = (getattr(A, name) if hasattr(A, name) else getattr(A.pytorch, name))(**REQUIRED.get(name, {}))
        c = A.Compose([t], **DATA.get(name, ({}, {}))[0])
    return A.to_dict(c), c


@pytest.mark.parametrize("name", supported_transforms())
def test_default_transform_saved_by_albumentations_loads_strictly_and_runs(name):
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    if name in ONE_X_DEFAULTS:
        assert not hasattr(A, name)  # a 1.x name: no 2.x class to construct
        cfg = {"__version__": "1.3.1", "transform": {
            "__class_fullname__": "albumentations.core.composition.Compose", "p": 1.0,
            "transforms": [ONE_X_DEFAULTS[name]], "bbox_params": None, "keypoint_params": None,
            "additional_targets": {}}}
        expected = (16, 16)
    else:
        cfg, compose = _saved_by_albumentations(name)
        u = (x[0].permute(1, 2, 0).numpy() * 255).astype(np.uint8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = compose(image=u, **DATA.get(name, ({}, {}))[1])["image"]
        expected = tuple(out.shape[1:]) if isinstance(out, torch.Tensor) else out.shape[:2]  # ToTensorV2: CHW
    pipe = from_albumentations(cfg, strict=True, generator=torch.Generator().manual_seed(1))
    assert pipe.albumentations_dropped == []
    torch.manual_seed(0)
    extra = DATA.get(name, ({}, {}))[1]
    if "bboxes" in extra:
        y, _ = pipe(x, torch.tensor(extra["bboxes"])[None].repeat(2, 1, 1))
    elif "mask" in extra:
        y, _ = pipe(x, torch.from_numpy(extra["mask"]).float()[None, None].repeat(2, 1, 1, 1),
                    data_keys=["input", "mask"])
    else:
        y = pipe(x)
    assert y.shape == (2, 3, *expected)
    assert torch.isfinite(y).all()


def test_every_table_row_is_covered_by_a_constructible_or_1x_case():
    names = set(supported_transforms()) - CONTAINERS
    assert names - set(ONE_X_DEFAULTS) <= {n for n in names if hasattr(A, n) or hasattr(A.pytorch, n)}


def test_none_written_for_unused_options_means_albumentations_default():
    """``Equalize(mask=None)`` is the whole image: the loaded op equals a config without the key."""
    x = torch.rand(2, 3, 12, 12, generator=torch.Generator().manual_seed(2))
    base = {"__class_fullname__": "Equalize", "p": 1.0, "by_channels": True, "mode": "cv"}
    a = from_albumentations({"transform": {**base, "mask": None, "mask_params": []}})(x)
    b = from_albumentations({"transform": base})(x)
    torch.testing.assert_close(a, b)
