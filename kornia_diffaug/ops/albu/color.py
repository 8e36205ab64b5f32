"""Albumentations' colour transforms as Kornia ops (uint8 semantics on float images in [0, 1]).

Each op draws its parameters exactly as the Albumentations transform of the same name does (one draw per
sample, from ``generator``) and calls a kernel in ``functional.albu.color``. Units follow Albumentations' uint8
behaviour; where it quantises (LUTs on 0..255), ours stays continuous, so results agree within 1/255.

Every op also takes ``p`` (probability per sample), ``same_on_batch`` (one draw for the batch), ``keepdim``
(keep a ``(C, H, W)`` input's rank) and ``generator`` (a ``torch.Generator`` for every draw).
"""

from __future__ import annotations

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair, randint

__all__ = [
    "AlbuBrightnessContrast",
    "AlbuCLAHE",
    "AlbuColorJitter",
    "AlbuEqualize",
    "AlbuGamma",
    "AlbuHueSaturationValue",
    "AlbuPosterize",
    "AlbuRGBShift",
    "AlbuSepia",
    "AlbuSolarize",
]


@register_op(identity={"brightness_limit": (0.0, 0.0), "contrast_limit": (0.0, 0.0)})
class AlbuBrightnessContrast(AlbuIntensityBase):
    """``RandomBrightnessContrast``: ``y = clamp(alpha x + beta)``, ``alpha = 1 + c``, ``beta = b`` (times the
    image mean instead of 1 when ``brightness_by_max=False``), ``b ~ U(brightness_limit)``, ``c ~ U(contrast_limit)``.

    Args:
        brightness_limit: ``(low, high)`` of ``b`` in [-1, 1], a fraction of the value range (uint8: ``b * 255``).
        contrast_limit: ``(low, high)`` of ``c`` in [-1, 10] (``alpha = 1 + c``).
        brightness_by_max: ``beta`` relative to the maximum value (True) or to the image mean (False).

    Example:
        >>> op = AlbuBrightnessContrast((-0.2, 0.2), (-0.2, 0.2))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomBrightnessContrast"

    def __init__(self, brightness_limit=(-0.2, 0.2), contrast_limit=(-0.2, 0.2), brightness_by_max=True,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         brightness_limit=pair("brightness_limit", brightness_limit, -1, 1),
                         contrast_limit=pair("contrast_limit", contrast_limit, -1, 10),
                         brightness_by_max=bool(brightness_by_max))

    def sample(self, n, size, generator, device):
        c, b = self._cfg["contrast_limit"], self._cfg["brightness_limit"]
        return {"alpha": 1 + uniform(n, *c, generator, device), "beta": uniform(n, *b, generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.brightness_contrast(input, params["alpha"], params["beta"], self._cfg["brightness_by_max"])

    def apply_transform_(self, input, params, flags):
        return FA.brightness_contrast_(input, params["alpha"], params["beta"], self._cfg["brightness_by_max"])


@register_op(identity={"brightness": (1.0, 1.0), "contrast": (1.0, 1.0), "saturation": (1.0, 1.0), "hue": (0.0, 0.0)})
class AlbuColorJitter(AlbuIntensityBase):
    """``ColorJitter``: brightness ``x b``, contrast ``x c + m (1 - c)`` (``m`` the mean grey), saturation
    ``x s + g (1 - s)`` (``g`` the pixel's grey) and a hue rotation by ``h`` turns, each clamped to [0, 1], in a
    random order drawn per sample (see :func:`kornia_diffaug.functional.albu.color_jitter`).

    Args:
        brightness: ``(low, high)`` of the factor ``b``, ``>= 0`` (1 is the identity).
        contrast: ``(low, high)`` of the factor ``c``, ``>= 0``.
        saturation: ``(low, high)`` of the factor ``s``, ``>= 0``; 1-channel images are left as they are.
        hue: ``(low, high)`` of ``h`` in turns, within [-0.5, 0.5]; 1-channel images are left as they are.

    Example:
        >>> op = AlbuColorJitter(brightness=(0.8, 1.2), hue=(-0.1, 0.1))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ColorJitter"
    cpu_chunk = 1  # CPU gated path: one image's HSV temporaries (~3 MB in float32) stay in L2, 8 images' do not
    cpu_chunk_in_place = 0  # whole runs of rows: the in-place kernel goes one image at a time with one scratch

    def __init__(self, brightness=(0.8, 1.2), contrast=(0.8, 1.2), saturation=(0.8, 1.2), hue=(-0.5, 0.5),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         brightness=pair("brightness", brightness, 0), contrast=pair("contrast", contrast, 0),
                         saturation=pair("saturation", saturation, 0), hue=pair("hue", hue, -0.5, 0.5))
        idle = ((1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (0.0, 0.0))
        keys = ("brightness", "contrast", "saturation", "hue")
        self._active = tuple(self._cfg[k] != idle[i] for i, k in enumerate(keys))

    def sample(self, n, size, generator, device):
        f = torch.stack([uniform(n, *self._cfg[k], generator, device)
                         for k in ("brightness", "contrast", "saturation", "hue")], 1)
        order = torch.rand(n, 4, generator=generator, device=device).argsort(1)
        return {"factors": f, "order": order}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.color_jitter(input, params["factors"], params["order"], self._active)

    def apply_transform_(self, input, params, flags):
        # Into the (lent) rows, one image at a time, without gathering the rows first.
        return FA.color_jitter_(input, params["factors"], params["order"], self._active)


@register_op(identity={"p": 0.0})  # zero shifts still round-trip through HSV (float error)
class AlbuHueSaturationValue(AlbuIntensityBase):
    """``HueSaturationValue`` on uint8 levels: ``H += dh`` (mod a turn), ``S += ds``, ``V += dv`` (clamped) in
    OpenCV's HSV; grey pixels keep zero saturation; non-RGB images get only the value shift.

    Args:
        hue_shift_limit: ``(low, high)`` of ``dh`` in OpenCV hue units (180 per turn: 1 unit = 2 degrees),
            within [-180, 180].
        sat_shift_limit: ``(low, high)`` of ``ds`` in uint8 steps (1/255 of the range), within [-255, 255].
        val_shift_limit: ``(low, high)`` of ``dv`` in uint8 steps, within [-255, 255].

    Example:
        >>> op = AlbuHueSaturationValue((-20, 20), (-30, 30), (-20, 20))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "HueSaturationValue"
    cpu_chunk = 1  # as ColorJitter: the HSV round trip's temporaries of one image stay in cache
    cpu_chunk_in_place = 0  # as ColorJitter

    def __init__(self, hue_shift_limit=(-20, 20), sat_shift_limit=(-30, 30), val_shift_limit=(-20, 20),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         hue_shift_limit=pair("hue_shift_limit", hue_shift_limit, -180, 180),
                         sat_shift_limit=pair("sat_shift_limit", sat_shift_limit, -255, 255),
                         val_shift_limit=pair("val_shift_limit", val_shift_limit, -255, 255))

    def sample(self, n, size, generator, device):
        return {k: uniform(n, *self._cfg[f"{k}_shift_limit"], generator, device) for k in ("hue", "sat", "val")}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.hsv_shift(input, params["hue"], params["sat"], params["val"])

    def apply_transform_(self, input, params, flags):
        # Into the (lent) rows, one image's round trip at a time, without gathering the rows first.
        return FA.hsv_shift_(input, params["hue"], params["sat"], params["val"])


@register_op(identity={"r_shift_limit": (0.0, 0.0), "g_shift_limit": (0.0, 0.0), "b_shift_limit": (0.0, 0.0)})
class AlbuRGBShift(AlbuIntensityBase):
    """``RGBShift``: ``y_c = clamp(x_c + d_c)``, ``d_c ~ U(limit_c)`` per channel; channels beyond 3 reuse blue's
    draw.

    Args:
        r_shift_limit: ``(low, high)`` of the red shift within [-255, 255]: uint8 steps (divided by 255) when
            ``max(|low|, |high|) > 1``, else a fraction of the range, as Albumentations 2.x reads them.
        g_shift_limit: the same for green.
        b_shift_limit: the same for blue.

    Example:
        >>> op = AlbuRGBShift((-20, 20), (-20, 20), (-20, 20))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RGBShift"

    def __init__(self, r_shift_limit=(-20, 20), g_shift_limit=(-20, 20), b_shift_limit=(-20, 20),
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lims = {k: pair(k, v, -255, 255) for k, v in
                (("r_shift_limit", r_shift_limit), ("g_shift_limit", g_shift_limit), ("b_shift_limit", b_shift_limit))}
        super().__init__(p, same_on_batch, keepdim, generator, **lims)
        self._ranges = [(lo / 255, hi / 255) if max(abs(lo), abs(hi)) > 1 else (lo, hi) for lo, hi in lims.values()]

    def sample(self, n, size, generator, device):
        return {"shift": torch.stack([uniform(n, lo, hi, generator, device) for lo, hi in self._ranges], 1)}

    def apply_transform(self, input, params, flags, transform=None):
        s = params["shift"]
        c = input.shape[1]
        if c > 3:
            s = torch.cat([s, s[:, 2:3].expand(-1, c - 3)], 1)
        return FA.channel_shift(input, s)


@register_op(identity={"gamma_limit": (100.0, 100.0)})
class AlbuGamma(AlbuIntensityBase):
    """``RandomGamma``: ``y = x ** g`` for ``x > 0``, ``g = U(gamma_limit) / 100``.

    Args:
        gamma_limit: ``(low, high)`` of ``100 g`` in percent, ``> 0`` (100 is the identity).

    Example:
        >>> op = AlbuGamma((80, 120))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomGamma"

    def __init__(self, gamma_limit=(80, 120), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, gamma_limit=pair("gamma_limit", gamma_limit, 1e-3))

    def sample(self, n, size, generator, device):
        return {"gamma": uniform(n, *self._cfg["gamma_limit"], generator, device) / 100}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.gamma(input, params["gamma"])


@register_op(identity={"p": 0.0})
class AlbuSolarize(AlbuIntensityBase):
    """``Solarize``: ``y = 1 - x`` where ``x >= t``, else ``x``; ``t ~ U(threshold_range)`` (``t = 1`` still
    inverts pure white, so the op has no zero magnitude besides ``p = 0``).

    Args:
        threshold_range: ``(low, high)`` of ``t`` in [0, 1], a fraction of the range (uint8: ``u >= 255 t``).

    Example:
        >>> op = AlbuSolarize((0.4, 0.6))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Solarize"

    def __init__(self, threshold_range=(0.5, 0.5), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator,
                         threshold_range=pair("threshold_range", threshold_range, 0, 1))

    def sample(self, n, size, generator, device):
        return {"threshold": uniform(n, *self._cfg["threshold_range"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.solarize(input, params["threshold"])


@register_op(identity={"p": 0.0}, example={"num_bits": (2, 6)})
class AlbuPosterize(AlbuIntensityBase):
    """``Posterize``: keep the ``b`` high bits of each uint8 level, ``y = floor(u / 2^(8-b)) 2^(8-b) / 255``
    with ``u = round(255 x)``, ``b ~ randint[num_bits]`` (8 keeps all). Piecewise constant (zero gradient).

    Args:
        num_bits: ``(low, high)`` integers in [1, 8], both ends included.

    Example:
        >>> op = AlbuPosterize((2, 6))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Posterize"

    def __init__(self, num_bits=(4, 4), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        lo, hi = pair("num_bits", num_bits, 1, 8)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"num_bits must hold integers in [1, 8], got {num_bits!r}")
        super().__init__(p, same_on_batch, keepdim, generator, num_bits=(int(lo), int(hi)))

    def sample(self, n, size, generator, device):
        return {"bits": randint(n, *self._cfg["num_bits"], generator, device).float()}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.posterize(input, params["bits"])


class _NoDraws(AlbuIntensityBase):
    """An op without random parameters (only the common arguments) applying the kernel ``_kernel(x)``."""

    _kernel: staticmethod

    def __init__(self, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator)

    def sample(self, n, size, generator, device):
        return {}

    def apply_transform(self, input, params, flags, transform=None):
        return self._kernel(input)


@register_op(identity={"p": 0.0})
class AlbuSepia(_NoDraws):
    """``ToSepia``: ``y = clamp(S x)`` with the fixed 3x3 sepia matrix ``S``; non-RGB images pass through.

    Args:
        none besides the common ones (no random parameters).

    Example:
        >>> op = AlbuSepia()
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ToSepia"
    _kernel = staticmethod(FA.sepia)


@register_op(identity={"p": 0.0})
class AlbuEqualize(_NoDraws):
    """``Equalize`` (mode ``cv``, by channels): ``cv2.equalizeHist`` of each channel's uint8 levels,
    ``lut = round((cdf - cdf_first) 255 / (N - hist_first))``. Zero gradient.

    Args:
        none besides the common ones (no random parameters).

    Example:
        >>> op = AlbuEqualize()
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Equalize"
    _kernel = staticmethod(FA.equalize)


@register_op(identity={"p": 0.0}, example={"clip_limit": (1.0, 4.0), "tile_grid_size": (2, 2)})
class AlbuCLAHE(AlbuIntensityBase):
    """``CLAHE``: OpenCV's contrast-limited adaptive histogram equalisation on uint8 levels (RGB on the L channel
    of CIE Lab, other channel counts channel by channel); per tile the histogram is clipped at
    ``max(clip tile_area / 256, 1)``. Zero gradient.

    Args:
        clip_limit: ``(low, high)`` of the clip limit, ``>= 0``, drawn per sample.
        tile_grid_size: ``(columns, rows)`` of tiles, ints ``>= 1``, as ``cv2.createCLAHE(tileGridSize=...)``.

    Example:
        >>> op = AlbuCLAHE((1.0, 4.0), (4, 4))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "CLAHE"

    def __init__(self, clip_limit=(1.0, 4.0), tile_grid_size=(8, 8), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in tile_grid_size)):
            raise ValueError(f"tile_grid_size must be two ints >= 1, got {tile_grid_size!r}")
        super().__init__(p, same_on_batch, keepdim, generator, clip_limit=pair("clip_limit", clip_limit, 0),
                         tile_grid_size=tuple(tile_grid_size))

    def sample(self, n, size, generator, device):
        return {"clip_limit": uniform(n, *self._cfg["clip_limit"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        return FA.clahe(input, params["clip_limit"], self._cfg["tile_grid_size"])
