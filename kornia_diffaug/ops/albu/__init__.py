"""``Albu*`` ops: Albumentations' transforms as differentiable, batched Kornia ops, one module per kind
(mirroring ``kornia_diffaug.functional.albu``), plus the per-sample containers. Each op names the transform it
reproduces in its ``albu_name`` class attribute. Importing this package registers the ops.
"""

from .branches import PerSampleBranches, changes_size, merge_rows, take_rows
from .color import (
    AlbuBrightnessContrast,
    AlbuCLAHE,
    AlbuColorJitter,
    AlbuEqualize,
    AlbuGamma,
    AlbuHueSaturationValue,
    AlbuPosterize,
    AlbuRGBShift,
    AlbuSepia,
    AlbuSolarize,
)
from .containers import PerSampleOneOf, PerSampleSequential, PerSampleSomeOf
from .crop import (
    AlbuCrop,
    AlbuLongestMaxSize,
    AlbuPadIfNeeded,
    AlbuRandomCrop,
    AlbuRandomResizedCrop,
    AlbuResize,
    AlbuSmallestMaxSize,
)
from .crop_data import AlbuCropNonEmptyMaskIfExists, AlbuRandomSizedBBoxSafeCrop, AlbuRandomSizedCrop
from .distortion import AlbuElasticTransform, AlbuGridDistortion
from .dropout import AlbuChannelDropout, AlbuCoarseDropout, AlbuGridDropout
from .filter import AlbuBlur, AlbuDownscale, AlbuGaussianBlur, AlbuMedianBlur, AlbuMotionBlur, AlbuSharpen
from .geometry import (
    AlbuAffine,
    AlbuFlip,
    AlbuNoOp,
    AlbuPerspective,
    AlbuRandomRotate90,
    AlbuSafeRotate,
    AlbuTranspose,
)
from .maps import AlbuOpticalDistortion, AlbuPiecewiseAffine
from .mesh import AlbuPiecewiseAffineMesh
from .noise import AlbuGaussNoise, AlbuMultiplicativeNoise
from .scale import AlbuRandomCropFromBorders, AlbuRandomScale

__all__ = [
    "AlbuAffine",
    "AlbuBlur",
    "AlbuBrightnessContrast",
    "AlbuCLAHE",
    "AlbuChannelDropout",
    "AlbuCoarseDropout",
    "AlbuColorJitter",
    "AlbuCrop",
    "AlbuCropNonEmptyMaskIfExists",
    "AlbuDownscale",
    "AlbuElasticTransform",
    "AlbuEqualize",
    "AlbuFlip",
    "AlbuGamma",
    "AlbuGaussNoise",
    "AlbuGaussianBlur",
    "AlbuGridDistortion",
    "AlbuGridDropout",
    "AlbuHueSaturationValue",
    "AlbuLongestMaxSize",
    "AlbuMedianBlur",
    "AlbuMotionBlur",
    "AlbuMultiplicativeNoise",
    "AlbuNoOp",
    "AlbuOpticalDistortion",
    "AlbuPadIfNeeded",
    "AlbuPerspective",
    "AlbuPiecewiseAffine",
    "AlbuPiecewiseAffineMesh",
    "AlbuPosterize",
    "AlbuRGBShift",
    "AlbuRandomCrop",
    "AlbuRandomResizedCrop",
    "AlbuRandomRotate90",
    "AlbuRandomCropFromBorders",
    "AlbuRandomScale",
    "AlbuRandomSizedBBoxSafeCrop",
    "AlbuRandomSizedCrop",
    "AlbuResize",
    "AlbuSafeRotate",
    "AlbuSepia",
    "AlbuSharpen",
    "AlbuSmallestMaxSize",
    "AlbuSolarize",
    "AlbuTranspose",
    "PerSampleBranches",
    "PerSampleOneOf",
    "PerSampleSequential",
    "PerSampleSomeOf",
    "changes_size",
    "merge_rows",
    "take_rows",
]

# --- pixel effects (weather, noise, compression)
from .compression import AlbuImageCompression  # noqa: E402
from .filter import AlbuDefocus, AlbuEmboss  # noqa: E402
from .lighting import AlbuRandomShadow, AlbuRandomSunFlare  # noqa: E402
from .noise import AlbuISONoise, AlbuSaltAndPepper  # noqa: E402
from .weather import AlbuRandomFog, AlbuRandomRain, AlbuRandomSnow  # noqa: E402

__all__ += [
    "AlbuDefocus", "AlbuEmboss", "AlbuISONoise", "AlbuImageCompression", "AlbuRandomFog", "AlbuRandomRain",
    "AlbuRandomShadow", "AlbuRandomSnow", "AlbuRandomSunFlare", "AlbuSaltAndPepper",
]

# --- more effects (FancyPCA, GlassBlur, RandomGridShuffle, AdditiveNoise)
from .additive import AlbuAdditiveNoise  # noqa: E402
from .pca import AlbuFancyPCA  # noqa: E402
from .shuffle import AlbuGlassBlur, AlbuRandomGridShuffle  # noqa: E402

__all__ += ["AlbuAdditiveNoise", "AlbuFancyPCA", "AlbuGlassBlur", "AlbuRandomGridShuffle"]
