"""Weather kernels with Albumentations' semantics: ``RandomFog``, ``RandomRain``, ``RandomSnow`` (bleach).

Drawing follows OpenCV's rasterisation (``cv2.circle``: pixels with ``dx^2 + dy^2 <= r^2``; ``cv2.line`` with
``LINE_4``: the 4-connected Bresenham path from the left end), computed for the whole batch at once by scattering
spans and points. Albumentations rounds to uint8 after every blend; ours blends in float (so the gradient
reaches the input). Pure functions; no randomness: positions come from the ops' draws.
"""

from __future__ import annotations

import torch
from kornia.color import hls_to_rgb, rgb_to_hls

from ..._validate import check_image
from ._common import saturate
from .filter import box_kernels, cv_gaussian_1d, separable_blur

__all__ = ["disk_cover", "fog", "fog_blur_size", "rain", "rain_1x", "rain_layer", "snow_bleach"]


def disk_cover(centers: torch.Tensor, radius: torch.Tensor, valid: torch.Tensor, size: tuple[int, int],
               max_radius: int) -> torch.Tensor:
    """How many of the filled disks (``cv2.circle(..., thickness=-1)``) cover each pixel: (B, H, W) float64.
    ``centers`` (B, P, 2) integer ``(x, y)``, ``radius`` (B, P) integers in ``[0, max_radius]``, ``valid`` (B, P)."""
    h, w = size
    b, p = radius.shape
    dev = centers.device
    dy = torch.arange(-max_radius, max_radius + 1, device=dev).view(1, 1, -1)
    r = radius.to(torch.long).unsqueeze(-1)
    half = torch.floor(torch.sqrt((r * r - dy * dy).clamp(min=0).to(torch.float64))).long()
    cx, cy = centers[..., :1].long(), centers[..., 1:].long()
    row = cy + dy
    x0, x1 = (cx - half).clamp(min=0), (cx + half).clamp(max=w - 1)
    ok = valid.unsqueeze(-1) & (dy.abs() <= r) & (row >= 0) & (row < h) & (x0 <= x1)
    okf = ok.to(torch.float64)
    base = row.clamp(0, h - 1) * (w + 1)
    diff = torch.zeros(b, h * (w + 1), dtype=torch.float64, device=dev)
    flat = (b, okf.shape[1] * okf.shape[2])
    diff.scatter_add_(1, (base + x0.clamp(max=w)).reshape(flat), okf.reshape(flat))
    diff.scatter_add_(1, (base + (x1 + 1).clamp(min=0)).reshape(flat), -okf.reshape(flat))
    return diff.view(b, h, w + 1).cumsum(-1)[..., :w]


def fog_blur_size(size: tuple[int, int]) -> int:
    """The odd Gaussian size ``RandomFog`` blurs with: ``max(3, min(H, W) // 30)``, made odd."""
    k = max(3, min(size) // 30)
    return k + (k % 2 == 0)


def fog(x: torch.Tensor, centers: torch.Tensor, radius: torch.Tensor, valid: torch.Tensor, alpha: torch.Tensor,
        max_radius: int) -> torch.Tensor:
    """``RandomFog``: white disks blended one after another with weight ``alpha`` (B,) (``alpha_coef`` times the
    fog intensity), so a pixel under ``n`` disks becomes ``1 - (1 - x) (1 - alpha)^n``; then ``cv2.GaussianBlur``
    of size :func:`fog_blur_size` (OpenCV's sigma for it; reflect-101 borders), clamped to [0, 1]."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    n = disk_cover(centers.to(x.device), radius.to(x.device), valid.to(x.device), (h, w), max_radius)
    keep = (1 - alpha.to(x.device, torch.float64)).view(-1, 1, 1) ** n
    y = 1 - (1 - x) * keep.unsqueeze(1).to(x.dtype)
    k = fog_blur_size((h, w))
    y = separable_blur(y, cv_gaussian_1d(k, torch.zeros(b, device=x.device)))
    return saturate(y, x)


def rain_layer(drops: torch.Tensor, valid: torch.Tensor, slant: torch.Tensor, drop_length: int, max_dx: int,
               size: tuple[int, int], connectivity: int = 4) -> torch.Tensor:
    """The drops as ``cv2.polylines(..., thickness=1, lineType=LINE_4)`` (2.x) or ``cv2.line`` (``LINE_8``, 1.x)
    draws them: (B, H, W) in {0, 1}.

    Drop ``j`` runs from ``(x, y) = drops[:, j]`` to ``(trunc(x + slant), y + drop_length)``; ``max_dx`` bounds
    ``|trunc(x + slant) - x|`` (an int, so no value is read back). From the left end (``a`` the major axis'
    length, ``b`` the minor one), the 4-connected path takes ``M = floor((k a + b) / (a + b))`` major steps in its
    first ``k`` moves; the 8-connected one (OpenCV's ``LineIterator``) is at minor offset
    ``floor((2 k b + a - 1) / (2 a))`` after ``k`` major steps. Pixels outside the image are dropped (OpenCV
    clips the segment first, so a drop crossing the border can differ there by a pixel)."""
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, got {connectivity!r}")
    h, w = size
    b, n = valid.shape
    dev = drops.device
    x0, y0 = drops[..., 0].long(), drops[..., 1].long()
    x1 = torch.trunc(x0.to(torch.float64) + slant.to(dev, torch.float64).view(-1, 1)).long()
    y1 = y0 + drop_length
    swap = x1 < x0
    ax, ay = torch.where(swap, x1, x0), torch.where(swap, y1, y0)
    bx, by = torch.where(swap, x0, x1), torch.where(swap, y0, y1)
    ddx, ddy = bx - ax, (by - ay).abs()
    sy = torch.where(by >= ay, 1, -1)
    xmajor = ddx >= ddy
    major, minor = torch.where(xmajor, ddx, ddy), torch.where(xmajor, ddy, ddx)
    k = torch.arange(max_dx + drop_length + 1, device=dev).view(1, 1, -1)
    a_, b_ = major.unsqueeze(-1), minor.unsqueeze(-1)
    if connectivity == 4:
        tot = a_ + b_
        mj = torch.div(k * a_ + b_, tot.clamp(min=1), rounding_mode="floor")
        mn = k - mj
    else:
        tot = a_
        mj = k
        mn = torch.div(2 * k * b_ + a_ - 1, (2 * a_).clamp(min=1), rounding_mode="floor")
    px = ax.unsqueeze(-1) + torch.where(xmajor.unsqueeze(-1), mj, mn)
    py = ay.unsqueeze(-1) + sy.unsqueeze(-1) * torch.where(xmajor.unsqueeze(-1), mn, mj)
    ok = valid.unsqueeze(-1) & (k <= tot) & (px >= 0) & (px < w) & (py >= 0) & (py < h)
    layer = torch.zeros(b, h * w, dtype=torch.float64, device=dev)
    idx = (py.clamp(0, h - 1) * w + px.clamp(0, w - 1)).reshape(b, ok.shape[1] * ok.shape[2])
    layer.scatter_add_(1, idx, ok.to(torch.float64).reshape(idx.shape))
    return (layer > 0).to(torch.float64).view(b, h, w)


def _thicken(lay: torch.Tensor, drop_width: int) -> torch.Tensor:
    """A one-pixel drop layer (B, 1, H, W) widened to a disk of diameter ``drop_width``."""
    if drop_width <= 1:
        return lay
    r = drop_width / 2
    t = torch.arange(-int(r), int(r) + 1, device=lay.device, dtype=torch.float64)
    disk = ((t.view(-1, 1) ** 2 + t.view(1, -1) ** 2) <= r * r).to(torch.float64)
    pad = int(r)
    return (torch.nn.functional.conv2d(torch.nn.functional.pad(lay, (pad,) * 4), disk[None, None]) > 0.5).double()


def _box(b: int, size: int, device: torch.device) -> torch.Tensor:
    """``cv2.blur``'s ``size`` box as per-sample 1-D taps (B, K); an even size reaches one pixel further back."""
    k = size + (size % 2 == 0)
    kern = box_kernels(torch.full((b,), k, device=device), k)
    if size % 2 == 0:
        kern = torch.cat([torch.full_like(kern[:, :1], 1.0 / size), kern[:, 1:-1] * k / size,
                          torch.zeros_like(kern[:, :1])], 1)
    return kern


def _drops(x: torch.Tensor, layer: torch.Tensor, color: tuple[float, ...], drop_width: int,
           dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The drops ``layer`` (B, H, W) thickened to ``drop_width`` (B, 1, H, W, float64) and their colour (1, C, 1, 1)
    in ``dtype`` (RGB ``color``; other channel counts use its mean)."""
    c = x.shape[1]
    lay = _thicken(layer.to(x.device, torch.float64).unsqueeze(1), drop_width)
    col = torch.tensor(color if c == 3 else (sum(color) / len(color),) * c, dtype=dtype, device=x.device)
    return lay, col.view(1, -1, 1, 1)


def rain(x: torch.Tensor, layer: torch.Tensor, color: tuple[float, ...], drop_width: int, blur_value: int,
         brightness: float) -> torch.Tensor:
    """``RandomRain``: ``y = clamp(brightness clamp(x + blur(L color)))``, ``L`` the drops (B, H, W) of
    :func:`rain_layer` thickened to ``drop_width`` pixels (a disk of diameter ``drop_width``), ``color`` in [0, 1]
    (RGB; other channel counts use its mean), ``blur`` OpenCV's ``blur_value`` box filter (reflect-101)."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    lay, col = _drops(x, layer, color, drop_width, torch.float64)
    drops = lay * col
    if blur_value > 1:
        drops = separable_blur(drops, _box(b, blur_value, x.device))
    y = torch.minimum(x + drops.to(x.dtype), x.clamp_min(1))  # cv2.add saturates
    return saturate(y * brightness, x)


def rain_1x(x: torch.Tensor, layer: torch.Tensor, color: tuple[float, ...], drop_width: int, blur_value: int,
            brightness: float) -> torch.Tensor:
    """1.x ``RandomRain``: ``y = clamp(brightness blur(x'))``, ``x'`` the image with the drops ``L`` (B, H, W)
    painted over it in ``color`` (thickened as in :func:`rain`), ``blur`` OpenCV's ``blur_value`` box filter of
    the whole image (reflect-101). 1.x scales HSV's V by ``brightness`` in uint8, the same as scaling RGB up to
    the rounding of its round trip."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    lay, col = _drops(x, layer, color, drop_width, x.dtype)
    y = torch.where(lay > 0, col, x)
    if blur_value > 1:
        y = separable_blur(y, _box(b, blur_value, x.device)).to(x.dtype)
    return saturate(y * brightness, x)


def snow_bleach(x: torch.Tensor, snow_point: torch.Tensor, brightness_coeff: float) -> torch.Tensor:
    """``RandomSnow`` (``method="bleach"``): in HLS, lightness ``L < snow_point / 2 + 1/3`` (decided on the uint8
    level of ``L``, as OpenCV's uint8 HLS does) becomes
    ``min(L brightness_coeff, 1)``; hue and saturation kept. ``snow_point`` (B,) in [0, 1]. Channel counts other
    than 3: each channel as a grey image (``L`` = the channel)."""
    check_image(x)
    b, c = x.shape[:2]
    if x.numel() == 0:
        return x.clone()
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    thr = (snow_point.to(x.device, work) / 2 + 1 / 3).view(-1, 1, 1, 1)
    xw = x.to(work)
    def below(v: torch.Tensor) -> torch.Tensor:
        # OpenCV's uint8 RGB2HLS decides: L = (max + min) / 2 of the levels / 255 in float32, rounded to a level
        lv = torch.round(v.detach().float() * 255) * torch.tensor(1 / 255, dtype=torch.float32)
        lq = torch.round((lv.amax(1, keepdim=True) + lv.amin(1, keepdim=True)) * 0.5 * 255) if c == 3 else lv * 255
        return lq < (thr * 255).float()

    if c != 3:
        return torch.where(below(xw), torch.minimum(xw * brightness_coeff, xw.clamp_min(1)), xw).to(x.dtype)
    hls = rgb_to_hls(xw)
    lum = hls[:, 1:2]
    lum2 = torch.where(below(xw), torch.minimum(lum * brightness_coeff, lum.clamp_min(1)), lum)
    # x plus the change of the HLS round trip: exactly x where no lightness changes
    y = xw + (hls_to_rgb(torch.cat([hls[:, :1], lum2, hls[:, 2:]], 1)) - hls_to_rgb(hls))
    return saturate(y, xw).to(x.dtype)
