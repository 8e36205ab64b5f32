"""Crop, resize and pad kernels with Albumentations' (OpenCV) conventions (see ``_common``).

Crops and resizes are matrices too (``crop_resize_matrix``) so boxes and keypoints follow; images are resampled
with ``geometry.warp`` or, for whole-image resizes, ``resize`` (``cv2.resize``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..._host import host_reads_free
from ..._validate import check_image
from ._common import INTERPOLATIONS, sample

__all__ = ["crop_box", "crop_origin", "crop_resize", "crop_resize_matrix", "crop_resize_nearest", "resize",
           "resized_crop_box", "scale_matrix"]


def crop_resize_matrix(box: torch.Tensor, size: tuple[int, int], half_pixel: bool = True) -> torch.Tensor:
    """Matrix of "crop ``box`` = (x0, y0, x1, y1) (B, 4) then resize to ``size`` = (H, W)".

    ``half_pixel`` (images, as ``cv2.resize``): ``u' = (u - x0 + 0.5) * W / (x1 - x0) - 0.5``; otherwise
    ``u' = (u - x0) * W / (x1 - x0)``, the plain scaling Albumentations applies to keypoints and boxes.
    """
    dt = torch.float64
    box = box.to(dt)
    b = box.shape[0]
    sx = size[1] / (box[:, 2] - box[:, 0])
    sy = size[0] / (box[:, 3] - box[:, 1])
    h = 0.5 if half_pixel else 0.0
    m = torch.eye(3, dtype=dt, device=box.device).repeat(b, 1, 1)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    m[:, 0, 2] = (h - box[:, 0]) * sx - h
    m[:, 1, 2] = (h - box[:, 1]) * sy - h
    return m


def scale_matrix(scale: torch.Tensor) -> torch.Tensor:
    """``(B, 3, 3)`` float64 matrices scaling both axes by ``scale`` (B,) about the origin: ``u' = s u``, ``v' = s v``
    (how Albumentations moves keypoints through a resize by a factor, whatever the rounded output size)."""
    s = scale.to(torch.float64)
    m = torch.eye(3, dtype=torch.float64, device=s.device).repeat(s.shape[0], 1, 1)
    m[:, 0, 0] = m[:, 1, 1] = s
    return m


def crop_box(x: torch.Tensor, box: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``y[i] = x[i, :, y0:y0 + h, x0:x0 + w]`` for integer corners ``box[i] = (x0, y0, ...)`` (B, 4) inside the
    image, ``size = (h, w)``: exact, as two gathers (no resampling, no host sync), or slices on the CPU; the gradient
    scatters back."""
    check_image(x)
    b, c, _, w_in = x.shape
    h, w = size
    dev = x.device
    if b and host_reads_free(x, box):
        # On the CPU reading the corners costs no sync: slices copied once (the gathers cost ~6x more).
        corners = box[:, :2].round().long().tolist()
        h_in = x.shape[-2]
        inside = all(0 <= x0 <= w_in - w and 0 <= y0 <= h_in - h for x0, y0 in corners)
        if inside and all(v == corners[0] for v in corners):
            x0, y0 = corners[0]
            return x[..., y0 : y0 + h, x0 : x0 + w].clone(memory_format=torch.contiguous_format)
        if inside:
            return torch.stack([x[i, :, y0 : y0 + h, x0 : x0 + w] for i, (x0, y0) in enumerate(corners)])
    x0 = box[:, 0].round().long().to(dev)
    y0 = box[:, 1].round().long().to(dev)
    rows = (y0.view(-1, 1) + torch.arange(h, device=dev)).view(b, 1, h, 1).expand(b, c, h, w_in)
    cols = (x0.view(-1, 1) + torch.arange(w, device=dev)).view(b, 1, 1, w).expand(b, c, h, w)
    return x.gather(2, rows).gather(3, cols)


def crop_resize_nearest(x: torch.Tensor, box: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Each sample's crop ``box[i] = (x0, y0, x1, y1)`` (B, 4) (integer corners inside the image) resized to
    ``size = (H, W)`` by nearest neighbour as ``cv2.resize(crop, (W, H), interpolation=INTER_NEAREST)``: output
    column ``u`` reads crop column ``min(floor(u * f), w - 1)`` with ``f = 1 / (W / w)`` in float64 (OpenCV's
    arithmetic; not half-pixel centres), rows alike. Exact data movement (two gathers); the gradient scatters back.
    """
    check_image(x)
    b, c, _, w_in = x.shape
    h, w = size
    dt, dev = torch.float64, x.device
    box = box.to(device=dev, dtype=dt).round()
    x0, y0, cw, ch = box[:, 0], box[:, 1], box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    u = torch.arange(w, device=dev, dtype=dt)
    v = torch.arange(h, device=dev, dtype=dt)
    one = torch.ones((), device=dev, dtype=dt)
    # Tensor / tensor divisions: ``number / tensor`` is ``number * reciprocal(tensor)`` in torch, 1 ulp off
    # OpenCV's ``1. / ((double)dsize / ssize)``, which moves ``floor`` at exact multiples.
    fx = one / ((one * w) / cw)
    fy = one / ((one * h) / ch)
    cols = x0[:, None] + torch.minimum(torch.floor(u * fx[:, None]), cw[:, None] - 1)
    rows = y0[:, None] + torch.minimum(torch.floor(v * fy[:, None]), ch[:, None] - 1)
    rows = rows.long().view(b, 1, h, 1).expand(b, c, h, w_in)
    cols = cols.long().view(b, 1, 1, w).expand(b, c, h, w)
    return x.gather(2, rows).gather(3, cols)


def crop_resize(x: torch.Tensor, box: torch.Tensor, size: tuple[int, int], interpolation: int = 1,
                out: torch.Tensor | None = None) -> torch.Tensor:
    """Each sample's crop ``box[i] = (x0, y0, x1, y1)`` (B, 4) (integer corners inside the image) resized to
    ``size = (H, W)`` as ``cv2.resize(crop, (W, H), interpolation)``: what Albumentations' resized crops do.

    Nearest: :func:`crop_resize_nearest`. Linear and cubic: half-pixel centres, source column
    ``x0 + (u + 0.5) w / W - 0.5`` for a crop of width ``w`` (rows alike), no antialiasing; taps past the crop's
    edge repeat its edge pixel, as ``cv2.resize`` does at the border of the crop it is given, and never read the
    pixels around the crop. Linear clamps the coordinate into the crop (OpenCV's rule), pulled ``8 max(H, W)``
    float32 epsilons (float64 ones for float64 images; about 2e-4 px at 224 px) inside its edges so that the
    sampler's own rounding never gives a tap outside it any weight (crops 1 pixel wide excepted); cubic reads
    an image whose rows and columns outside the crop are the crop's edge (one gather). Cubic results are clamped
    to [0, 1] (OpenCV's uint8 saturation). On the CPU, where reading the boxes costs no sync, each crop is cut
    out and resized by ``F.interpolate`` (the same half-pixel rule, ~2x faster than the batch ``grid_sample``;
    same values to float32 rounding). Differentiable in ``x``.

    ``out``: a ``(B, C, H, W)`` tensor of ``x``'s dtype that receives the result and is returned; it may be ``x``
    itself when ``size`` is ``x``'s (each crop is read before its row is written). Not with autograd recording.
    """
    check_image(x)
    mode = INTERPOLATIONS[interpolation]
    if out is not None:
        if tuple(out.shape) != (*x.shape[:2], *size) or out.dtype != x.dtype:
            raise ValueError(f"out must have shape {(*x.shape[:2], *size)} and dtype {x.dtype}, got "
                             f"{tuple(out.shape)} {out.dtype}")
        if torch.is_grad_enabled() and (x.requires_grad or out.requires_grad):
            raise ValueError("crop_resize(out=...) cannot be recorded by autograd; call it without out")
    if mode != "nearest" and x.shape[0] and host_reads_free(x, box):
        box = box.to(device=x.device, dtype=torch.float64).round()
        h, w = x.shape[-2:]
        lo, hi = box.aminmax(dim=0)
        if bool(lo[:2].min() < 0) or bool(hi[2] > w) or bool(hi[3] > h) or bool(((box[:, 2:] - box[:, :2]) < 1).any()):
            raise ValueError(f"crop boxes must lie inside the {h}x{w} image and be at least 1 pixel wide and "
                             f"high, got {box.tolist()}")
        return _crop_resize_each(x, box, size, mode, out)
    y = crop_resize_nearest(x, box, size) if mode == "nearest" else _crop_resize_sampled(x, box, size, mode)
    return y if out is None else out.copy_(y)


def _crop_resize_sampled(x: torch.Tensor, box: torch.Tensor, size: tuple[int, int], mode: str) -> torch.Tensor:
    """:func:`crop_resize` (linear, cubic) of the whole batch through ``sample`` (``grid_sample``), no host read."""
    b, c, h, w = x.shape
    oh, ow = size
    dt, dev = torch.float64, x.device
    box = box.to(device=dev, dtype=dt).round()
    x0, y0, x1, y1 = (t.view(b, 1, 1) for t in box.unbind(1))
    u = torch.arange(ow, device=dev, dtype=dt).view(1, 1, ow)
    v = torch.arange(oh, device=dev, dtype=dt).view(1, oh, 1)
    sx = x0 + ((u + 0.5) * ((x1 - x0) / ow) - 0.5)
    sy = y0 + ((v + 0.5) * ((y1 - y0) / oh) - 0.5)
    if mode == "bilinear":
        eps = torch.finfo(torch.float64 if x.dtype == torch.float64 else torch.float32).eps
        margin = 8 * max(h, w) * eps

        def inside(t: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
            m = ((hi - lo - 1) / 2).clamp(0, margin)
            return torch.minimum(torch.maximum(t, lo + m), hi - 1 - m)

        return sample(x, inside(sx, x0, x1), inside(sy, y0, y1), 1, 1, 0.0)
    rows = torch.arange(h, device=dev, dtype=dt).view(1, h)
    cols = torch.arange(w, device=dev, dtype=dt).view(1, w)
    rows = torch.minimum(torch.maximum(rows, y0.view(b, 1)), y1.view(b, 1) - 1).long()
    cols = torch.minimum(torch.maximum(cols, x0.view(b, 1)), x1.view(b, 1) - 1).long()
    inside = x.gather(2, rows.view(b, 1, h, 1).expand(b, c, h, w)).gather(3, cols.view(b, 1, 1, w).expand(b, c, h, w))
    return sample(inside, sx, sy, 2, 1, 0.0)


def _crop_resize_each(x: torch.Tensor, box: torch.Tensor, size: tuple[int, int], mode: str,
                      out: torch.Tensor | None) -> torch.Tensor:
    """:func:`crop_resize` one crop at a time (host-readable integer ``box`` inside the image): each crop cut out
    as a view and resized by aten's upsample kernels (``F.interpolate``'s: half-pixel centres, taps clamped to the
    crop, no antialiasing), in float32 for half-precision inputs. Without autograd each result is written into the
    output batch (``out``, else a fresh one) while it is in cache; with it, the results are concatenated."""
    work = torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype
    corners = box.long().tolist()
    record = torch.is_grad_enabled() and x.requires_grad
    if out is None and not record:
        out = x.new_empty((x.shape[0], x.shape[1], *size))
    parts = []
    # Where the result needs no cast, aten's out= form of the same kernel writes each row in place.
    kernel = torch.ops.aten.upsample_bilinear2d.out if mode == "bilinear" else torch.ops.aten.upsample_bicubic2d.out
    direct = out is not None and work == x.dtype and out.is_contiguous()
    alias = out is not None and out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    for i, (x0, y0, x1, y1) in enumerate(corners):
        # The channels as a batch of one-channel images (C, 1, h, w): the same per-channel maths, and aten keeps
        # its strided generic kernel (with one thread and 3 channels it would take a channels-last kernel that
        # copies the crop and the output, 1.7x slower, with other float rounding).
        crop = x[i, :, y0:y1, x0:x1].unsqueeze(1)
        if direct and alias:  # the kernel writes row i while it reads: read the crop first
            crop = crop.clone(memory_format=torch.contiguous_format)
        if direct:
            y = kernel(crop, list(size), False, None, None, out=out[i].unsqueeze(1))
        else:
            y = F.interpolate(crop.to(work), size=size, mode=mode, align_corners=False).view(1, -1, *size)
        if mode == "bicubic":  # cubic taps overshoot; OpenCV's uint8 result saturates
            y = y.clamp(0, 1) if record else y.clamp_(0, 1)
        if out is None:
            parts.append(y)
        elif not direct:
            out[i].copy_(y.view(-1, *size))
    if out is not None:
        return out
    return (parts[0] if len(parts) == 1 else torch.cat(parts)).to(x.dtype)


def resize(x: torch.Tensor, size: tuple[int, int], interpolation: int = 1) -> torch.Tensor:
    """``cv2.resize`` of the whole batch: nearest takes ``min(floor(u * f), in - 1)``, ``f = 1 / (out / in)`` in
    float64 (:func:`crop_resize_nearest`; torch's ``interpolate`` computes the scale in float32 and picks another
    pixel for some sizes); linear/cubic use half-pixel centres and no antialiasing, as OpenCV does."""
    check_image(x)
    mode = INTERPOLATIONS[interpolation]
    if mode == "nearest":
        h, w = x.shape[-2:]
        full = torch.tensor([[0.0, 0.0, w, h]], dtype=torch.float64, device=x.device).expand(x.shape[0], 4)
        return crop_resize_nearest(x, full, size)
    if mode == "bilinear" and x.is_contiguous() and x.shape[1] > 1:
        # The channels as one-channel images (B C, 1, H, W): the same maths, and aten's generic kernel, where one
        # thread and 3 channels would take a channels-last kernel that copies input and output (3-4x slower).
        b, c, h, w = x.shape
        return F.interpolate(x.view(b * c, 1, h, w), size=size, mode=mode, align_corners=False).view(b, c, *size)
    y = F.interpolate(x, size=size, mode=mode, align_corners=False)
    return y.clamp(0, 1) if mode == "bicubic" else y



def crop_origin(u: torch.Tensor, size: tuple[int, int], crop: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    """``RandomCrop``'s top-left corner ``(x0, y0)`` of a ``crop = (h, w)`` (ints or (B,) tensors) in an
    ``(H, W)`` image from ``u`` (B, 2) uniform on [0, 1): ``y0 = int((H - h + 1) u_0)``, ``x0 = int((W - w + 1) u_1)``.
    """
    u = u.to(torch.float64)
    return torch.floor((size[1] - crop[1] + 1) * u[:, 1]), torch.floor((size[0] - crop[0] + 1) * u[:, 0])


def resized_crop_box(
    u_area: torch.Tensor, u_ratio: torch.Tensor, u_origin: torch.Tensor, size: tuple[int, int],
    scale: tuple[float, float], ratio: tuple[float, float],
) -> torch.Tensor:
    """``RandomResizedCrop``'s crop box ``(x0, y0, x1, y1)`` (B, 4) float64 in an ``(H, W)`` image.

    Up to ``T`` tries from ``u_area``, ``u_ratio`` (B, T) uniform on [0, 1): area ``A ~ U(scale) H W`` and
    ``log`` aspect ``~ U(log ratio)``, ``w = round(sqrt(A r))``, ``h = round(sqrt(A / r))``; the first that fits
    is placed by :func:`crop_origin` with ``u_origin`` (B, 2); if none fits, a centre crop of the whole image
    clamped to ``ratio``.
    """
    h, w = size
    area = h * w
    s_lo, s_hi = scale
    r_lo, r_hi = ratio
    ta = u_area.to(torch.float64) * (s_hi - s_lo) * area + s_lo * area
    lr = u_ratio.to(torch.float64) * (math.log(r_hi) - math.log(r_lo))
    ar = torch.exp(lr + math.log(r_lo))
    cw = torch.round(torch.sqrt(ta * ar))
    ch = torch.round(torch.sqrt(ta / ar))
    ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
    first = ok.to(torch.int8).argmax(1, keepdim=True)
    cw, ch = cw.gather(1, first)[:, 0], ch.gather(1, first)[:, 0]
    x0, y0 = crop_origin(u_origin, size, (ch, cw))
    in_ratio = w / h
    if in_ratio < r_lo:
        fw, fh = w, round(w / r_lo)
    elif in_ratio > r_hi:
        fw, fh = round(h * r_hi), h
    else:
        fw, fh = w, h
    hit = ok.any(1)
    x0 = torch.where(hit, x0, torch.full_like(x0, (w - fw) // 2))
    y0 = torch.where(hit, y0, torch.full_like(y0, (h - fh) // 2))
    cw = torch.where(hit, cw, torch.full_like(cw, fw))
    ch = torch.where(hit, ch, torch.full_like(ch, fh))
    return torch.stack([x0, y0, x0 + cw, y0 + ch], 1)
