"""The single resampling of StyleGAN2-ADA (Karras et al. 2020) under per-sample 3x3 pixel matrices.

:func:`resample_antialiased`: upsample 2x with the paper's ``sym6`` low-pass filter, read the upsampled image
with bilinear interpolation at the transformed positions of a 2x output grid, and low-pass filter/downsample
back. Outside the image the content is mirrored (``reflect`` padding, the edge pixel not repeated); the
reflection is applied to the coordinates, so no batch-dependent padding size (and no host sync) is needed.
:func:`resample_nearest` is the exact counterpart for pixel-aligned transforms and label masks. Matrices
come from :func:`kornia_diffaug.functional.ada.geometry.geometry_matrices` (output-to-input ``M_inv``).
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as tF

from ..._host import host_reads_free
from ..._validate import check_image
from .._conv import conv2d, conv_transpose2d

__all__ = ["SYM6", "lowpass_filter", "reflect_coordinates", "resample_antialiased", "resample_nearest"]

# Daubechies symlet 6 low-pass decomposition filter (12 taps), the anti-aliasing filter of StyleGAN2-ADA.
SYM6 = (
    0.015404109327027373, 0.0034907120842174702, -0.11799011114819057, -0.048311742585633,
    0.4910559419267466, 0.787641141030194, 0.3379294217276218, -0.07263752278646252,
    -0.021060292512300564, 0.04472490177066578, 0.0017677118642428036, -0.007800708325034148,
)  # fmt: skip


def lowpass_filter(dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """The ``sym6`` filter normalised to unit sum, ``(12,)``."""
    f = torch.tensor(SYM6, dtype=torch.float64)
    return (f / f.sum()).to(dtype=dtype, device=device)


# The default taps as host numbers, as each compute dtype holds them (no tensor built per call).
_SYM6_TAPS = {
    dt: tuple(lowpass_filter(torch.float64).to(dt).double().tolist()) for dt in (torch.float32, torch.float64)
}


def reflect_coordinates(c: torch.Tensor, n: int) -> torch.Tensor:
    """Mirror coordinates into ``[0, n - 1]`` about the edge pixels (``reflect``: the edge is not repeated)."""
    if n == 1:
        return torch.zeros_like(c)
    period = 2 * (n - 1)
    m = torch.remainder(c, period)
    return torch.minimum(m, period - m)  # m for m <= n - 1, else period - m


def _source_points(m_inv: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Input coordinates ``(B, len(ys), len(xs))`` read by the output points ``xs x ys`` under ``m_inv``."""
    a = m_inv[:, :2, :].unsqueeze(-1).unsqueeze(-1)  # (B, 2, 3, 1, 1)
    xg, yg = xs.view(1, -1), ys.view(-1, 1)
    src = a[:, :, 0] * xg + a[:, :, 1] * yg + a[:, :, 2]
    return src[:, 0], src[:, 1]


def resample_nearest(x: torch.Tensor, m_inv: torch.Tensor) -> torch.Tensor:
    """Read each output pixel from the nearest input pixel of ``m_inv @ (u, v, 1)``, mirrored at the borders.

    Exact (a pure gather) for pixel-aligned transforms (flips, quarter turns, integer shifts), and the right
    sampler for label masks. Works for any dtype, including integer masks.

    Args:
        x: ``(B, C, H, W)``.
        m_inv: ``(B, 3, 3)`` output-to-input pixel-coordinate matrices.
    """
    b, c, h, w = x.shape
    cdt = m_inv.dtype if m_inv.dtype in (torch.float32, torch.float64) else torch.float32
    m_inv = m_inv.to(device=x.device, dtype=cdt)
    xs = torch.arange(w, device=x.device, dtype=cdt)
    ys = torch.arange(h, device=x.device, dtype=cdt)
    sx, sy = _source_points(m_inv, xs, ys)
    sx = reflect_coordinates(sx.round(), w).long()
    sy = reflect_coordinates(sy.round(), h).long()
    index = (sy * w + sx).view(b, 1, h * w).expand(b, c, h * w)
    return torch.gather(x.reshape(b, c, h * w), 2, index).view(b, c, h, w)


def _upsample2x(x: torch.Tensor, f: torch.Tensor, dim: int) -> torch.Tensor:
    """Upsample along ``dim`` (2 or 3) by 2: sample ``k`` of the result sits at ``k / 2 - 1/4``.

    Zero insertion and the filter ``2 f`` (a transposed strided convolution, the adjoint of
    :func:`_downsample2x`); the input is reflect-padded so the border samples get full filter support.
    """
    n, taps = x.shape[dim], f.numel()
    pad = -(-taps // 4)
    idx = reflect_coordinates(torch.arange(-pad, n + pad, device=x.device, dtype=torch.float64), n).long()
    xp = x.index_select(dim, idx)
    weight = (2 * f).view(1, 1, *((1, taps) if dim == 3 else (taps, 1)))
    stride = (1, 2) if dim == 3 else (2, 1)
    y = conv_transpose2d(xp, weight, stride=stride)
    start = taps // 2 - 1 + 2 * pad
    return y.narrow(dim, start, 2 * n)


def _downsample2x(v: torch.Tensor, f: torch.Tensor, dim: int) -> torch.Tensor:
    """Filter with ``f`` and keep every second sample along ``dim`` (valid convolution, no padding)."""
    taps = f.numel()
    weight = f.view(1, 1, *((1, taps) if dim == 3 else (taps, 1)))
    return conv2d(v, weight, stride=(1, 2) if dim == 3 else (2, 1))


def _margin(taps: int) -> int:
    """Reflect margin (input pixels) kept before upsampling: the down filter reads ``taps / 4 - 1/4`` pixels out."""
    return math.ceil((taps / 2 - 1) / 2 + 0.25)


class _AxisOp:
    """A linear map ``A (n_in, n_out)`` along one axis: ``y = x @ A`` (``dim=-1``) or ``A^T x`` (``dim=-2``).

    Banded: output block ``[o0, o1)`` (``block`` samples) reads only the inputs ``[r0, r1)`` where its columns
    of ``A`` are non-zero, so the map costs about ``K = r1 - r0`` instead of ``n_in`` multiply-adds per output.
    Each block is one matrix product on a strided view of the input (columns ``r0:r1``, or the slab of rows
    ``r0:r1``) stored into its slice of the output: no padding, window or transpose copies, along either axis.
    Dense (``block=None``): one matrix product, the better choice for short axes and, up to large sizes, on
    accelerators (see :func:`_block_size`).
    """

    def __init__(self, a: torch.Tensor, block: int | None) -> None:
        self.n_in, self.n_out = a.shape
        self.adjoint: _AxisOp | None = None
        self.dense: torch.Tensor | None = a if block is None else None
        self.blocks: list[tuple[int, int, int, int]] = []
        self.weights: list[torch.Tensor] = []  # (K, S) per block, for dim=-1
        self.weights_t: list[torch.Tensor] = []  # (S, K) per block, for dim=-2
        if block is None:
            return
        used = a.ne(0)
        for o0 in range(0, self.n_out, block):
            o1 = min(o0 + block, self.n_out)
            rows = used[:, o0:o1].any(dim=1).nonzero().flatten()
            if rows.numel() == 0:
                r0 = r1 = 0
            else:
                r0, r1 = int(rows[0]), int(rows[-1]) + 1
            self.blocks.append((r0, r1, o0, o1))
            self.weights.append(a[r0:r1, o0:o1].contiguous())
        self.weights_t = [wt.T.contiguous() for wt in self.weights]

    def to(self, dtype: torch.dtype, device: str) -> _AxisOp:
        if self.dense is not None:
            self.dense = self.dense.to(dtype=dtype, device=device)
        self.weights = [wt.to(dtype=dtype, device=device) for wt in self.weights]
        self.weights_t = [wt.to(dtype=dtype, device=device) for wt in self.weights_t]
        return self

    def __call__(self, x: torch.Tensor, dim: int = -1) -> torch.Tensor:
        """Apply along ``dim`` (-1 or -2) of ``x``; with a gradient, the backward applies the (banded) transpose."""
        if self.adjoint is not None and self.dense is None and torch.is_grad_enabled() and x.requires_grad:
            return _BandedMap.apply(x, self, self.adjoint, dim)
        return self.apply_(x, dim)

    def apply_(self, x: torch.Tensor, dim: int = -1) -> torch.Tensor:
        if dim == -1:
            if self.dense is not None:
                return x @ self.dense
            x2 = x.reshape(-1, self.n_in)
            y = x2.new_empty(x2.shape[0], self.n_out)
            for (r0, r1, o0, o1), wt in zip(self.blocks, self.weights, strict=True):
                if r1 > r0:
                    torch.mm(x2[:, r0:r1], wt, out=y[:, o0:o1])
                else:
                    y[:, o0:o1] = 0
            return y.view(*x.shape[:-1], self.n_out)
        if dim != -2:
            raise ValueError(f"dim must be -1 or -2, got {dim}")
        if self.dense is not None:
            return torch.matmul(self.dense.T, x)
        x3 = x.reshape(-1, self.n_in, x.shape[-1])
        y = x3.new_empty(x3.shape[0], self.n_out, x3.shape[-1])
        for (r0, r1, o0, o1), wt in zip(self.blocks, self.weights_t, strict=True):
            if r1 > r0:  # (a product into a fresh tensor runs batch-parallel; ``out=`` a slice does not)
                y[:, o0:o1] = torch.matmul(wt, x3[:, r0:r1])
            else:
                y[:, o0:o1] = 0
        return y.view(*x.shape[:-2], self.n_out, x.shape[-1])


class _BandedMap(torch.autograd.Function):
    """``y = A`` applied along ``dim``, whose backward applies the banded ``A^T`` the same way."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, op: _AxisOp, adj: _AxisOp, dim: int) -> torch.Tensor:  # type: ignore[override]
        ctx.ops, ctx.dim = (op, adj), dim
        return op.apply_(x, dim)

    @staticmethod
    def backward(ctx, g: torch.Tensor):  # type: ignore[override]
        op, adj = ctx.ops
        return adj(g, ctx.dim), None, None, None


def _with_adjoint(a: torch.Tensor, block: int | None, dtype: torch.dtype, device: str) -> _AxisOp:
    op = _AxisOp(a, block).to(dtype, device)
    adj = _AxisOp(a.T.contiguous(), block).to(dtype, device)
    op.adjoint, adj.adjoint = adj, op
    return op


# Axes at least this long use the banded operators on CPU (shorter ones: one dense product is as fast), in
# blocks of 16 outputs (measured best at 256 px). Accelerators take one dense product up to
# _BANDED_MIN_ACCEL (a few launches beat many small ones), beyond that blocks of 256 outputs.
_BANDED_MIN = 96
_BANDED_MIN_ACCEL = 1024


def _block_size(device_type: str, n: int) -> int | None:
    """Outputs per block of the banded axis maps, or ``None`` for one dense product."""
    if device_type == "cpu":
        return 16 if n >= _BANDED_MIN else None
    return 256 if n >= _BANDED_MIN_ACCEL else None


@functools.lru_cache(maxsize=32)
def _axis_operators(n: int, filt: tuple[float, ...], dtype: torch.dtype, device: str) -> tuple[_AxisOp, _AxisOp]:
    """The 1-D linear maps of :func:`resample_antialiased` along an axis of length ``n``.

    ``up (n -> 2 (n + 2q))``: reflect-pad by ``q`` (:func:`_margin`) and upsample 2x; ``down (2n + taps - 2 -> n)``:
    filter and keep every second sample. As (banded) matrix products they are much faster on CPU than
    one-channel strided convolutions, and the same maps serve every sample.
    """
    f = torch.tensor(filt, dtype=torch.float64)
    taps, q = f.numel(), _margin(f.numel())
    eye = torch.eye(n, dtype=torch.float64).view(n, 1, 1, n)
    cols = reflect_coordinates(torch.arange(-q, n + q, dtype=torch.float64), n).long()
    up = _upsample2x(eye.index_select(3, cols), f, 3).reshape(n, -1)
    m = 2 * n + taps - 2
    down = _downsample2x(torch.eye(m, dtype=torch.float64).view(m, 1, 1, m), f, 3).reshape(m, n)
    block = _block_size(torch.device(device).type, n)
    return _with_adjoint(up, block, dtype, device), _with_adjoint(down, block, dtype, device)


def resample_antialiased(
    x: torch.Tensor, m_inv: torch.Tensor, filt: torch.Tensor | None = None, *, compensate_phase: bool = True
) -> torch.Tensor:
    """Resample ``x`` once under ``m_inv`` with 2x oversampling, as StyleGAN2-ADA does.

    ``y = D( bilinear( U(x), reflect(m_inv @ p) ) )`` where ``U`` upsamples 2x with the low-pass ``filt``
    (default ``sym6``), ``p`` runs over a 2x grid of output positions and ``D`` filters with ``filt`` and
    keeps every second sample. ``D U`` is the identity in the interior for an orthogonal wavelet filter, so
    pixel-aligned transforms stay sharp while rotations and scalings are anti-aliased.

    Phase: ``sym6`` is not linear-phase. ``U`` moves content by ``d = ((taps - 1) / 2 - sum_k k f_k) / 2``
    input pixels (0.20 px for ``sym6``) and ``D`` by ``-d``. These cancel for translations, but reading at
    ``m_inv p`` would leave ``y(i) = x(m_inv (i - d) + d)``, off by ``(I - A) d`` (``A`` the linear part of
    ``m_inv``) for rotations and scalings. The grid reads at ``m_inv (p + s) - s``: ``s = d`` by default, so
    the content moves exactly as ``m_inv`` says and keypoints, boxes and masks transformed by the same matrix
    stay on it; ``compensate_phase=False`` takes ``s = 1/4``, the half-pixel convention of the paper's
    release, which leaves ``(I - A) (1/4 - d)`` (up to 0.14 px at a half turn) and reproduces its output
    (tested against ``benchmarks/reference_ada.py``).

    Float16/bfloat16 images are processed in float32 and cast back; gradients flow to ``x``.

    Args:
        x: images ``(B, C, H, W)``.
        m_inv: ``(B, 3, 3)`` output-to-input pixel-coordinate matrices.
        filt: 1-D low-pass filter with unit sum and an even number of taps.
        compensate_phase: content follows ``m_inv`` exactly (``True``) or as in the paper's release (``False``).
    """
    check_image(x)
    b, c, h, w = x.shape
    if x.numel() == 0:
        return x.clone()
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    # The taps on the host: cache key of the axis maps, and the phase.
    key = _SYM6_TAPS[cdt] if filt is None else tuple(filt.to(device=x.device, dtype=cdt).double().cpu().tolist())
    taps = len(key)
    if taps % 2:
        raise ValueError(f"filt must have an even number of taps, got {taps}")
    m_inv = m_inv.to(device=x.device, dtype=cdt)
    # Sampling phase (see above): read at A (p + s) + t - s, i.e. t += (A - I) s along both axes.
    s = ((taps - 1) / 2 - sum(k * v for k, v in enumerate(key)) / sum(key)) / 2 if compensate_phase else 0.25
    m_inv = torch.cat([m_inv[:, :2, :2], m_inv[:, :2, 2:] + (m_inv[:, :2, :2].sum(-1, keepdim=True) - 1) * s], -1)

    # Reflect-pad by a fixed margin first (as the paper pads before upsampling), so the positions the
    # down filter reads around a pixel-aligned transform are the upsampled padded image itself; positions
    # further out are mirrored into the image (coordinates only: no batch-dependent padding size).
    q = _margin(taps)
    up_h, down_h = _axis_operators(h, key, cdt, str(x.device))
    up_w, down_w = _axis_operators(w, key, cdt, str(x.device))
    # Separable: along W, then along H (as banded products on CPU: no transposes).
    xc = (x if x.dtype == cdt else x.to(cdt)).reshape(b * c, h, w)
    u = up_h(up_w(xc, -1), -2).view(b, c, 2 * (h + 2 * q), 2 * (w + 2 * q))

    # Output grid at 2x: sample j sits at j / 2 - 1/4, j = -(taps/2 - 1) .. 2n + taps/2 - 2 (what D needs).
    lo = -(taps // 2 - 1)
    xs = torch.arange(lo, 2 * w + taps // 2 - 1, device=x.device, dtype=cdt) / 2 - 0.25
    ys = torch.arange(lo, 2 * h + taps // 2 - 1, device=x.device, dtype=cdt) / 2 - 0.25
    grid = _sampling_grid(m_inv, xs, ys, (h, w), q)
    v = tF.grid_sample(u, grid, mode="bilinear", padding_mode="border", align_corners=False)

    # Along H first: the large map reads whole rows (cheapest), and its adjoint in the backward likewise.
    y = down_w(down_h(v.reshape(b * c, *v.shape[-2:]), -2), -1)
    return y.reshape(b, c, h, w).to(x.dtype)


def _sampling_grid(
    m_inv: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor, size: tuple[int, int], q: int
) -> torch.Tensor:
    """``grid_sample`` grid ``(B, len(ys), len(xs), 2)`` on the ``q``-padded, 2x-upsampled image.

    Source points ``m_inv @ (x, y, 1)`` within the margin ``[-q, n - 1 + q]`` read the padded image; those
    further out are mirrored into the image (``reflect``).
    """
    grid = m_inv.new_empty(m_inv.shape[0], ys.numel(), xs.numel(), 2)
    # Each coordinate is a contiguous plane (a strided grid[..., axis] is several times slower to work on).
    for axis, (s, n) in enumerate(zip(_source_points(m_inv, xs, ys), (size[1], size[0]), strict=True)):
        # Mirror only what lies outside the margin, |s - c| > c + q with c = (n - 1) / 2. Float arithmetic
        # throughout: masks mixed into float ops are several times slower on CPU.
        c = (n - 1) / 2
        d = (s - c).abs_()
        if not host_reads_free(s) or bool(d.max() > c + q):  # CPU: skip the pass when nothing is outside
            outside = d.sub_(c + q).sign_().clamp_(min=0)  # 1 outside the margin, 0 inside
            s.addcmul_(outside, reflect_coordinates(s, n).sub_(s))
        # Normalised coordinates of the padded upsampled image (align_corners=False): s -> (2 (s + q) + 1) / Wp - 1.
        if torch.compiler.is_compiling():  # Dynamo does not write ``out=`` into a strided view
            grid[..., axis] = s.mul_(2 / (n + 2 * q)).add_((2 * q + 1) / (n + 2 * q) - 1)
        else:
            torch.add(s.mul_(2 / (n + 2 * q)), (2 * q + 1) / (n + 2 * q) - 1, out=grid[..., axis])
    return grid
