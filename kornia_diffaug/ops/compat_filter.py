"""Albumentations-compatible filters: blurs, sharpening, downscaling. Borders as OpenCV (reflect-101)."""

from __future__ import annotations

import torch

from ..functional import compat as FC
from ..functional.sampling import uniform
from ._registry import register_op
from .compat_base import CompatIntensity, odd_sizes, pair

__all__ = ["AlbuBlur", "AlbuDownscale", "AlbuGaussianBlur", "AlbuMedianBlur", "AlbuMotionBlur", "AlbuSharpen"]


def _choice(n: int, values: tuple[int, ...], gen, dev) -> torch.Tensor:
    """``n`` draws, uniform over ``values``."""
    idx = torch.randint(0, len(values), (n,), generator=gen, device=dev)
    return torch.tensor(values, device=dev)[idx]


@register_op(identity={"alpha": (0.0, 0.0)})
class AlbuSharpen(CompatIntensity):
    """``Sharpen`` (method ``kernel``): 3x3 kernel ``(1 - a) I + a L(l)``, ``a ~ U(alpha)``, ``l ~ U(lightness)``."""

    def __init__(self, alpha=(0.2, 0.5), lightness=(0.5, 1.0), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, alpha=pair("alpha", alpha, 0, 1),
                         lightness=pair("lightness", lightness, 0))

    def sample(self, n, size, generator, device):
        return {"alpha": uniform(n, *self._cfg["alpha"], generator, device),
                "lightness": uniform(n, *self._cfg["lightness"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        k = FC.sharpen_kernels(params["alpha"], params["lightness"])
        return FC.saturate(FC.conv_per_sample(input, k), input)


class _OddKernelOp(CompatIntensity):
    """A filter whose odd kernel size is drawn uniformly from the odd values in ``blur_limit``."""

    def __init__(self, blur_limit=(3, 7), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        self._sizes = odd_sizes("blur_limit", blur_limit)
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(self._sizes[0], self._sizes[-1]))

    def sample(self, n, size, generator, device):
        return {"ksize": _choice(n, self._sizes, generator, device)}


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuBlur(_OddKernelOp):
    """``Blur``: box filter (``cv2.blur``) of odd size ``k`` uniform over the odd values in ``blur_limit``."""

    def apply_transform(self, input, params, flags, transform=None):
        m = self._sizes[-1]
        t = torch.arange(m, device=input.device) - m // 2
        k = (t.abs().view(1, -1) <= (params["ksize"].to(input.device).view(-1, 1) // 2)).to(torch.float64)
        return FC.separable_blur(input, k / k.sum(1, keepdim=True))


@register_op(identity={"sigma_limit": (1e-3, 1e-3), "blur_limit": (3, 3)})
class AlbuGaussianBlur(CompatIntensity):
    """``GaussianBlur``: ``sigma ~ U(sigma_limit)``, size ``k ~ randint[blur_limit]`` (even sizes + 1; 0 means
    ``int(3.5 sigma) * 2 + 1``), separable, reflect-101 border."""

    def __init__(self, blur_limit=(3, 7), sigma_limit=(0.5, 3.0), p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        lo, hi = pair("blur_limit", blur_limit, 0)
        if lo != int(lo) or hi != int(hi):
            raise ValueError(f"blur_limit must hold integers, got {blur_limit!r}")
        s_lo, s_hi = pair("sigma_limit", sigma_limit, 0)
        if s_hi <= 0:
            raise ValueError(f"sigma_limit must have a positive upper bound, got {sigma_limit!r}")
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(int(lo), int(hi)),
                         sigma_limit=(s_lo, s_hi))
        big = max(int(hi) + 1, int(s_hi * 3.5) * 2 + 1)
        self._max = big + (big % 2 == 0)

    def sample(self, n, size, generator, device):
        lo, hi = self._cfg["blur_limit"]
        sigma = uniform(n, *self._cfg["sigma_limit"], generator, device).clamp_min(1e-6)
        k = torch.randint(lo, hi + 1, (n,), generator=generator, device=device)
        k = torch.where(k == 0, (sigma * 3.5).floor().long() * 2 + 1, k)
        return {"sigma": sigma, "ksize": k + (k % 2 == 0).long()}

    def apply_transform(self, input, params, flags, transform=None):
        return FC.separable_blur(input, FC.gaussian_kernels(params["sigma"], params["ksize"], self._max))


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuMedianBlur(_OddKernelOp):
    """``MedianBlur``: ``cv2.medianBlur`` of odd size uniform over the odd values in ``blur_limit``."""

    def apply_transform(self, input, params, flags, transform=None):
        return FC.median_blur(input, params["ksize"], self._sizes)


@register_op(identity={"blur_limit": (3, 3), "p": 0.0})
class AlbuMotionBlur(CompatIntensity):
    """``MotionBlur``: a line kernel of odd size ``k`` (uniform over ``blur_limit``'s odd values), angle
    ``~ U(angle_range)`` degrees, direction ``~ U(direction_range)`` in [-1, 1] (which end of the line is
    kept), shifted by ``U(-1, 1) * (k // 2) / 2`` pixels per axis when ``allow_shifted``."""

    def __init__(self, blur_limit=(3, 7), angle_range=(0.0, 360.0), direction_range=(-1.0, 1.0), allow_shifted=True,
                 p=1.0, same_on_batch=False, keepdim=False, generator=None):
        self._sizes = odd_sizes("blur_limit", blur_limit)
        super().__init__(p, same_on_batch, keepdim, generator, blur_limit=(self._sizes[0], self._sizes[-1]),
                         angle_range=pair("angle_range", angle_range, 0, 360),
                         direction_range=pair("direction_range", direction_range, -1, 1),
                         allow_shifted=bool(allow_shifted))

    def sample(self, n, size, generator, device):
        k = _choice(n, self._sizes, generator, device)
        angle = uniform(n, *self._cfg["angle_range"], generator, device)
        direction = uniform(n, *self._cfg["direction_range"], generator, device)
        shift = (torch.rand(n, 2, generator=generator, device=device) * 2 - 1) * (k // 2).view(-1, 1) / 2
        if not self._cfg["allow_shifted"]:
            shift = torch.zeros_like(shift)
        return {"ksize": k, "angle": angle, "direction": direction, "shift": shift}

    def apply_transform(self, input, params, flags, transform=None):
        k = FC.motion_kernels(params["ksize"], params["angle"], params["direction"], params["shift"], self._sizes[-1])
        return FC.saturate(FC.conv_per_sample(input, k), input)


@register_op(identity={"p": 0.0})
class AlbuDownscale(CompatIntensity):
    """``Downscale``: resize by ``s ~ U(scale_range)`` with ``interpolation_pair["downscale"]`` then back with
    ``["upscale"]`` (OpenCV flags 0 nearest, 1 linear, 2 cubic); per-sample ``s`` on one batched grid."""

    def __init__(self, scale_range=(0.25, 0.25), interpolation_pair=None, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        pair_ = dict(interpolation_pair or {"downscale": 0, "upscale": 0})
        if set(pair_) != {"downscale", "upscale"} or not all(v in FC.INTERPOLATIONS for v in pair_.values()):
            raise ValueError(f"interpolation_pair must map 'downscale' and 'upscale' to OpenCV flags "
                             f"{sorted(FC.INTERPOLATIONS)}, got {interpolation_pair!r}")
        super().__init__(p, same_on_batch, keepdim, generator, scale_range=pair("scale_range", scale_range, 1e-3, 1),
                         interpolation_pair=pair_)

    def sample(self, n, size, generator, device):
        return {"scale": uniform(n, *self._cfg["scale_range"], generator, device)}

    def apply_transform(self, input, params, flags, transform=None):
        ip = self._cfg["interpolation_pair"]
        return FC.down_up(input, params["scale"], ip["downscale"], ip["upscale"])
