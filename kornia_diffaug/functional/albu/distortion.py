"""Non-affine distortions with Albumentations' (OpenCV) conventions: per-sample maps and ``cv2.remap``.

A map (B, 2, H, W) holds the source ``(x, y)`` of every output pixel (integer pixel centres, see ``_common``).
No matrix describes it, so keypoints follow by inverting the map (:func:`invert_map`) and boxes by remapping
their pixel masks (:func:`remap_boxes`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..._validate import check_image
from ._common import border_index, sample

__all__ = [
    "elastic_affine_matrix",
    "elastic_map",
    "gaussian_blur_fields",
    "grid_distortion_axis",
    "grid_distortion_map",
    "invert_map",
    "remap",
    "remap_boxes",
]


def remap(
    x: torch.Tensor, map_x: torch.Tensor, map_y: torch.Tensor, interpolation: int = 1, border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``cv2.remap``: ``y[v, u] = x(map_x[v, u], map_y[v, u])`` with per-sample maps (B, H, W) in source pixel
    coordinates; interpolation and border as :func:`warp`."""
    check_image(x)
    return sample(x, map_x, map_y, interpolation, border_mode, fill)


def gaussian_blur_fields(fields: torch.Tensor, sigma: float, rule: str = "opencv") -> torch.Tensor:
    """A separable Gaussian of ``sigma`` pixels on float fields (B, K, H, W).

    ``rule="opencv"`` (2.x): ``cv2.GaussianBlur(ksize=(0, 0), sigma)`` with BORDER_REPLICATE, kernel size
    ``round(8 sigma + 1) | 1`` (OpenCV's rule for float images), on the K fields stacked into one (K H, W) image
    as 2.0.8 does (so the bottom of ``dx`` and the top of ``dy`` blur into each other). ``rule="scipy"`` (1.x):
    ``scipy.ndimage.gaussian_filter(sigma)`` on each field, radius ``int(4 sigma + 0.5)``, symmetric borders
    (``dcba|abcd``)."""
    if rule not in ("opencv", "scipy"):
        raise ValueError(f"rule must be 'opencv' or 'scipy', got {rule!r}")
    b, k, h, w = fields.shape
    if fields.numel() == 0:
        return fields.clone()
    if rule == "opencv" and k > 1:
        return gaussian_blur_fields(fields.reshape(b, 1, k * h, w), sigma, rule).view(b, k, h, w)
    r = int(round(sigma * 8 + 1)) // 2 if rule == "opencv" else int(4.0 * sigma + 0.5)
    mode = "replicate" if rule == "opencv" else "symmetric"
    t = torch.arange(-r, r + 1, device=fields.device, dtype=torch.float64)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    g = g / g.sum()
    mw, mh_t = _blur_matrix(w, g, mode, fields.dtype), _blur_matrix(h, g, mode, fields.dtype).T
    # Each pass is one matrix product with the border folded in (y = x M): far faster than a 1-channel convolution
    # with 8 sigma + 1 taps. One sample per product: a batched product may sum in another order for another batch
    # size, and a sample's field must not depend on the batch it is in (the per-sample contract; chunked subsets).
    return torch.stack([mh_t @ (f @ mw) for f in fields.reshape(b, k, h, w)])


def _blur_matrix(n: int, g: torch.Tensor, mode: str, dtype: torch.dtype) -> torch.Tensor:
    """(n, n) ``M`` with ``(x M)_j = sum_i g_i x[idx(j + i)]``: the 1-D filter ``g`` (2r + 1 taps, float64) on a
    side of ``n`` pixels padded by ``border_index(n, r, mode)``, summed in float64, returned in ``dtype``."""
    r = (g.numel() - 1) // 2
    idx = border_index(n, r, mode, g.device)
    j = torch.arange(n, device=g.device).unsqueeze(1)
    rows = idx[j + torch.arange(2 * r + 1, device=g.device)]  # (n, 2r + 1): source pixel of tap i of output j
    m = torch.zeros(n * n, dtype=torch.float64, device=g.device)
    m.index_add_(0, (rows * n + j).flatten(), g.expand(n, -1).flatten())
    return m.view(n, n).to(dtype)


def elastic_affine_matrix(jitter: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """1.x ``ElasticTransform``'s random affine (``alpha_affine``) as forward matrices (B, 3, 3), float64.

    Three points ``P`` are moved by ``jitter`` (B, 3, 2) pixels and ``M`` maps ``P`` onto ``P + jitter``
    (``cv2.getAffineTransform``). As 1.x wrote it, ``P`` is built from ``c = (H // 2, W // 2)`` and
    ``s = min(H, W) // 3`` read as ``(x, y)``: ``(c + s)``, ``(c_0 + s, c_1 - s)``, ``(c - s)`` -- the centre
    of the transposed image on non-square ones; reproduced, not corrected."""
    h, w = int(size[0]), int(size[1])
    c0, c1, s = float(h // 2), float(w // 2), float(min(h, w) // 3)
    p1 = torch.tensor([[c0 + s, c1 + s], [c0 + s, c1 - s], [c0 - s, c1 - s]], dtype=torch.float64,
                      device=jitter.device)
    p2 = p1 + jitter.to(torch.float64)
    a = torch.cat([p1, torch.ones(3, 1, dtype=torch.float64, device=jitter.device)], 1)  # rows (x, y, 1)
    m = torch.linalg.solve(a, p2).transpose(1, 2)  # (B, 2, 3): m @ (x, y, 1) = moved point
    bottom = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64, device=jitter.device).expand(m.shape[0], 1, 3)
    return torch.cat([m, bottom], 1)


def grid_distortion_axis(steps: torch.Tensor, side: int, num_steps: int, normalized: bool) -> torch.Tensor:
    """Albumentations' ``GridDistortion`` source coordinates along one axis (B, side) from per-sample step
    factors ``steps`` (B, num_steps + 1): cell ``i`` of width ``side // num_steps`` maps linearly onto
    ``[sum_{j<i} s_j * cell, sum_{j<=i} s_j * cell]`` (``normalized`` rescales the steps to span the side)."""
    cell = side // num_steps
    if cell == 0:  # fewer pixels than cells: nothing to distort along this axis
        return torch.arange(side, device=steps.device, dtype=torch.float64).expand(steps.shape[0], side)
    s = steps.to(torch.float64).clone()
    if normalized:
        last = min(side, (num_steps + 1) * cell) - num_steps * cell
        s[:, -1] = s[:, -1] * (last / cell)
        s = s * ((side / math.floor(side / num_steps)) / s.sum(1, keepdim=True))
    ends = torch.cumsum(s * cell, 1)
    starts = ends - s * cell
    j = torch.arange(side, device=steps.device)
    idx = torch.clamp(j // cell, max=num_steps)
    start = idx * cell
    n = torch.clamp(torch.clamp(start + cell, max=side) - start, min=1)
    frac = ((j - start) / torch.clamp(n - 1, min=1)).to(torch.float64)
    lo, hi = starts[:, idx], ends[:, idx]
    return lo + (hi - lo) * frac.view(1, -1)



def _identity_grid(h: int, w: int, like: torch.Tensor) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(h, device=like.device), torch.arange(w, device=like.device), indexing="ij")
    return torch.stack([xs, ys]).to(like.dtype).unsqueeze(0)


def elastic_map(field: torch.Tensor, sigma: float, alpha: float, rule: str = "opencv") -> torch.Tensor:
    """``ElasticTransform``'s map: identity plus ``alpha * G_sigma * field`` (float64), ``field`` (B, K, H, W)
    the raw displacement noise (K = 2 for (dx, dy), or 1 for both), smoothed by :func:`gaussian_blur_fields`
    with ``rule`` in float32 (as 2.0.8 does: the smoothed noise is within 1e-6 of float64's, and a float64
    convolution of sigma-50 kernels is ~14x slower on the CPU), then scaled in float64."""
    f = gaussian_blur_fields(field.to(torch.float32), sigma, rule).to(torch.float64) * alpha
    if f.shape[1] == 1:
        f = f.expand(-1, 2, -1, -1)
    return _identity_grid(f.shape[2], f.shape[3], f) + f


def grid_distortion_map(steps: torch.Tensor, size: tuple[int, int], num_steps: int, normalized: bool) -> torch.Tensor:
    """``GridDistortion``'s map (B, 2, H, W) of an ``(H, W)`` image from per-sample step factors ``steps``
    (B, 2, num_steps + 1), x then y (see :func:`grid_distortion_axis`)."""
    h, w = size
    xx = grid_distortion_axis(steps[:, 0], int(w), num_steps, normalized)
    yy = grid_distortion_axis(steps[:, 1], int(h), num_steps, normalized)
    return torch.stack(torch.broadcast_tensors(xx.unsqueeze(1), yy.unsqueeze(2)), 1)


def invert_map(m: torch.Tensor, points: torch.Tensor, iterations: int = 10) -> torch.Tensor:
    """Output positions ``q`` (B, N, 2) of source points ``p`` (B, N, 2) under the map ``m`` (B, 2, H, W): the
    solution of ``m(q) = p`` by the fixed-point iteration ``q <- q + p - m(q)`` (``m`` read bilinearly with
    replicated borders), in float64."""
    m = m.to(points.device, torch.float64)
    _, _, h, w = m.shape
    p = points.to(torch.float64)
    q = p.clone()
    for _ in range(iterations):
        grid = torch.stack([(2 * q[..., 0] + 1) / w - 1, (2 * q[..., 1] + 1) / h - 1], -1).unsqueeze(1)
        at = F.grid_sample(m, grid, mode="bilinear", padding_mode="border", align_corners=False)[:, :, 0]
        q = q + (p - at.transpose(1, 2))
    return q


def remap_boxes(boxes: torch.Tensor, m: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """Albumentations 2.0.8's ``remap_bboxes``: boxes (B, N, 4) ``[x_min, y_min, x_max, y_max]`` in pixels through
    the map ``m`` (B, 2, H, W), as the box of the remapped box mask.

    Each box becomes the mask of pixels ``round(x_min) <= u <= round(x_max)``, ``round(y_min) <= v <=
    round(y_max)`` (rounded half to even, clamped to the image, so the far edge's pixel is included); the mask is
    remapped with nearest taps and a zero border; the new box is ``[u_min, v_min, u_max, v_max]`` over the
    remapped mask's pixels (pixel indices: the far edge is the last pixel's index, not one past it). A box whose
    mask leaves the image entirely keeps its input coordinates. Output float64; ``chunk`` boxes at a time. (At an
    exact ``.5`` edge Albumentations rounds its float32 normalised coordinates, which may fall either side.)
    """
    b, n = boxes.shape[:2]
    _, _, h, w = m.shape
    box = boxes.to(m.device, torch.float64)
    lo = torch.stack([box[..., 0].round().clamp(0, w - 1), box[..., 1].round().clamp(0, h - 1)], -1)
    hi = torch.stack([box[..., 2].round().clamp(0, w - 1), box[..., 3].round().clamp(0, h - 1)], -1)
    # The nearest source pixel of every output pixel (OpenCV's rounding of remap's nearest taps), and whether
    # it is inside the image (the zero border): an output pixel is in a box's remapped mask when its source is.
    sx, sy = torch.floor(m[:, 0].to(torch.float64) + 0.5), torch.floor(m[:, 1].to(torch.float64) + 0.5)
    inside = ((sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)).view(b, 1, h * w)
    sx, sy = sx.view(b, 1, h * w), sy.view(b, 1, h * w)
    u = torch.arange(w, device=m.device, dtype=torch.float64).repeat(h)
    v = torch.arange(h, device=m.device, dtype=torch.float64).repeat_interleave(w)
    out = []
    for k in range(0, max(n, 1), chunk):
        l, r = lo[:, k : k + chunk], hi[:, k : k + chunk]
        hit = (inside & (sx >= l[..., :1]) & (sx <= r[..., :1]) & (sy >= l[..., 1:]) & (sy <= r[..., 1:]))
        big = torch.tensor(float("inf"), dtype=torch.float64, device=m.device)
        new = torch.stack([torch.where(hit, u, big).amin(-1), torch.where(hit, v, big).amin(-1),
                           torch.where(hit, u, -big).amax(-1), torch.where(hit, v, -big).amax(-1)], -1)
        out.append(torch.where(hit.any(-1, keepdim=True), new, box[:, k : k + chunk]))
    return torch.cat(out, 1) if out else box
