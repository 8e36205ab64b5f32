"""Albumentations' filters as Kornia ops: blurs, sharpening, embossing, defocus, downscaling (kernels in
``functional.albu.filter``). Borders as OpenCV (reflect-101). Common arguments (``p``, ``same_on_batch``,
``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, choice, odd_sizes, pair

__all__ = ["AlbuBlur", "AlbuDefocus", "AlbuDownscale", "AlbuEmboss", "AlbuGaussianBlur", "AlbuMedianBlur",
           "AlbuMotionBlur", "AlbuSharpen"]

_MAX_KERNEL = 255  # kernel sizes in pixels: beyond this a blur_limit is a typo, not a blur
_MAX_SIGMA = 100  # Gaussian sigma in pixels, likewise


def _kernel_sizes(blur_limit) -> tuple[int, ...]:
    """The odd sizes of ``blur_limit``, whose ends lie in ``[0, _MAX_KERNEL]``."""
    pair("blur_limit", blur_limit, 0, _MAX_KERNEL)
    return odd_sizes("blur_limit", blur_limit)


@register_op(identity={"alpha": (0.0, 0.0)})
class AlbuSharpen(AlbuIntensityBase):
    """``Sharpen`` (method ``kernel``): ``y = clamp(K * x)`` with the 3x3 kernel ``K = (1 - a) I + a L(l)``,
    ``L(l) = [[-1, -1, -1], [-1, 8 + l, -1], [-1, -1, -1]]``, ``a ~ U(alpha)``, ``l ~ U(lightness)``.

    Args:
        alpha: ``(low, high)`` of the blend ``a`` in [0, 1] (0 is the identity).
        lightness: ``(low, high)`` of ``l``, ``>= 0``.

    Example:
        >>> op = AlbuSharpen((0.2, 0.5), (0.5, 1.0))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Sharpen"

    def __init__(self, alpha=(0.2, 0.5), lightness=(0.5, 1.0), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, alpha=pair("alpha", alpha, 0, 1),
                         lightness=pair("lightness", lightness, 0))

    def sample(self, n, size, generator, device):
        return {"alpha": uniform(n, *self._cfg["alpha"], generator, device),
                "lightness": uniform(n, *self._cfg["lightness"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        k = FA.sharpen_kernels(params["alpha"], params["lightness"])
        return FA.saturate(FA.conv_per_sample(input, k), input)


class _OddKernelOp(AlbuIntensityBase):
    """A filter whose odd kernel size is drawn uniformly from the odd values in ``blur_limit``."""

    def __init__(self, blur_limit=(3, 7), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        self._sizes = _kernel_sizes(blur_limit)
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(self._sizes[0], self._sizes[-1]))

    def sample(self, n, size, generator, device):
        return {"ksize": choice(n, self._sizes, generator, device)}


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuBlur(_OddKernelOp):
    """``Blur``: ``cv2.blur``, the mean over a ``k x k`` window, ``k`` uniform over the odd values in
    ``blur_limit``.

    Args:
        blur_limit: ``(low, high)`` kernel sizes in pixels, integers in [0, 255]; each end is rounded up to odd
            and to at least 3.

    Example:
        >>> op = AlbuBlur((3, 7))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Blur"

    def apply_transform(self, input, params, flags, transform=None):
        return self._blur(input, params, None)

    def _blur(self, input, params, out):
        # out: None (a new tensor) or, for the in-place kernel, the (lent) rows themselves
        return FA.separable_blur(input, FA.box_kernels(params["ksize"].to(input.device), self._sizes[-1]),
                                 out=out)

    def apply_transform_(self, input, params, flags):
        return self._blur(input, params, input)


@register_op(identity={"sigma_limit": (1e-3, 1e-3), "blur_limit": (3, 3)})
class AlbuGaussianBlur(AlbuIntensityBase):
    """``GaussianBlur``: a separable Gaussian ``k(t) ∝ exp(-t^2 / (2 sigma^2))``, ``|t| <= k // 2``,
    ``sigma ~ U(sigma_limit)``, size ``k ~ randint[blur_limit]`` (even sizes + 1).

    A drawn size 0 comes from sigma: ``int(3.5 sigma) * 2 + 1`` (``size_rule="pil"``, Albumentations 2.x) or
    ``round(6 sigma + 1) | 1`` (``"opencv"``, what 1.x's ``cv2.GaussianBlur`` does on uint8 images). A drawn sigma
    0 comes from the size, as in OpenCV: ``0.3 ((k - 1) / 2 - 1) + 0.8``, with OpenCV's fixed binomial kernels
    for ``k <= 7`` (1.x's default ``sigma_limit=0``).

    Args:
        blur_limit: ``(low, high)`` kernel sizes in pixels, integers in [0, 255] (0: from ``sigma``).
        sigma_limit: ``(low, high)`` of ``sigma`` in pixels, in [0, 100] (0: from the size); a size and a sigma
            cannot both be 0 (``high`` of ``sigma_limit`` 0 needs ``blur_limit`` low ``>= 1``).
        size_rule: ``"pil"`` or ``"opencv"``, the size drawn as 0 (see above).

    Example:
        >>> op = AlbuGaussianBlur((3, 7), (0.5, 2.0))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GaussianBlur"

    def __init__(self, blur_limit=(3, 7), sigma_limit=(0.5, 3.0), size_rule="pil", p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        lo, hi = pair("blur_limit", blur_limit, 0, _MAX_KERNEL)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"blur_limit must hold integers, got {blur_limit!r}")
        s_lo, s_hi = pair("sigma_limit", sigma_limit, 0, _MAX_SIGMA)
        if s_hi <= 0 and lo == 0:
            raise ValueError(f"sigma_limit {sigma_limit!r} and blur_limit {blur_limit!r} let both the kernel size "
                             "and sigma be 0 (one of them must set the other)")
        if size_rule not in ("pil", "opencv"):
            raise ValueError(f"size_rule must be 'pil' or 'opencv', got {size_rule!r}")
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(int(lo), int(hi)),
                         sigma_limit=(s_lo, s_hi), size_rule=size_rule)
        big = max(int(hi) + 1, int(s_hi * 3.5) * 2 + 1, int(round(s_hi * 6 + 1)) | 1)
        self._max = big + (big % 2 == 0)

    def sample(self, n, size, generator, device):
        lo, hi = self._cfg["blur_limit"]
        sigma = uniform(n, *self._cfg["sigma_limit"], generator, device)
        k = torch.randint(lo, hi + 1, (n,), generator=generator, device=device)
        if self._cfg["size_rule"] == "pil":
            from_sigma = (sigma * 3.5).floor().long() * 2 + 1
        else:
            from_sigma = torch.round(sigma.double() * 6 + 1).long() | 1
        k = torch.where(k == 0, from_sigma, k)
        return {"sigma": sigma, "ksize": k + (k % 2 == 0).long()}

    def apply_transform(self, input, params, flags, transform=None):
        return self._blur(input, params, None)

    def _blur(self, input, params, out):
        # out: None (a new tensor) or, for the in-place kernel, the (lent) rows themselves
        return FA.separable_blur(input, FA.gaussian_kernels(params["sigma"], params["ksize"], self._max),
                                 out=out)

    def apply_transform_(self, input, params, flags):
        return self._blur(input, params, input)


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuMedianBlur(_OddKernelOp):
    """``MedianBlur``: ``cv2.medianBlur``, the median of a ``k x k`` window (replicated borders), ``k`` uniform
    over the odd values in ``blur_limit``; the gradient flows to the median pixel.

    Args:
        blur_limit: ``(low, high)`` kernel sizes in pixels, as :class:`AlbuBlur`.

    Example:
        >>> op = AlbuMedianBlur((3, 5))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "MedianBlur"

    def apply_transform(self, input, params, flags, transform=None):
        return FA.median_blur(input, params["ksize"], self._sizes)


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuMotionBlur(AlbuIntensityBase):
    """``MotionBlur``: ``y = clamp(K * x)`` with a line kernel ``K`` of odd size ``k`` (uniform over
    ``blur_limit``'s odd values) at angle ``~ U(angle_range)``, one end cut by the direction
    ``~ U(direction_range)``, shifted by ``U(-1, 1) (k // 2) / 2`` pixels per axis when ``allow_shifted`` (see
    :func:`kornia_diffaug.functional.albu.motion_kernels`).

    Args:
        blur_limit: ``(low, high)`` kernel sizes in pixels, as :class:`AlbuBlur`.
        angle_range: ``(low, high)`` line angle in degrees, within [0, 360].
        direction_range: ``(low, high)`` in [-1, 1]: -1 keeps the backward half, 1 the forward, 0 both.
        allow_shifted: shift the line off the kernel centre.

    Example:
        >>> op = AlbuMotionBlur((3, 7))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "MotionBlur"

    def __init__(self, blur_limit=(3, 7), angle_range=(0.0, 360.0), direction_range=(-1.0, 1.0), allow_shifted=True,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        self._sizes = _kernel_sizes(blur_limit)
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(self._sizes[0], self._sizes[-1]),
                         angle_range=pair("angle_range", angle_range, 0, 360),
                         direction_range=pair("direction_range", direction_range, -1, 1),
                         allow_shifted=bool(allow_shifted))

    def sample(self, n, size, generator, device):
        k = choice(n, self._sizes, generator, device)
        angle = uniform(n, *self._cfg["angle_range"], generator, device)
        direction = uniform(n, *self._cfg["direction_range"], generator, device)
        shift = (torch.rand(n, 2, generator=generator, device=device) * 2 - 1) * (k // 2).view(-1, 1) / 2
        if not self._cfg["allow_shifted"]:
            shift = torch.zeros_like(shift)
        return {"ksize": k, "angle": angle, "direction": direction, "shift": shift}

    def apply_transform(self, input, params, flags, transform=None):
        k = FA.motion_kernels(params["ksize"], params["angle"], params["direction"], params["shift"], self._sizes[-1])
        return FA.saturate(FA.conv_per_sample(input, k), input)


@register_op(identity={"p": 0.0})
class AlbuDownscale(AlbuIntensityBase):
    """``Downscale``: resize by ``s ~ U(scale_range)`` with ``interpolation_pair["downscale"]``, then back to
    ``(H, W)`` with ``["upscale"]``, as ``cv2.resize`` (see :func:`kornia_diffaug.functional.albu.down_up`).

    Args:
        scale_range: ``(low, high)`` of ``s`` in (0, 1].
        interpolation_pair: ``{"downscale": flag, "upscale": flag}``, OpenCV flags 0 nearest, 1 linear, 2 cubic
            (default: nearest both ways).

    Example:
        >>> op = AlbuDownscale((0.25, 0.5))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Downscale"

    def __init__(self, scale_range=(0.25, 0.25), interpolation_pair=None, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        pair_ = dict(interpolation_pair or {"downscale": 0, "upscale": 0})
        if set(pair_) != {"downscale", "upscale"} or not all(v in FA.INTERPOLATIONS for v in pair_.values()):
            raise ValueError(f"interpolation_pair must map 'downscale' and 'upscale' to OpenCV flags "
                             f"{sorted(FA.INTERPOLATIONS)}, got {interpolation_pair!r}")
        super().__init__(p, same_on_batch, keepdim, generator, scale_range=pair("scale_range", scale_range, 1e-3, 1),
                         interpolation_pair=pair_)

    def sample(self, n, size, generator, device):
        return {"scale": uniform(n, *self._cfg["scale_range"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        ip = self._cfg["interpolation_pair"]
        return FA.down_up(input, params["scale"], ip["downscale"], ip["upscale"])


@register_op(identity={"alpha": (0.0, 0.0)})
class AlbuEmboss(AlbuIntensityBase):
    """``Emboss``: ``y = clamp(K * x)``, ``K = (1 - a) I + a [[-1 - s, -s, 0], [-s, 1, s], [0, s, 1 + s]]``,
    ``a ~ U(alpha)``, ``s ~ U(strength)`` (reflect-101 borders, as ``cv2.filter2D``).

    Args:
        alpha: ``(low, high)`` of the blend ``a`` in [0, 1] (0 is the identity).
        strength: ``(low, high)`` of ``s``, ``>= 0``.

    Example:
        >>> op = AlbuEmboss((0.2, 0.5), (0.2, 0.7))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Emboss"

    def __init__(self, alpha=(0.2, 0.5), strength=(0.2, 0.7), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, alpha=pair("alpha", alpha, 0, 1),
                         strength=pair("strength", strength, 0))

    def sample(self, n, size, generator, device):
        return {"alpha": uniform(n, *self._cfg["alpha"], generator, device),
                "strength": uniform(n, *self._cfg["strength"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        k = FA.emboss_kernels(params["alpha"], params["strength"])
        return FA.saturate(FA.conv_per_sample(input, k), input)


@register_op(identity={"p": 0.0})
class AlbuDefocus(AlbuIntensityBase):
    """``Defocus``: ``y = clamp(K * x)``, ``K`` a disk of radius ``r ~ randint[radius]`` pixels blurred by a
    Gaussian of ``sigma ~ U(alias_blur)`` pixels (see :func:`kornia_diffaug.functional.albu.defocus_kernels`).

    Args:
        radius: ``(low, high)`` integer radii in [1, 100] pixels.
        alias_blur: ``(low, high)`` of ``sigma`` in [0, 100] pixels (0: OpenCV's sigma for the kernel size).

    Example:
        >>> op = AlbuDefocus((3, 6), (0.1, 0.5))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "Defocus"

    def __init__(self, radius=(3, 10), alias_blur=(0.1, 0.5), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        lo, hi = pair("radius", radius, 1, 100)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"radius must hold integers, got {radius!r}")
        super().__init__(p, same_on_batch, keepdim, generator, radius=(int(lo), int(hi)),
                         alias_blur=pair("alias_blur", alias_blur, 0, _MAX_SIGMA))

    def sample(self, n, size, generator, device):
        lo, hi = self._cfg["radius"]
        return {"radius": torch.randint(lo, hi + 1, (n,), generator=generator, device=device),
                "alias_blur": uniform(n, *self._cfg["alias_blur"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        k = FA.defocus_kernels(params["radius"], params["alias_blur"], self._cfg["radius"][1])
        return FA.saturate(FA.conv_per_sample(input, k), input)
