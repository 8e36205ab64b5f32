"""The mapping table: one row per Albumentations transform, naming the op class it becomes and the builder that
reads its parameters into that op (``builders*.py``), which parameters are harmless to ignore, and the parity
case that ``tools/albu_parity.py`` measures against Albumentations itself (the figures of
``docs/albumentations.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kornia.augmentation as K
from torch import nn

from kornia_diffaug.ops.albu import (
    AlbuAffine,
    AlbuBlur,
    AlbuBrightnessContrast,
    AlbuChannelDropout,
    AlbuCLAHE,
    AlbuCoarseDropout,
    AlbuColorJitter,
    AlbuCrop,
    AlbuDownscale,
    AlbuElasticTransform,
    AlbuEqualize,
    AlbuGamma,
    AlbuGaussianBlur,
    AlbuGaussNoise,
    AlbuGridDistortion,
    AlbuGridDropout,
    AlbuHueSaturationValue,
    AlbuLongestMaxSize,
    AlbuMedianBlur,
    AlbuMotionBlur,
    AlbuMultiplicativeNoise,
    AlbuPadIfNeeded,
    AlbuPerspective,
    AlbuPosterize,
    AlbuRandomCrop,
    AlbuRandomResizedCrop,
    AlbuRandomRotate90,
    AlbuRandomScale,
    AlbuResize,
    AlbuRGBShift,
    AlbuSafeRotate,
    AlbuSepia,
    AlbuSharpen,
    AlbuSmallestMaxSize,
    AlbuSolarize,
    AlbuTranspose,
)

from .builders import b_flag, b_invert, b_rotate90, b_seeded
from .builders_geometric import (
    b_affine,
    b_center_crop,
    b_crop,
    b_elastic,
    b_grid_distortion,
    b_max_size,
    b_pad,
    b_perspective,
    b_random_crop,
    b_random_scale,
    b_resize,
    b_rotate,
    b_rrc,
    b_safe_rotate,
    b_ssr,
)
from .builders_pixel import (
    b_blur,
    b_brightness_1x,
    b_brightness_contrast,
    b_channel_dropout,
    b_clahe,
    b_coarse_dropout,
    b_color_jitter,
    b_contrast_1x,
    b_cutout,
    b_downscale,
    b_equalize,
    b_gamma,
    b_gauss_noise,
    b_gaussian_blur,
    b_grid_dropout,
    b_hsv,
    b_motion_blur,
    b_mult_noise,
    b_normalize,
    b_posterize,
    b_rgb_shift,
    b_sharpen,
    b_solarize,
    b_to_gray,
)
from .parse import Args

# isort: split
# --- pixel effects (weather, noise, compression)
from kornia_diffaug.ops.albu.compression import AlbuImageCompression
from kornia_diffaug.ops.albu.filter import AlbuDefocus, AlbuEmboss
from kornia_diffaug.ops.albu.lighting import AlbuRandomShadow, AlbuRandomSunFlare
from kornia_diffaug.ops.albu.noise import AlbuISONoise, AlbuSaltAndPepper
from kornia_diffaug.ops.albu.weather import AlbuRandomFog, AlbuRandomRain, AlbuRandomSnow

from .builders_effects import (
    b_defocus,
    b_emboss,
    b_fog,
    b_image_compression,
    b_iso_noise,
    b_rain,
    b_salt_and_pepper,
    b_shadow,
    b_snow,
    b_sun_flare,
)

__all__ = ["CONTAINERS", "DTYPE_FREE", "TABLE", "Entry", "supported_transforms"]

CONTAINERS = ("Compose", "OneOf", "SomeOf", "Sequential", "ReplayCompose")  # ReplayCompose: replay = our params
_ANY = ...


@dataclass(frozen=True)
class Entry:
    """One row of the mapping table: how an Albumentations transform becomes a Kornia module.

    ``op``: the class it becomes (one of ours, or Kornia's own); ``build(op, args)`` constructs it from the
    config's parameters. ``ignorable``: parameters that change nothing, mapped to their harmless values (``...``:
    any). ``parity``: the deterministic case the parity tests run (Albumentations parameters), the error kind
    (``exact`` / ``pointwise``: max abs error, ``resample``: mean abs error away from a border of ``margin``
    pixels) and the bound, in units of 1/255 of the range; ``note`` explains a figure in the generated docs.
    ``variant``: how the row uses ``op``, when other rows use it too (``"rotation"`` for ``Rotate`` as
    ``AlbuAffine``).
    """

    op: type[nn.Module]
    build: Callable[[type[nn.Module], Args], nn.Module]
    ignorable: dict[str, Any]
    parity: dict[str, Any]
    variant: str = ""

    @property
    def ours(self) -> bool:
        """``op`` is one of our ``Albu*`` ops (they name their transform in ``albu_name``), not one of Kornia's."""
        return getattr(self.op, "albu_name", None) is not None

    @property
    def kornia(self) -> str:
        """The module as the docs name it: ``"AlbuAffine (rotation)"``, ``"kornia.augmentation.RandomGrayscale"``."""
        name = self.op.__name__ if self.ours else f"kornia.augmentation.{self.op.__name__}"
        return f"{name} ({self.variant})" if self.variant else name


_MASK = {"mask_interpolation": (0,), "fill_mask": _ANY, "rotate_method": ("largest_box",)}
_AFFINE_KEYS = {**_MASK, "rotate": _ANY, "scale": _ANY, "shear": _ANY, "translate_percent": _ANY,
                "translate_px": _ANY, "keep_ratio": _ANY, "balanced_scale": _ANY, "fit_output": _ANY}
_CROP_KEYS = {"border_mode": _ANY, "fill": _ANY, "fill_mask": _ANY, "pad_position": _ANY}

PX = "pointwise"
TABLE: dict[str, Entry] = {
    "HorizontalFlip": Entry(K.RandomHorizontalFlip, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "VerticalFlip": Entry(K.RandomVerticalFlip, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "Transpose": Entry(AlbuTranspose, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "RandomRotate90": Entry(AlbuRandomRotate90, b_rotate90, {}, {"case": {}, "kind": "distribution", "bound": 0}),
    "Rotate": Entry(AlbuAffine, b_rotate, {**_MASK, "value": _ANY, "mask_value": (0,)},
                    {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}, "rotation"),
    "SafeRotate": Entry(AlbuSafeRotate, b_safe_rotate, {**_AFFINE_KEYS, "value": _ANY},
                        {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}),
    "Affine": Entry(AlbuAffine, b_affine, {**_MASK, "cval_mask": _ANY, "fit_output": (False,)},
                    {"case": {"scale": (1.1, 1.1), "rotate": (10, 10), "shear": {"x": (5, 5), "y": (0, 0)},
                              "translate_percent": (0.05, 0.05)}, "kind": "resample", "bound": 1.5}),
    "ShiftScaleRotate": Entry(AlbuAffine, b_ssr, {**_MASK, "value": _ANY, "mask_value": _ANY},
                              {"case": {"shift_limit": (0.05, 0.05), "scale_limit": (0.1, 0.1),
                                        "rotate_limit": (20, 20), "border_mode": 0}, "kind": "resample",
                               "bound": 1.5}, "shift/scale/rotate"),
    "Perspective": Entry(AlbuPerspective, b_perspective, {**_MASK, "keep_size": (True,), "fit_output": (False,),
                                                          "mask_pad_val": _ANY},
                         {"case": {"scale": (0.0, 0.0)}, "kind": "resample", "bound": 1.5,
                          "note": "corners are random; the case checks the fixed mapping (scale 0)"}),
    "ElasticTransform": Entry(AlbuElasticTransform, b_elastic, {**_MASK, "keypoint_remapping_method": _ANY,
                                                                "value": _ANY, "mask_value": _ANY},
                              {"case": {"alpha": 30.0, "sigma": 5.0}, "kind": "distribution", "bound": 0}),
    "GridDistortion": Entry(AlbuGridDistortion, b_grid_distortion, {**_MASK, "keypoint_remapping_method": _ANY,
                                                                    "value": _ANY, "mask_value": _ANY},
                            {"case": {"num_steps": 5, "distort_limit": (0.2, 0.2)}, "kind": "resample",
                             "bound": 1.5}),
    "RandomResizedCrop": Entry(AlbuRandomResizedCrop, b_rrc, {**_MASK, "area_for_downscale": (None,)},
                               {"case": {"size": (48, 48), "scale": (1, 1), "ratio": (1, 1)}, "kind": "resample",
                                "bound": 1.0}),
    "RandomCrop": Entry(AlbuRandomCrop, b_random_crop, _CROP_KEYS,
                        {"case": {"height": 30, "width": 40}, "kind": "distribution", "bound": 0}),
    "CenterCrop": Entry(AlbuCrop, b_center_crop, _CROP_KEYS,
                        {"case": {"height": 31, "width": 40}, "kind": "exact", "bound": 0}, "centred"),
    "Crop": Entry(AlbuCrop, b_crop, _CROP_KEYS,
                  {"case": {"x_min": 3, "y_min": 5, "x_max": 40, "y_max": 30}, "kind": "exact", "bound": 0}),
    "Resize": Entry(AlbuResize, b_resize, {**_MASK, "area_for_downscale": (None,)},
                    {"case": {"height": 90, "width": 50}, "kind": "resample", "bound": 1.0}),
    "LongestMaxSize": Entry(AlbuLongestMaxSize, b_max_size,
                            {**_MASK, "area_for_downscale": (None,), "max_size_hw": (None,)},
                            {"case": {"max_size": 100}, "kind": "resample", "bound": 1.0}),
    "SmallestMaxSize": Entry(AlbuSmallestMaxSize, b_max_size,
                             {**_MASK, "area_for_downscale": (None,), "max_size_hw": (None,)},
                             {"case": {"max_size": 40}, "kind": "resample", "bound": 1.0}),
    "RandomScale": Entry(AlbuRandomScale, b_random_scale, {**_MASK, "area_for_downscale": (None,)},
                         {"case": {"scale_limit": (0.5, 0.5)}, "kind": "resample", "bound": 1.0,
                          "note": "the size is drawn per image: samples are grouped by size until a later "
                                  "transform fixes it; boxes scale by s, not int(W s) / W (within 1 px)"}),
    "PadIfNeeded": Entry(AlbuPadIfNeeded, b_pad, {**_MASK, "padding": (0, None), "value": _ANY, "mask_value": _ANY},
                         {"case": {"min_height": 80, "min_width": 70, "border_mode": 4}, "kind": "exact", "bound": 0}),
    "RandomBrightnessContrast": Entry(AlbuBrightnessContrast, b_brightness_contrast, {},
                                      {"case": {"brightness_limit": (0.1, 0.1), "contrast_limit": (0.2, 0.2)},
                                       "kind": PX, "bound": 1}),
    "RandomBrightness": Entry(AlbuBrightnessContrast, b_brightness_1x, {},
                              {"case": None, "kind": "config", "bound": 0, "note": "1.x name; parity as 2.x RBC"},
                              "1.x"),
    "RandomContrast": Entry(AlbuBrightnessContrast, b_contrast_1x, {},
                            {"case": None, "kind": "config", "bound": 0, "note": "1.x name; parity as 2.x RBC"},
                            "1.x"),
    "ColorJitter": Entry(AlbuColorJitter, b_color_jitter, {},
                         {"case": {"brightness": (0.9, 0.9), "contrast": (0.8, 0.8), "saturation": (0.7, 0.7),
                                   "hue": (0, 0)}, "kind": PX, "bound": 2,
                          "note": "Albumentations rounds to uint8 after each step; hue alone is within 4.4 levels "
                                  "(OpenCV's uint8 HSV); the order is drawn per image"}),
    "HueSaturationValue": Entry(AlbuHueSaturationValue, b_hsv, {},
                                {"case": {"hue_shift_limit": (10, 10), "sat_shift_limit": (20, 20),
                                          "val_shift_limit": (-15, -15)}, "kind": PX, "bound": 4,
                                 "note": "OpenCV quantises H to 180 levels and S, V to 256 on uint8"}),
    "RGBShift": Entry(AlbuRGBShift, b_rgb_shift, {"noise_params": _ANY, "noise_type": _ANY,
                                                  "spatial_mode": _ANY, "approximation": (1.0,)},
                      {"case": {"r_shift_limit": (20, 20), "g_shift_limit": (-10, -10), "b_shift_limit": (5, 5)},
                       "kind": PX, "bound": 1}),
    "RandomGamma": Entry(AlbuGamma, b_gamma, {}, {"case": {"gamma_limit": (70, 70)}, "kind": PX, "bound": 1}),
    "CLAHE": Entry(AlbuCLAHE, b_clahe, {}, {"case": {"clip_limit": (2, 2), "tile_grid_size": (4, 4)},
                                            "kind": "resample", "bound": 8,
                                            "note": "exact on 1-channel images; RGB goes through OpenCV's uint8 "
                                                    "Lab (ours: float Lab), and a 1-level change of L can move "
                                                    "a pixel across a steep step of a tile's LUT"}),
    "Equalize": Entry(AlbuEqualize, b_equalize, {"mask_params": _ANY}, {"case": {}, "kind": PX, "bound": 1}),
    "Posterize": Entry(AlbuPosterize, b_posterize, {}, {"case": {"num_bits": (3, 3)}, "kind": PX, "bound": 0}),
    "Solarize": Entry(AlbuSolarize, b_solarize, {}, {"case": {"threshold_range": (0.4, 0.4)}, "kind": PX,
                                                     "bound": 0}),
    "ToGray": Entry(K.RandomGrayscale, b_to_gray, {}, {"case": {}, "kind": PX, "bound": 1}),
    "ToSepia": Entry(AlbuSepia, b_seeded, {}, {"case": {}, "kind": PX, "bound": 1}),
    "ChannelShuffle": Entry(K.RandomChannelShuffle, b_flag, {}, {"case": {}, "kind": "distribution", "bound": 0}),
    "ChannelDropout": Entry(AlbuChannelDropout, b_channel_dropout, {},
                            {"case": {}, "kind": "distribution", "bound": 0}),
    "InvertImg": Entry(K.RandomInvert, b_invert, {}, {"case": {}, "kind": PX, "bound": 0}),
    "Sharpen": Entry(AlbuSharpen, b_sharpen, {"kernel_size": _ANY, "sigma": _ANY},
                     {"case": {"alpha": (0.4, 0.4), "lightness": (0.8, 0.8)}, "kind": PX, "bound": 1}),
    "Blur": Entry(AlbuBlur, b_blur, {}, {"case": {"blur_limit": (5, 5)}, "kind": PX, "bound": 1}),
    "GaussianBlur": Entry(AlbuGaussianBlur, b_gaussian_blur, {},
                          {"case": {"blur_limit": (7, 7), "sigma_limit": (1.5, 1.5)}, "kind": PX, "bound": 1}),
    "MotionBlur": Entry(AlbuMotionBlur, b_motion_blur, {},
                        {"case": {"blur_limit": (5, 5), "angle_range": (0, 0), "direction_range": (0, 0),
                                  "allow_shifted": False}, "kind": PX, "bound": 1}),
    "MedianBlur": Entry(AlbuMedianBlur, b_blur, {}, {"case": {"blur_limit": (5, 5)}, "kind": PX, "bound": 0}),
    "GaussNoise": Entry(AlbuGaussNoise, b_gauss_noise, {}, {"case": {"std_range": (0.1, 0.1)},
                                                            "kind": "distribution", "bound": 0}),
    "MultiplicativeNoise": Entry(AlbuMultiplicativeNoise, b_mult_noise, {},
                                 {"case": {"multiplier": (1.2, 1.2)}, "kind": PX, "bound": 1}),
    "CoarseDropout": Entry(AlbuCoarseDropout, b_coarse_dropout, {},
                           {"case": {}, "kind": "distribution", "bound": 0}),
    "GridDropout": Entry(AlbuGridDropout, b_grid_dropout, {},
                         {"case": {"ratio": 0.5, "unit_size_range": (8, 9), "random_offset": False,
                                   "shift_xy": (2, 1)}, "kind": PX, "bound": 0}),
    "Cutout": Entry(AlbuCoarseDropout, b_cutout, {},
                    {"case": None, "kind": "config", "bound": 0, "note": "1.x name"}, "1.x Cutout"),
    "Normalize": Entry(K.Normalize, b_normalize, {},
                       {"case": {}, "kind": "pointwise_float", "bound": 0.01}),
    "Downscale": Entry(AlbuDownscale, b_downscale, {},
                       {"case": {"scale_range": (0.5, 0.5)}, "kind": PX, "bound": 0}),
    # --- pixel effects (weather, noise, compression)
    "ImageCompression": Entry(AlbuImageCompression, b_image_compression, {},
                              {"case": {"quality_range": (50, 50)}, "kind": "resample", "bound": 2.0,
                               "note": "Kornia's differentiable JPEG vs libjpeg (integer DCT, rounding per stage): "
                                       "mean 0.7-2.4 levels over qualities 10-100, where JPEG itself changes the "
                                       "image by 4-11; channels coded in OpenCV's BGR order"}),
    "JpegCompression": Entry(AlbuImageCompression, b_image_compression, {},
                             {"case": None, "kind": "config", "bound": 0, "note": "1.x name; parity as "
                                                                                  "ImageCompression"}, "1.x"),
    "RandomFog": Entry(AlbuRandomFog, b_fog, {}, {"case": {"fog_coef_range": (0.5, 0.5)}, "kind": "distribution",
                                                  "bound": 0}),
    "RandomRain": Entry(AlbuRandomRain, b_rain, {}, {"case": {"slant_range": (5, 5), "drop_length": 8},
                                                     "kind": "distribution", "bound": 0}),
    "RandomSnow": Entry(AlbuRandomSnow, b_snow, {}, {"case": {"snow_point_range": (0.3, 0.3), "brightness_coeff": 2.0},
                                                     "kind": PX, "bound": 4,
                                                     "note": "OpenCV's uint8 HLS quantises H and S"}),
    "RandomSunFlare": Entry(AlbuRandomSunFlare, b_sun_flare, {},
                            {"case": {"src_radius": 40, "angle_range": (0.25, 0.25)}, "kind": "distribution",
                             "bound": 0}),
    "RandomShadow": Entry(AlbuRandomShadow, b_shadow, {}, {"case": {"shadow_intensity_range": (0.5, 0.5)},
                                                           "kind": "distribution", "bound": 0}),
    "ISONoise": Entry(AlbuISONoise, b_iso_noise, {}, {"case": {"color_shift": (0.05, 0.05), "intensity": (0.5, 0.5)},
                                                      "kind": "distribution", "bound": 0}),
    "SaltAndPepper": Entry(AlbuSaltAndPepper, b_salt_and_pepper, {},
                           {"case": {"amount": (0.05, 0.05), "salt_vs_pepper": (0.5, 0.5)}, "kind": "distribution",
                            "bound": 0}),
    "Emboss": Entry(AlbuEmboss, b_emboss, {}, {"case": {"alpha": (0.5, 0.5), "strength": (0.6, 0.6)}, "kind": PX,
                                               "bound": 1}),
    "Defocus": Entry(AlbuDefocus, b_defocus, {}, {"case": {"radius": (4, 4), "alias_blur": (0.3, 0.3)}, "kind": PX,
                                                  "bound": 1}),
}

# --- geometric, aliases and crops
from kornia_diffaug.ops.albu import (  # noqa: E402
    AlbuCropNonEmptyMaskIfExists,
    AlbuFlip,
    AlbuNoOp,
    AlbuOpticalDistortion,
    AlbuPiecewiseAffine,
    AlbuRandomSizedBBoxSafeCrop,
    AlbuRandomSizedCrop,
)

from .builders_extra import (  # noqa: E402
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

_DIST_KEYS = {**_MASK, "keypoint_remapping_method": _ANY, "value": _ANY, "mask_value": _ANY}
_NOT_IN_2X = "not in Albumentations 2.0.8"
TABLE.update({
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
    "IAAAdditiveGaussianNoise": Entry(AlbuGaussNoise, b_iaa_noise, {},
                                      {"case": None, "kind": "config", "bound": 0,
                                       "note": f"0.x: as GaussNoise, scale and loc in uint8 levels; {_NOT_IN_2X}"},
                                      "IAAAdditiveGaussianNoise"),
    "IAAAffine": Entry(AlbuAffine, b_iaa_affine, {"fit_output": (False,), "backend": _ANY},
                       {"case": None, "kind": "config", "bound": 0,
                        "note": f"0.x: as Affine, imgaug's number = constant; {_NOT_IN_2X}"}, "IAAAffine"),
    "IAAPerspective": Entry(AlbuPerspective, b_iaa_perspective, {},
                            {"case": None, "kind": "config", "bound": 0,
                             "note": f"0.x: as Perspective; {_NOT_IN_2X}"}, "IAAPerspective"),
    "IAAPiecewiseAffine": Entry(AlbuPiecewiseAffine, b_piecewise_affine, {},
                                {"case": None, "kind": "config", "bound": 0,
                                 "note": "refused: imgaug's triangulated mesh warp is not reproduced"},
                                "IAAPiecewiseAffine"),
    "OpticalDistortion": Entry(AlbuOpticalDistortion, b_optical_distortion, _DIST_KEYS,
                               {"case": {"distort_limit": (0.3, 0.3)}, "kind": "resample", "bound": 1.5}),
    "PiecewiseAffine": Entry(AlbuPiecewiseAffine, b_piecewise_affine, _DIST_KEYS,
                             {"case": None, "kind": "config", "bound": 0,
                              "note": "the jitter is random: the map equals Albumentations' for the same jitter "
                                      "within 1e-5 px (tests); 2.0.8 fails on scale 0"}),
    "RandomSizedCrop": Entry(AlbuRandomSizedCrop, b_random_sized_crop, {**_MASK, "area_for_downscale": (None,)},
                             {"case": {"min_max_height": (48, 48), "size": (32, 40), "w2h_ratio": 1.34},
                              "kind": "resample", "bound": 1.0}),
    "RandomSizedBBoxSafeCrop": Entry(AlbuRandomSizedBBoxSafeCrop, b_sized_bbox_safe_crop, _MASK,
                                     {"case": None, "kind": "config", "bound": 0,
                                      "build": {"height": 20, "width": 24},
                                      "compose": {"bbox_params": {"format": "pascal_voc"}},
                                      "note": "needs boxes: checked with them against Albumentations (tests)"}),
    "CropNonEmptyMaskIfExists": Entry(AlbuCropNonEmptyMaskIfExists, b_crop_nonempty_mask, {},
                                      {"case": None, "kind": "config", "bound": 0, "build": {"height": 20, "width": 24},
                                       "note": "needs the mask: checked with it against Albumentations (tests)"}),
})

# Transforms whose result does not depend on the image being uint8 or float32 (no fills, levels or value
# units): the only ones ``load.py`` accepts after a ``ToFloat``, where Albumentations' image becomes float32.
DTYPE_FREE = frozenset({"NoOp", "ToTensorV2", "ToTensor", "ToFloat", "HorizontalFlip", "VerticalFlip", "Flip",
                        "Transpose", "RandomRotate90", "RandomCrop", "CenterCrop", "Crop", "CropNonEmptyMaskIfExists"})


def supported_transforms() -> list[str]:
    """Albumentations class names the adapter maps (containers ``Compose``/``OneOf``/``SomeOf``/``Sequential``
    included)."""
    return sorted([*TABLE, *CONTAINERS])

# --- more effects (FancyPCA, GlassBlur, RandomGridShuffle, AdditiveNoise)
from kornia_diffaug.ops.albu.additive import AlbuAdditiveNoise  # noqa: E402
from kornia_diffaug.ops.albu.pca import AlbuFancyPCA  # noqa: E402
from kornia_diffaug.ops.albu.shuffle import AlbuGlassBlur, AlbuRandomGridShuffle  # noqa: E402

from .builders_effects2 import b_additive_noise, b_fancy_pca, b_glass_blur, b_grid_shuffle  # noqa: E402

TABLE.update({
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
})
