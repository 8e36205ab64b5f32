"""The mapping table: one row per Albumentations transform, naming the op class it becomes and the builder that
reads its parameters into that op (``builders*.py``), which parameters are harmless to ignore, and the parity
case that ``tools/albu_parity.py`` measures against Albumentations itself (the figures of
``docs/albumentations.md``). A row is an :class:`~.entry.Entry`; the rows of the aliases, the remapping
distortions, the data-driven crops and the later pixel effects are in ``rows_more.py``.
"""

from __future__ import annotations

from typing import Any

# Kornia's flips, grayscale and Normalize with a CPU path that transforms only the gated samples (same results).
from kornia_diffaug.ops import kornia_gated as KG
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
    AlbuRandomCropFromBorders,
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
    b_crop_from_borders,
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
from .entry import AFFINE_KEYS, ANY, CROP_KEYS, MASK, NO_BORDER, PX, Entry
from .rows_more import MORE_ROWS

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


TABLE: dict[str, Entry] = {
    "HorizontalFlip": Entry(KG.RandomHorizontalFlip, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "VerticalFlip": Entry(KG.RandomVerticalFlip, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "Transpose": Entry(AlbuTranspose, b_flag, {}, {"case": {}, "kind": "exact", "bound": 0}),
    "RandomRotate90": Entry(AlbuRandomRotate90, b_rotate90, {}, {"case": {}, "kind": "distribution", "bound": 0}),
    "Rotate": Entry(AlbuAffine, b_rotate, {**MASK, "value": ANY},
                    {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}, "rotation"),
    "SafeRotate": Entry(AlbuSafeRotate, b_safe_rotate, {**AFFINE_KEYS, "value": ANY},
                        {"case": {"limit": (30, 30), "border_mode": 0}, "kind": "resample", "bound": 1.5}),
    "Affine": Entry(AlbuAffine, b_affine, {**MASK, "fit_output": (False,)},
                    {"case": {"scale": (1.1, 1.1), "rotate": (10, 10), "shear": {"x": (5, 5), "y": (0, 0)},
                              "translate_percent": (0.05, 0.05)}, "kind": "resample", "bound": 1.5}),
    "ShiftScaleRotate": Entry(AlbuAffine, b_ssr, {**MASK, "value": ANY},
                              {"case": {"shift_limit": (0.05, 0.05), "scale_limit": (0.1, 0.1),
                                        "rotate_limit": (20, 20), "border_mode": 0}, "kind": "resample",
                               "bound": 1.5}, "shift/scale/rotate"),
    "Perspective": Entry(AlbuPerspective, b_perspective, {**MASK, "keep_size": (True,), "fit_output": (False,)},
                         {"case": {"scale": (0.0, 0.0)}, "kind": "resample", "bound": 1.5,
                          "note": "corners are random; the case checks the fixed mapping (scale 0)"}),
    "ElasticTransform": Entry(AlbuElasticTransform, b_elastic, {**MASK, "keypoint_remapping_method": ANY,
                                                                "value": ANY},
                              {"case": {"alpha": 30.0, "sigma": 5.0}, "kind": "distribution", "bound": 0}),
    "GridDistortion": Entry(AlbuGridDistortion, b_grid_distortion, {**MASK, "keypoint_remapping_method": ANY,
                                                                    "value": ANY},
                            {"case": {"num_steps": 5, "distort_limit": (0.2, 0.2)}, "kind": "resample",
                             "bound": 1.5}),
    "RandomResizedCrop": Entry(AlbuRandomResizedCrop, b_rrc, {**NO_BORDER, "area_for_downscale": (None,)},
                               {"case": {"size": (48, 48), "scale": (1, 1), "ratio": (1, 1)}, "kind": "resample",
                                "bound": 1.0}),
    "RandomCrop": Entry(AlbuRandomCrop, b_random_crop, CROP_KEYS,
                        {"case": {"height": 30, "width": 40}, "kind": "distribution", "bound": 0}),
    "CenterCrop": Entry(AlbuCrop, b_center_crop, CROP_KEYS,
                        {"case": {"height": 31, "width": 40}, "kind": "exact", "bound": 0}, "centred"),
    "Crop": Entry(AlbuCrop, b_crop, CROP_KEYS,
                  {"case": {"x_min": 3, "y_min": 5, "x_max": 40, "y_max": 30}, "kind": "exact", "bound": 0}),
    "Resize": Entry(AlbuResize, b_resize, {**NO_BORDER, "area_for_downscale": (None,)},
                    {"case": {"height": 90, "width": 50}, "kind": "resample", "bound": 1.0}),
    "LongestMaxSize": Entry(AlbuLongestMaxSize, b_max_size,
                            {**NO_BORDER, "area_for_downscale": (None,), "max_size_hw": (None,)},
                            {"case": {"max_size": 100}, "kind": "resample", "bound": 1.0}),
    "SmallestMaxSize": Entry(AlbuSmallestMaxSize, b_max_size,
                             {**NO_BORDER, "area_for_downscale": (None,), "max_size_hw": (None,)},
                             {"case": {"max_size": 40}, "kind": "resample", "bound": 1.0}),
    "RandomScale": Entry(AlbuRandomScale, b_random_scale, {**NO_BORDER, "area_for_downscale": (None,)},
                         {"case": {"scale_limit": (0.5, 0.5)}, "kind": "resample", "bound": 1.0,
                          "note": "the size is drawn per image: samples are grouped by size until a later "
                                  "transform fixes it; boxes scale by s, not int(W s) / W (within 1 px)"}),
    "RandomCropFromBorders": Entry(AlbuRandomCropFromBorders, b_crop_from_borders, CROP_KEYS,
                                   {"case": {"crop_left": 0.0, "crop_right": 0.0, "crop_top": 0.0,
                                             "crop_bottom": 0.0}, "kind": "exact", "bound": 0,
                                    "note": "the size is drawn per image: samples are grouped by size until a later "
                                            "transform fixes it"}),
    "PadIfNeeded": Entry(AlbuPadIfNeeded, b_pad, {**MASK, "padding": (0, None), "value": ANY},
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
                          "note": "Albumentations truncates brightness and contrast to uint8 after each step; hue "
                                  "alone is within 4.4 levels (OpenCV's uint8 HSV); the order is drawn per image"}),
    "HueSaturationValue": Entry(AlbuHueSaturationValue, b_hsv, {},
                                {"case": {"hue_shift_limit": (10, 10), "sat_shift_limit": (20, 20),
                                          "val_shift_limit": (-15, -15)}, "kind": PX, "bound": 4,
                                 "note": "OpenCV quantises H to 180 levels and S, V to 256 on uint8"}),
    "RGBShift": Entry(AlbuRGBShift, b_rgb_shift, {"noise_params": ANY, "noise_type": ANY,
                                                  "spatial_mode": ANY, "approximation": (1.0,)},
                      {"case": {"r_shift_limit": (20, 20), "g_shift_limit": (-10, -10), "b_shift_limit": (5, 5)},
                       "kind": PX, "bound": 1}),
    "RandomGamma": Entry(AlbuGamma, b_gamma, {}, {"case": {"gamma_limit": (70, 70)}, "kind": PX, "bound": 1}),
    "CLAHE": Entry(AlbuCLAHE, b_clahe, {}, {"case": {"clip_limit": (2, 2), "tile_grid_size": (4, 4)},
                                            "kind": "resample", "bound": 8,
                                            "note": "exact on 1-channel images; RGB goes through OpenCV's uint8 "
                                                    "Lab (ours: float Lab), and a 1-level change of L can move "
                                                    "a pixel across a steep step of a tile's LUT"}),
    "Equalize": Entry(AlbuEqualize, b_equalize, {"mask_params": ANY}, {"case": {}, "kind": PX, "bound": 1}),
    "Posterize": Entry(AlbuPosterize, b_posterize, {}, {"case": {"num_bits": (3, 3)}, "kind": PX, "bound": 0}),
    "Solarize": Entry(AlbuSolarize, b_solarize, {}, {"case": {"threshold_range": (0.4, 0.4)}, "kind": PX,
                                                     "bound": 0}),
    "ToGray": Entry(KG.RandomGrayscale, b_to_gray, {}, {"case": {}, "kind": PX, "bound": 1}),
    "ToSepia": Entry(AlbuSepia, b_seeded, {}, {"case": {}, "kind": PX, "bound": 1}),
    "ChannelShuffle": Entry(KG.RandomChannelShuffle, b_flag, {}, {"case": {}, "kind": "distribution", "bound": 0}),
    "ChannelDropout": Entry(AlbuChannelDropout, b_channel_dropout, {},
                            {"case": {}, "kind": "distribution", "bound": 0}),
    "InvertImg": Entry(KG.RandomInvert, b_invert, {}, {"case": {}, "kind": PX, "bound": 0}),
    "Sharpen": Entry(AlbuSharpen, b_sharpen, {"kernel_size": ANY, "sigma": ANY},
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
    "Normalize": Entry(KG.Normalize, b_normalize, {},
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

TABLE.update(MORE_ROWS)

# Transforms after which Albumentations' image is float32 (a uint8 input is converted: ``Normalize`` gives
# normalised float32 values, ``ToFloat`` divides).
FLOAT_OUTPUT = frozenset({"ToFloat", "Normalize"})

# Transforms whose result does not depend on the image being uint8 or float32 (no fills, clipping, levels or
# value units): the only ones ``load.py`` accepts after a ``FLOAT_OUTPUT`` transform. Albumentations clips its
# colour ops and blurs of a float32 image to [0, 1] and writes fills as raw values, so after ``Normalize`` those
# are computed in other units than ours (which works in [0, 1] throughout).
DTYPE_FREE = frozenset({"NoOp", "ToTensorV2", "ToTensor", "ToFloat", "HorizontalFlip", "VerticalFlip", "Flip",
                        "Transpose", "RandomRotate90", "RandomCrop", "CenterCrop", "Crop", "CropNonEmptyMaskIfExists"})


# Resamplers that compute the same on Albumentations' float32 image as ours: linear and nearest taps do not clip
# (cubic saturates on uint8 only) and a constant border of 0 is 0 in any units. ``load.py`` accepts them after a
# ``FLOAT_OUTPUT`` transform with ``interpolation`` 0 or 1 and every fill 0.
FLOAT_SAFE_RESAMPLERS = frozenset({"Resize", "LongestMaxSize", "SmallestMaxSize", "RandomResizedCrop",
                                   "RandomSizedCrop", "PadIfNeeded", "Rotate", "SafeRotate", "Affine",
                                   "ShiftScaleRotate"})
FILL_KEYS = ("fill", "value", "cval", "pad_val")


def float_safe(name: str, node: dict[str, Any]) -> bool:
    """Whether transform ``name`` with config ``node`` computes the same after ``Normalize``/``ToFloat`` (see
    ``DTYPE_FREE`` and ``FLOAT_SAFE_RESAMPLERS``)."""
    if name in DTYPE_FREE:
        return True
    if name not in FLOAT_SAFE_RESAMPLERS or node.get("interpolation", 1) not in (0, 1):
        return False
    fills = [node.get(k) for k in FILL_KEYS if node.get(k) is not None]
    flat = [v for f in fills for v in (f if isinstance(f, (list, tuple)) else [f])]
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == 0 for v in flat)


def supported_transforms() -> list[str]:
    """Albumentations class names the adapter maps (containers ``Compose``/``OneOf``/``SomeOf``/``Sequential``
    included)."""
    return sorted([*TABLE, *CONTAINERS])
