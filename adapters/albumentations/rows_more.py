"""The rows of :data:`.table.TABLE` for Albumentations' aliases (0.x/1.x names, ``ToTensorV2``...), the remapping
distortions and the data-driven crops, and for the pixel effects FancyPCA, GlassBlur, RandomGridShuffle and
AdditiveNoise (``table.py`` merges them)."""

from __future__ import annotations

from kornia_diffaug.ops.albu import (
    AlbuAffine,
    AlbuCropNonEmptyMaskIfExists,
    AlbuEmboss,
    AlbuFlip,
    AlbuGaussNoise,
    AlbuNoOp,
    AlbuOpticalDistortion,
    AlbuPerspective,
    AlbuPiecewiseAffine,
    AlbuPiecewiseAffineMesh,
    AlbuRandomSizedBBoxSafeCrop,
    AlbuRandomSizedCrop,
    AlbuSharpen,
)
from kornia_diffaug.ops.albu.additive import AlbuAdditiveNoise
from kornia_diffaug.ops.albu.pca import AlbuFancyPCA
from kornia_diffaug.ops.albu.shuffle import AlbuGlassBlur, AlbuRandomGridShuffle

from .builders_effects import b_emboss
from .builders_effects2 import b_additive_noise, b_fancy_pca, b_glass_blur, b_grid_shuffle
from .builders_extra import (
    b_crop_nonempty_mask,
    b_iaa_affine,
    b_iaa_noise,
    b_iaa_perspective,
    b_iaa_sharpen,
    b_noop,
    b_optical_distortion,
    b_piecewise_affine,
    b_random_sized_crop,
    b_sized_bbox_safe_crop,
    b_to_float,
    b_to_tensor,
    b_to_tensor_v2,
)
from .entry import ANY, DIST_KEYS, NO_BORDER, PX, Entry

__all__ = ["MORE_ROWS"]

# --- geometric, aliases and crops
_NOT_IN_2X = "not in Albumentations 2.0.8"
_ROWS_A = {
    "NoOp": Entry(AlbuNoOp, b_noop, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "ToTensorV2": Entry(AlbuNoOp, b_to_tensor_v2, {},
                        {"case": None, "kind": "config", "bound": 0,
                         "note": "HWC numpy -> CHW tensor: the (B, C, H, W) input already is one"}, "ToTensorV2"),
    "ToTensor": Entry(AlbuNoOp, b_to_tensor, {},
                      {"case": None, "kind": "config", "bound": 0,
                       "note": f"0.x: uint8 -> u / 255 CHW floats, the input convention; {_NOT_IN_2X}"}, "ToTensor"),
    "ToFloat": Entry(AlbuNoOp, b_to_float, {}, {"case": {"max_value": 255}, "kind": "pointwise_float", "bound": 1e-6,
                                                "note": "u / 255 is the input convention; later transforms see "
                                                        "float32 (units checked at load)"}, "ToFloat"),
    "Flip": Entry(AlbuFlip, b_noop, {}, {"case": None, "kind": "config", "bound": 0,
                                         "note": f"1.x: HorizontalFlip / VerticalFlip / both; {_NOT_IN_2X}"}),
    "IAASharpen": Entry(AlbuSharpen, b_iaa_sharpen, {},
                        {"case": None, "kind": "config", "bound": 0, "note": f"0.x: as Sharpen; {_NOT_IN_2X}"},
                        "IAASharpen"),
    "IAAEmboss": Entry(AlbuEmboss, b_emboss, {}, {"case": None, "kind": "config", "bound": 0,
                                                  "note": f"0.x: as Emboss (imgaug's); {_NOT_IN_2X}"}, "IAAEmboss"),
    "IAAAdditiveGaussianNoise": Entry(AlbuGaussNoise, b_iaa_noise, {},
                                      {"case": None, "kind": "config", "bound": 0,
                                       "note": f"0.x: as GaussNoise, scale and loc in uint8 levels; {_NOT_IN_2X}"},
                                      "IAAAdditiveGaussianNoise"),
    "IAAAffine": Entry(AlbuAffine, b_iaa_affine, {"fit_output": (False,), "backend": ANY},
                       {"case": None, "kind": "config", "bound": 0,
                        "note": f"0.x: as Affine, imgaug's number = constant; {_NOT_IN_2X}"}, "IAAAffine"),
    "IAAPerspective": Entry(AlbuPerspective, b_iaa_perspective, {},
                            {"case": None, "kind": "config", "bound": 0,
                             "note": f"0.x: as Perspective; {_NOT_IN_2X}"}, "IAAPerspective"),
    "IAAPiecewiseAffine": Entry(AlbuPiecewiseAffineMesh, b_piecewise_affine, {},
                                {"case": None, "kind": "config", "bound": 0,
                                 "note": "0.x: imgaug's mesh warp, as 1.x's PiecewiseAffine; masks warped as the "
                                         f"image and rounded; refused with boxes or keypoints; {_NOT_IN_2X}"},
                                "IAAPiecewiseAffine"),
    "OpticalDistortion": Entry(AlbuOpticalDistortion, b_optical_distortion, DIST_KEYS,
                               {"case": {"distort_limit": (0.3, 0.3)}, "kind": "resample", "bound": 1.5}),
    "PiecewiseAffine": Entry(AlbuPiecewiseAffine, b_piecewise_affine, DIST_KEYS,
                             {"case": None, "kind": "config", "bound": 0,
                              "note": "the jitter is random: the map equals Albumentations' for the same jitter "
                                      "within 1e-5 px (tests); 2.0.8 fails on scale 0. Written before 1.4.19: "
                                      "scikit-image's mesh (AlbuPiecewiseAffineMesh), equal to 1.3.1's on the same "
                                      "jitter within 3e-8, keypoints and boxes exact (tests)"}),
    "RandomSizedCrop": Entry(AlbuRandomSizedCrop, b_random_sized_crop, {**NO_BORDER, "area_for_downscale": (None,)},
                             {"case": {"min_max_height": (48, 48), "size": (32, 40), "w2h_ratio": 1.34},
                              "kind": "resample", "bound": 1.0}),
    "RandomSizedBBoxSafeCrop": Entry(AlbuRandomSizedBBoxSafeCrop, b_sized_bbox_safe_crop, NO_BORDER,
                                     {"case": None, "kind": "config", "bound": 0,
                                      "build": {"height": 20, "width": 24},
                                      "compose": {"bbox_params": {"format": "pascal_voc"}},
                                      "note": "needs boxes: checked with them against Albumentations (tests)"}),
    "CropNonEmptyMaskIfExists": Entry(AlbuCropNonEmptyMaskIfExists, b_crop_nonempty_mask, {},
                                      {"case": None, "kind": "config", "bound": 0, "build": {"height": 20, "width": 24},
                                       "note": "needs the mask: checked with it against Albumentations (tests)"}),
}

# --- more effects (FancyPCA, GlassBlur, RandomGridShuffle, AdditiveNoise)
_ROWS_B = {
    "FancyPCA": Entry(AlbuFancyPCA, b_fancy_pca, {}, {"case": None, "kind": "config", "bound": 0,
                                                      "note": "weights are random: equal to Albumentations' "
                                                              "fancy_pca for the same weights within 1e-6 (tests)"}),
    "GlassBlur": Entry(AlbuGlassBlur, b_glass_blur, {}, {"case": None, "kind": "config", "bound": 0,
                                                         "note": "swaps are random: the swap map equals "
                                                                 "Albumentations' for the same offsets (tests); "
                                                                 "within 1 level after its uint8 rounding"}),
    "RandomGridShuffle": Entry(AlbuRandomGridShuffle, b_grid_shuffle, {}, {"case": {"grid": (1, 1)}, "kind": "exact",
                                                                           "bound": 0}),
    "AdditiveNoise": Entry(AlbuAdditiveNoise, b_additive_noise, {},
                           {"case": {"noise_params": {"ranges": [(0.1, 0.1)]}}, "kind": PX, "bound": 1}),
}

MORE_ROWS: dict[str, Entry] = {**_ROWS_A, **_ROWS_B}
