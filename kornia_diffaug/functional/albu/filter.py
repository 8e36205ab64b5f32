"""Filter kernels with Albumentations' (OpenCV) semantics: per-sample convolutions, box/Gaussian/median/motion
blurs, sharpening, embossing, defocus and ``Downscale``. Borders are OpenCV's reflect-101 unless stated (see
``_common``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..._host import host_reads_free, host_reads_free_no_grad
from ..._validate import check_image
from .._conv import conv2d
from ._common import INTERPOLATIONS, pad2d
from ._median_net import run_median
from ._opencv import median_blur_planes, opencv_can_run

__all__ = [
    "box_kernels",
    "conv_per_sample",
    "cv_gaussian_1d",
    "defocus_kernels",
    "down_up",
    "emboss_kernels",
    "gaussian_kernels",
    "median_blur",
    "motion_kernels",
    "opencv_sigma",
    "separable_blur",
    "sharpen_kernels",
]


def conv_per_sample(x: torch.Tensor, kernels: torch.Tensor, border: str = "reflect") -> torch.Tensor:
    """Correlate sample ``i`` with ``kernels[i]`` (B, K, K), K odd, padding ``border`` (``"reflect"`` is
    OpenCV's default BORDER_REFLECT_101); same kernel on every channel (``cv2.filter2D``)."""
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    k = kernels.shape[-1]
    r = k // 2
    xp = pad2d(x, r, border)
    weight = kernels.to(x.device).repeat_interleave(c, 0).unsqueeze(1)  # cast by conv2d: no half-precision copy
    y = conv2d(xp.reshape(1, b * c, h + 2 * r, w + 2 * r), weight, groups=b * c)
    return y.view(b, c, h, w)


def separable_blur(x: torch.Tensor, kernel1d: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """``cv2.sepFilter2D`` with per-sample 1-D kernels (B, K) on both axes, BORDER_REFLECT_101.

    ``out``: a tensor of ``x``'s shape and dtype that autograd does not track, which the result is written into
    and returned; it may be ``x`` itself (each image is padded into a copy before its output is written)."""
    check_image(x)
    if out is not None:
        if out.shape != x.shape or out.dtype != x.dtype or (torch.is_grad_enabled() and out.requires_grad):
            raise ValueError(f"separable_blur: out must be a tensor of the input's shape {tuple(x.shape)} and "
                             f"dtype {x.dtype} that autograd does not track")
        if not (host_reads_free_no_grad(x) and x.dtype in (torch.float32, torch.float64)
                and not torch.is_autocast_enabled("cpu")):
            return out.copy_(separable_blur(x, kernel1d))
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone() if out is None else out
    k = kernel1d.shape[-1]
    r = k // 2
    # Taps as the float32 (float64) arithmetic holds them, subnormal ones flushed, on every path alike.
    taps = _flush_subnormal(kernel1d.to(device=x.device, dtype=torch.float64 if x.dtype == torch.float64
                                        else torch.float32))
    if host_reads_free(x) and x.dtype in (torch.float32, torch.float64) and not torch.is_autocast_enabled("cpu"):
        if host_reads_free_no_grad(x):  # one image at a time (in cache), each written into its row of the output
            blur = _blur_by_products if k >= _PRODUCTS_MIN_TAPS else _blur_by_slices
            out = x.new_empty(x.shape) if out is None else out
            for i in range(b):
                blur(x[i : i + 1], taps[i : i + 1], r, out[i : i + 1])
            return out
        ys = [_blur_by_slices(x[i : i + 1], taps[i : i + 1], r) for i in range(b)]  # autograd records these
        return ys[0] if b == 1 else torch.cat(ys)
    kk = taps.repeat_interleave(c, 0)  # cast by conv2d: no half-precision copy
    xp = pad2d(x, r, "reflect").reshape(1, b * c, h + 2 * r, w + 2 * r)
    xp = conv2d(xp, kk.view(b * c, 1, 1, k), groups=b * c)
    return conv2d(xp, kk.view(b * c, 1, k, 1), groups=b * c).view(b, c, h, w)


def _blur_by_slices(x: torch.Tensor, kernel1d: torch.Tensor, r: int, out: torch.Tensor | None = None) -> torch.Tensor:
    """:func:`separable_blur` as two sums of ``2 r + 1`` shifted slices of the padded image, ``y = sum_t k_t
    x[.., i + t]`` per axis, each ``k_t`` per sample. The CPU path (float32/float64, eager), one image per call:
    its working set stays in cache, where oneDNN's depthwise convolution with a long 1-D kernel was 2x slower;
    same maths, float rounding of the sums' order aside, and the same bits whatever the batch. ``out`` (no
    autograd): the tensor the result is written into, which may be ``x`` itself (the padded copy is read)."""
    b, c, h, w = x.shape
    kk = kernel1d.view(b, 1, 1, 1, -1)
    xp = pad2d(x, r, "reflect")
    t = xp[..., :, 0:w] * kk[..., 0]
    for i in range(1, 2 * r + 1):
        t = t.addcmul_(xp[..., :, i : i + w], kk[..., i])
    y = torch.mul(t[..., 0:h, :], kk[..., 0], out=out) if out is not None else t[..., 0:h, :] * kk[..., 0]
    for i in range(1, 2 * r + 1):
        y = y.addcmul_(t[..., i : i + h, :], kk[..., i])
    return y


# Kernels at least this long take the matrix products on the CPU (without autograd); shorter ones the slices
# (one 3x224x224 image, 1 thread: 23 taps 0.90 -> 0.52 ms, 11 taps 0.46 / 0.48 ms, 3 taps 0.18 / 0.44 ms).
_PRODUCTS_MIN_TAPS = 13
_PRODUCT_BLOCK = 32  # outputs per product: 32-48 measured best at 224 px


def _flush_subnormal(k: torch.Tensor) -> torch.Tensor:
    """Taps smaller in magnitude than the dtype's smallest normal number set to 0. A Gaussian's far taps can land
    there (float32: ``exp(-t^2 / 2 sigma^2)`` between 1e-45 and 1e-38, e.g. sigma 0.3 with 23 taps), and every
    product with a subnormal runs 5-10x slower on x86; each such tap changes an output by less than 1e-38."""
    return k * (k.abs() >= torch.finfo(k.dtype).tiny).to(k.dtype)


def _toeplitz_block(kernel1d: torch.Tensor, s: int) -> torch.Tensor:
    """``T (s + K - 1, s)`` with ``T[j, o] = k[j - o]`` for ``0 <= j - o < K``, else 0: ``s`` outputs of the 1-D
    correlation ``y_o = sum_t k_t x_{o + t}`` as ``y = x T`` over the ``s + K - 1`` inputs they read."""
    taps = kernel1d.numel()
    d = torch.arange(s + taps - 1, device=kernel1d.device).view(-1, 1) - torch.arange(s, device=kernel1d.device)
    inside = ((d >= 0) & (d < taps)).to(kernel1d.dtype)
    return kernel1d[d.clamp(0, taps - 1)] * inside


def _blur_by_products(x: torch.Tensor, kernel1d: torch.Tensor, r: int, out: torch.Tensor | None = None
                      ) -> torch.Tensor:
    """:func:`_blur_by_slices` of one image (1, C, H, W) as matrix products: each block of ``_PRODUCT_BLOCK``
    outputs along an axis is the padded image's ``block + 2 r`` inputs times one banded Toeplitz block, written
    into its slice of the output (no window copies; ``out``, which may be ``x``, else a new tensor). For long
    kernels on the CPU, without autograd (``out=``)."""
    _, c, h, w = x.shape
    taps, s = 2 * r + 1, _PRODUCT_BLOCK
    t = _toeplitz_block(kernel1d.view(-1), s)
    t_rows = t.T.contiguous()
    rows = pad2d(x, r, "reflect").view(-1, w + 2 * r)  # (C (H + 2r), W + 2r)
    mid = rows.new_empty(rows.shape[0], w)
    for o in range(0, w, s):
        n = min(s, w - o)
        torch.mm(rows[:, o : o + n + taps - 1], t[: n + taps - 1, :n], out=mid[:, o : o + n])
    planes = mid.view(c, h + 2 * r, w)
    y = x.new_empty(1, c, h, w) if out is None else out
    for o in range(0, h, s):
        n = min(s, h - o)
        for ch in range(c):
            torch.mm(t_rows[:n, : n + taps - 1], planes[ch, o : o + n + taps - 1], out=y[0, ch, o : o + n])
    return y


def box_kernels(ksize: torch.Tensor, max_size: int) -> torch.Tensor:
    """Normalised 1-D box kernels (B, max_size) of odd sizes ``ksize`` (B,), centred and zero-padded (``cv2.blur``
    as a separable filter)."""
    t = torch.arange(max_size, device=ksize.device) - max_size // 2
    k = (t.abs().view(1, -1) <= (ksize.view(-1, 1) // 2)).to(torch.float64)
    return k / k.sum(1, keepdim=True)


# OpenCV's fixed kernels for sigma <= 0 and sizes 1, 3, 5, 7 (``getGaussianKernel``'s small_gaussian_tab).
_CV_SMALL = ((1.0,), (0.25, 0.5, 0.25), (0.0625, 0.25, 0.375, 0.25, 0.0625),
             (0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125))


def opencv_sigma(ksize: torch.Tensor) -> torch.Tensor:
    """OpenCV's sigma for a kernel of odd size ``k`` given sigma <= 0: ``0.3 ((k - 1) / 2 - 1) + 0.8`` pixels."""
    return 0.3 * ((ksize.to(torch.float64) - 1) * 0.5 - 1) + 0.8


def gaussian_kernels(sigma: torch.Tensor, ksize: torch.Tensor, max_size: int) -> torch.Tensor:
    """Normalised 1-D Gaussian kernels (B, max_size), each of odd size ``ksize[i]`` centred and zero-padded:
    ``k(t) ∝ exp(-t^2 / (2 sigma^2))`` for ``|t| <= ksize // 2``.

    A ``sigma <= 0`` means what it means to ``cv2.getGaussianKernel``: sigma from the size
    (:func:`opencv_sigma`), and for sizes up to 7 OpenCV's fixed binomial kernels (``[1, 2, 1] / 4``, ...)."""
    dev = sigma.device
    t = torch.arange(max_size, device=dev, dtype=torch.float64) - max_size // 2
    k = ksize.to(device=dev, dtype=torch.float64).view(-1, 1)
    s = sigma.to(torch.float64).view(-1, 1)
    auto = s <= 0
    s = torch.where(auto, opencv_sigma(k), s)
    g = torch.exp(-0.5 * (t.view(1, -1) / s) ** 2) * (t.abs() <= k // 2)
    g = g / g.sum(1, keepdim=True)
    width = max(max_size, 7)
    table = torch.zeros(len(_CV_SMALL), width, dtype=torch.float64)
    for i, row in enumerate(_CV_SMALL):
        table[i, width // 2 - i : width // 2 + i + 1] = torch.tensor(row, dtype=torch.float64)
    off = (width - max_size) // 2
    table = table[:, off : off + max_size].to(dev)
    fixed = table[(k.view(-1) // 2).clamp(max=len(_CV_SMALL) - 1).long()]
    return torch.where(auto & (k <= 7), fixed, g)


def _uint8_levels(x: torch.Tensor, chunk: int = 1 << 16) -> torch.Tensor | None:
    """``x * 255`` as uint8 when every pixel is a uint8 level ``u`` with ``u / 255 == x`` bit for bit (what a uint8
    image divided by 255 holds), else ``None``; also ``None`` unless the call is eager CPU work without autograd.
    Checked and converted ``chunk`` pixels at a time, so the intermediates stay in cache (4x faster than whole
    1024 px batches)."""
    if not host_reads_free_no_grad(x):
        return None
    flat = x.reshape(-1)
    out = torch.empty(x.shape, dtype=torch.uint8)
    dst = out.view(-1)
    for i in range(0, flat.numel(), chunk):
        xc = flat[i : i + chunk]
        u = (xc * 255).round_().clamp_(0, 255)
        if not torch.equal(u / 255, xc):  # no sync cost on the CPU
            return None
        dst[i : i + chunk].copy_(u)
    return out


def _replicate_pad(u: torch.Tensor, r: int) -> torch.Tensor:
    """``pad2d(u, r, "replicate")`` by slice copies, for any dtype (``pad2d`` gathers integer images: 5x slower)."""
    h, w = u.shape[-2:]
    out = u.new_empty(*u.shape[:-2], h + 2 * r, w + 2 * r)
    out[..., r : r + h, r : r + w] = u
    out[..., r : r + h, :r] = u[..., :, :1]
    out[..., r : r + h, r + w :] = u[..., :, -1:]
    out[..., :r, :] = out[..., r : r + 1, :]
    out[..., r + h :, :] = out[..., r + h - 1 : r + h, :]
    return out


def _median(x: torch.Tensor, k: int) -> torch.Tensor:
    """Median of every ``k x k`` window (replicated borders), gradient to the median pixel.

    An image of uint8 levels (see ``_uint8_levels``) is filtered as uint8: the median commutes with the monotone
    map ``u -> u / 255``, so the median of the levels, divided by 255, is bit for bit the median of ``x``, computed
    on a quarter of the bytes (the network is memory-bound). In eager CPU work without autograd, OpenCV computes
    the same medians (float32 for k 3 and 5, uint8 levels for any k; ``_opencv``), else the tensor network."""
    r = k // 2
    cv = k >= 3 and opencv_can_run(x)
    if cv and x.dtype == torch.float32 and k <= 5:
        return median_blur_planes(x, k)
    u = _uint8_levels(x)
    if u is not None:
        m = median_blur_planes(u, k) if cv else _median_padded(_replicate_pad(u, r), k)
        return m.to(x.dtype).div_(255)
    return _median_padded(pad2d(x, r, "replicate"), k)


def _median_padded(xp: torch.Tensor, k: int) -> torch.Tensor:
    """Median of every ``k x k`` window of ``xp`` (..., H + k - 1, W + k - 1), any real dtype: the separable network
    on row tiles (rows sorted once, merges shared across windows and by the windows of a tile)."""
    return run_median(xp, k)


def median_blur(x: torch.Tensor, ksize: torch.Tensor, sizes: tuple[int, ...]) -> torch.Tensor:
    """``cv2.medianBlur`` (BORDER_REPLICATE) with a per-sample odd ``ksize`` drawn from ``sizes``.

    On accelerators each size in ``sizes`` is computed for the batch and selected per sample (no data-dependent
    branching); on the CPU each sample computes only its own size.
    The gradient flows to the median pixel of each window.
    """
    check_image(x)
    if x.numel() == 0:
        return x.clone()
    ksize = ksize.to(x.device)
    if host_reads_free(x):
        # No sync cost on the CPU: each sample computes only its own size.
        out = x
        for k in sizes:
            rows = (ksize == k).nonzero().view(-1)
            if rows.numel() == x.shape[0]:
                return _median(x, k)
            if rows.numel():
                out = out.index_copy(0, rows, _median(x[rows], k))
        return out
    out = x
    for k in sizes:
        out = torch.where((ksize == k).view(-1, 1, 1, 1), _median(x, k), out)
    return out


def sharpen_kernels(alpha: torch.Tensor, lightness: torch.Tensor) -> torch.Tensor:
    """``Sharpen`` (method ``kernel``): ``(1 - a) I + a [[-1,-1,-1],[-1, 8 + l,-1],[-1,-1,-1]]`` (B, 3, 3)."""
    b = alpha.shape[0]
    ident = torch.zeros(b, 3, 3, dtype=torch.float64, device=alpha.device)
    ident[:, 1, 1] = 1
    eff = -torch.ones(b, 3, 3, dtype=torch.float64, device=alpha.device)
    eff[:, 1, 1] = 8 + lightness.to(torch.float64)
    a = alpha.to(torch.float64).view(-1, 1, 1)
    return (1 - a) * ident + a * eff


def motion_kernels(
    ksize: torch.Tensor, angle: torch.Tensor, direction: torch.Tensor, shift: torch.Tensor, max_size: int
) -> torch.Tensor:
    """Albumentations' motion-blur line kernels (B, max_size, max_size), normalised to sum 1.

    A line of ``k`` samples ``t`` from ``-L (1 - max(0, d))``... to ``L (1 - max(0, -d))`` (``L = k // 2``,
    ``d`` the direction in [-1, 1]) at ``angle`` degrees through the kernel centre plus ``shift`` (B, 2)
    pixels, rounded to pixels; each kernel is centred in the ``max_size`` canvas.
    """
    dev = angle.device
    dt = torch.float64
    b = angle.shape[0]
    k = ksize.to(dt).view(-1, 1)
    half = torch.div(k, 2, rounding_mode="floor")
    d = direction.to(dt).clamp(-1, 1).view(-1, 1)
    t0 = torch.where(d > 0, -half * (1 - d), -half)
    t1 = torch.where(d < 0, half * (1 + d), half)
    n = torch.arange(max_size, device=dev, dtype=dt).view(1, -1)
    valid = n < k
    frac = n / (k - 1).clamp_min(1)
    t = t0 + (t1 - t0) * frac
    a = torch.deg2rad(angle.to(dt)).view(-1, 1)
    px = (half + torch.cos(a) * t + shift[:, :1].to(dt)).round().clamp(min=0)
    py = (half + torch.sin(a) * t + shift[:, 1:].to(dt)).round().clamp(min=0)
    px, py = torch.minimum(px, k - 1), torch.minimum(py, k - 1)
    off = (max_size - k) / 2
    flat = ((py + off) * max_size + px + off).long().clamp(0, max_size * max_size - 1)
    kern = torch.zeros(b, max_size * max_size, dtype=dt, device=dev)
    kern.scatter_add_(1, flat, valid.to(dt).expand(b, -1).contiguous())
    kern = (kern > 0).to(dt)
    return (kern / kern.sum(1, keepdim=True).clamp_min(1)).view(b, max_size, max_size)


def down_up(x: torch.Tensor, scale: torch.Tensor, down: int = 0, up: int = 0) -> torch.Tensor:
    """``Downscale``: ``cv2.resize(x, fx=s, fy=s)`` then back to ``(H, W)``, per-sample ``scale`` (B,).

    As OpenCV: the small size is ``round(side * s)`` and the down pass maps with ``1 / s`` (nearest:
    ``floor(j / s)``; linear/cubic: ``(j + 0.5) / s - 0.5``); the up pass maps with the sizes' ratio.
    Both passes sample with clamped (replicated) borders.
    """
    check_image(x)
    b, _, h, w = x.shape
    s = scale.to(device=x.device, dtype=torch.float64).view(-1, 1)
    dh = torch.round(h * s).clamp(min=1)
    dw = torch.round(w * s).clamp(min=1)

    def grid_for(n_out: int, n_in: int, ratio: torch.Tensor, limit: torch.Tensor, mode: int) -> torch.Tensor:
        j = torch.arange(n_out, device=x.device, dtype=torch.float64).view(1, -1)
        src = torch.floor(j * ratio) if mode == 0 else (j + 0.5) * ratio - 0.5
        return torch.minimum(src.clamp(min=0), limit - 1)  # (B, n_out) source pixel coordinates

    def sample(img: torch.Tensor, gy: torch.Tensor, gx: torch.Tensor, mode: int) -> torch.Tensor:
        ih, iw = img.shape[-2:]
        ny = 2 * gy / max(ih - 1, 1) - 1
        nx = 2 * gx / max(iw - 1, 1) - 1
        grid = torch.stack(torch.broadcast_tensors(nx.unsqueeze(1), ny.unsqueeze(2)), -1).to(img.dtype)
        return F.grid_sample(img, grid, mode=INTERPOLATIONS[mode], padding_mode="border", align_corners=True)

    small = sample(x, grid_for(h, h, 1 / s, torch.full_like(s, h), down), grid_for(w, w, 1 / s, torch.full_like(s, w),
                                                                               down), down)
    y = sample(small, grid_for(h, h, dh / h, dh, up), grid_for(w, w, dw / w, dw, up), up)
    return y.clamp(0, 1) if 2 in (down, up) else y



# cv2.getGaussianKernel's fixed taps for sigma <= 0 and the smallest sizes.
_CV_SMALL_GAUSSIANS = {1: (1.0,), 3: (0.25, 0.5, 0.25), 5: (0.0625, 0.25, 0.375, 0.25, 0.0625),
                       7: (0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125)}


def cv_gaussian_1d(ksize: int, sigma: torch.Tensor) -> torch.Tensor:
    """``cv2.getGaussianKernel(ksize, sigma)`` for per-sample ``sigma`` (B,) in pixels: (B, ksize), sum 1. A
    ``sigma <= 0`` means OpenCV's ``0.3 ((ksize - 1) / 2 - 1) + 0.8`` (fixed taps for sizes 1 to 7)."""
    sigma = sigma.to(torch.float64)
    t = torch.arange(ksize, device=sigma.device, dtype=torch.float64) - (ksize - 1) / 2
    auto = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8
    s = torch.where(sigma > 0, sigma, torch.full_like(sigma, auto)).view(-1, 1)
    k = torch.exp(-(t.view(1, -1) ** 2) / (2 * s**2))
    k = k / k.sum(1, keepdim=True)
    if ksize in _CV_SMALL_GAUSSIANS:
        table = torch.tensor(_CV_SMALL_GAUSSIANS[ksize], dtype=torch.float64, device=sigma.device)
        k = torch.where((sigma > 0).view(-1, 1), k, table.view(1, -1))
    return k


def emboss_kernels(alpha: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
    """``Emboss``: ``(1 - a) I + a E(s)`` (B, 3, 3), ``E(s) = [[-1 - s, -s, 0], [-s, 1, s], [0, s, 1 + s]]``."""
    a = alpha.to(torch.float64).view(-1, 1, 1)
    s = strength.to(torch.float64).view(-1, 1, 1)
    base = torch.tensor([[-1.0, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=torch.float64, device=alpha.device)
    sign = torch.tensor([[-1.0, -1, 0], [-1, 0, 1], [0, 1, 1]], dtype=torch.float64, device=alpha.device)
    ident = torch.zeros(3, 3, dtype=torch.float64, device=alpha.device)
    ident[1, 1] = 1
    return (1 - a) * ident + a * (base + sign * s)


def defocus_kernels(radius: torch.Tensor, alias_blur: torch.Tensor, max_radius: int) -> torch.Tensor:
    """``Defocus`` kernels (B, K, K), ``K = 2 max(8, max_radius) + 1``: the disk ``x^2 + y^2 <= r^2`` on its own
    grid ``|x|, |y| <= m = max(8, r)``, normalised to sum 1, then blurred as ``cv2.GaussianBlur`` (size 3 for
    ``r <= 8``, else 5; ``sigma = alias_blur`` pixels; reflect-101 at the grid's edge), zero outside the grid.
    ``radius`` (B,) integers >= 1, ``alias_blur`` (B,) >= 0."""
    dev = radius.device
    big = max(8, int(max_radius))
    if radius.numel() == 0:
        return torch.zeros(0, 2 * big + 1, 2 * big + 1, dtype=torch.float64, device=dev)
    r = radius.to(torch.float64).view(-1, 1, 1)
    m = torch.clamp(r, min=8)
    t = torch.arange(-big - 2, big + 3, device=dev, dtype=torch.float64)
    # reflect-101 about the own grid's edge, so the blur sees what OpenCV's border gives it
    tx = torch.where(t.abs().view(1, 1, -1) > m, torch.sign(t).view(1, 1, -1) * (2 * m - t.abs().view(1, 1, -1)),
                     t.view(1, 1, -1))
    ty = tx.transpose(1, 2)
    disk = (tx**2 + ty**2 <= r**2).to(torch.float64)
    own = (t.abs().view(1, 1, -1) <= m) & (t.abs().view(1, -1, 1) <= m)
    disk = disk / (disk * own).sum((1, 2), keepdim=True)
    g3 = F.pad(cv_gaussian_1d(3, alias_blur), (1, 1))
    g5 = cv_gaussian_1d(5, alias_blur)
    g = torch.where((radius <= 8).view(-1, 1).to(dev), g3, g5)  # (B, 5)
    b = g.shape[0]
    k = F.conv2d(disk.unsqueeze(0), g.view(b, 1, 1, 5), groups=b)
    k = F.conv2d(k, g.view(b, 1, 5, 1), groups=b)[0]
    return k * own[:, 2:-2, 2:-2]
