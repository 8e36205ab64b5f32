"""The geometric resampling of StyleGAN2-ADA (Karras et al. 2020) as the paper's release performs it, written
for this project from the published algorithm, as the baseline of exactness tests.

Steps, for a batch with output-to-input matrices ``G_inv`` in *centred* pixel coordinates (origin at the image
centre, ``x`` right, ``y`` down):

1. One reflect-padding margin for the whole batch: the four image corners mapped by ``G_inv``, plus
   ``2 * (taps // 4)`` pixels for the filters, clamped to ``[0, size - 1]`` (reflect cannot pad more).
2. 2x upsampling by zero insertion and *convolution* with ``2 f`` per axis (padding ``[6, 5]`` for 12 taps).
3. Bilinear ``grid_sample`` (zero padding, ``align_corners=False``) of a ``2 (size + 2 (taps // 4))`` output
   grid, with the matrix moved into the upsampled, padded frame: shift by the padding asymmetry, scale by 2
   about the origin with the half-pixel shift of 2x sampling, then normalised coordinates.
4. Cropping ``1`` sample per side and *correlation* with ``f`` per axis, keeping every second sample.

``f`` is the ``sym6`` low-pass filter normalised to unit sum. Unlike
:func:`kornia_diffaug.functional.ada.resample.resample_antialiased`, nothing here compensates the filter's
phase, and the padding depends on the whole batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as nnf

from kornia_diffaug.functional.ada.resample import lowpass_filter


def _mat(rows: list[list[float]], like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(rows, dtype=like.dtype, device=like.device)


def _translate(tx: float, ty: float, like: torch.Tensor) -> torch.Tensor:
    return _mat([[1, 0, tx], [0, 1, ty], [0, 0, 1]], like)


def _scale(sx: float, sy: float, like: torch.Tensor) -> torch.Tensor:
    return _mat([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], like)


def _fir_axis(x: torch.Tensor, f: torch.Tensor, dim: int, up: int, down: int, pad: tuple[int, int],
              flip: bool, gain: float) -> torch.Tensor:  # fmt: skip
    """Upsample by zero insertion, pad (negative: crop), filter, downsample: along ``dim`` (2 or 3) only."""
    x = x.movedim(dim, -1)
    n = x.shape[-1]
    if up > 1:
        z = x.new_zeros(*x.shape[:-1], n * up)
        z[..., ::up] = x
        x = z
    p0, p1 = pad
    x = nnf.pad(x, (max(p0, 0), max(p1, 0)))
    x = x[..., max(-p0, 0) : x.shape[-1] - max(-p1, 0)]
    k = (f if flip else f.flip(0)) * gain  # conv2d correlates: flip the taps for a true convolution
    lead = x.shape[:-1]
    y = nnf.conv1d(x.reshape(-1, 1, x.shape[-1]), k.view(1, 1, -1).to(x.dtype))
    y = y.view(*lead, -1)[..., ::down]
    return y.movedim(-1, dim)


def reference_resample(images: torch.Tensor, g_inv: torch.Tensor) -> torch.Tensor:
    """Resample ``images (B, C, H, W)`` under ``g_inv (B, 3, 3)`` (centred pixel coordinates, output to input)."""
    b, c, h, w = images.shape
    f = lowpass_filter(images.dtype, images.device)
    taps = f.numel()
    hz_pad = taps // 4
    cx, cy = (w - 1) / 2, (h - 1) / 2

    # 1. Batch-wide reflect margin.
    corners = _mat([[-cx, -cy, 1], [cx, -cy, 1], [cx, cy, 1], [-cx, cy, 1]], images).T  # (3, 4)
    cp = g_inv @ corners  # (B, 3, 4)
    pts = cp[:, :2, :].permute(1, 0, 2).flatten(1)  # (2, B * 4)
    margin = torch.cat([-pts, pts]).max(dim=1).values  # x0, y0, x1, y1
    margin = margin + _mat([hz_pad * 2 - cx, hz_pad * 2 - cy] * 2, images)
    margin = margin.clamp(min=0).minimum(_mat([w - 1, h - 1] * 2, images))
    mx0, my0, mx1, my1 = (int(math.ceil(v)) for v in margin.tolist())
    x = nnf.pad(images, [mx0, mx1, my0, my1], mode="reflect")
    g = _translate((mx0 - mx1) / 2, (my0 - my1) / 2, images) @ g_inv

    # 2. Upsample 2x: convolution with 2 f per axis.
    up_pad = ((taps + 1) // 2, (taps - 2) // 2)
    x = _fir_axis(_fir_axis(x, f, 3, 2, 1, up_pad, False, 2.0), f, 2, 2, 1, up_pad, False, 2.0)
    g = _scale(2, 2, images) @ g @ _scale(0.5, 0.5, images)
    g = _translate(-0.5, -0.5, images) @ g @ _translate(0.5, 0.5, images)

    # 3. Bilinear sampling of the 2x output grid.
    shape = [b, c, (h + hz_pad * 2) * 2, (w + hz_pad * 2) * 2]
    g = _scale(2 / x.shape[3], 2 / x.shape[2], images) @ g @ _scale(shape[3] / 2, shape[2] / 2, images)
    grid = nnf.affine_grid(g[:, :2, :], shape, align_corners=False)
    x = nnf.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    # 4. Crop, correlate with f, keep every second sample.
    down_pad = (-hz_pad * 2 + (taps - 1) // 2, -hz_pad * 2 + (taps - 2) // 2)
    x = _fir_axis(_fir_axis(x, f, 3, 1, 2, down_pad, True, 1.0), f, 2, 1, 2, down_pad, True, 1.0)
    return x


def centred(m_inv: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Pixel-coordinate matrices (origin at pixel ``(0, 0)``) in centred coordinates: ``T(-c) M T(c)``."""
    h, w = size
    t = _translate((w - 1) / 2, (h - 1) / 2, m_inv)
    return torch.linalg.inv(t) @ m_inv @ t
