"""Geometric kernels with Albumentations' (OpenCV) conventions: forward 3x3 matrices and ``warp``.

A matrix maps input pixels to output pixels (integer pixel centres, conventions in ``_common``), as
``cv2.warpAffine``/``cv2.warpPerspective`` read it; ``warp`` resamples once with its inverse. All matrices are
float64 ``(B, 3, 3)``. Crops, resizes and pads are in ``crop``.
"""

from __future__ import annotations

import torch
from kornia.geometry.transform import get_perspective_transform

from ..._host import host_reads_free
from ..._validate import check_image
from ._common import sample

__all__ = [
    "affine_matrix",
    "flip_matrix",
    "perspective_matrix",
    "rotate90_matrix",
    "safe_rotate_matrix",
    "transpose_matrix",
    "warp",
]


def _eye(n: int, device: torch.device) -> torch.Tensor:
    return torch.eye(3, dtype=torch.float64, device=device).repeat(n, 1, 1)


def warp(
    x: torch.Tensor,
    matrix: torch.Tensor,
    size: tuple[int, int],
    interpolation: int = 1,
    border_mode: int = 0,
    fill: float | tuple[float, ...] = 0.0,
) -> torch.Tensor:
    """``y[v, u] = x(M^-1 (u, v, 1))``: OpenCV's ``warpPerspective`` with a forward matrix ``M`` (B, 3, 3).

    ``interpolation``: OpenCV flag 0 nearest, 1 linear, 2 cubic. ``border_mode``: 0 constant (``fill``),
    1 replicate, 2 reflect, 4 reflect-101. ``size`` is the output ``(H, W)``. Differentiable in ``x``.
    """
    check_image(x)
    b = x.shape[0]
    oh, ow = size
    inv = torch.linalg.inv(matrix.to(device=x.device, dtype=torch.float64)) if b else matrix.to(torch.float64)
    # Source coordinates by broadcasting (B, 1, OW) against (B, OH, 1), not a (B, OH*OW, 3) product: the same
    # sums per pixel at a fraction of the memory. An affine inverse (last row 0, 0, 1, read on the CPU only, where
    # it costs no sync) skips the division by w = 1; an axis-aligned one keeps the coordinates separable.
    u = torch.arange(ow, device=x.device, dtype=torch.float64).view(1, 1, ow)
    v = torch.arange(oh, device=x.device, dtype=torch.float64).view(1, oh, 1)
    r = inv.reshape(b, 9, 1, 1).unbind(1)
    cpu = host_reads_free(x)
    affine = cpu and b > 0 and bool((inv[:, 2] == torch.tensor([0.0, 0.0, 1.0], dtype=inv.dtype)).all())
    if affine and bool((inv[:, 0, 1] == 0).all() and (inv[:, 1, 0] == 0).all()):
        # x' = a u + c, y' = e v + f: the sums a u + 0 v + c and 0 u + e v + f, with the zero terms dropped.
        return sample(x, r[0] * u + r[2], r[4] * v + r[5], interpolation, border_mode, fill)
    if affine and not (torch.is_grad_enabled() and matrix.requires_grad):
        # Each map in two small parts, a u + c and b v: the sampler sums them once over its grid.
        return sample(x, (r[0] * u + r[2], r[1] * v), (r[3] * u + r[5], r[4] * v), interpolation, border_mode, fill)
    sx = r[0] * u + r[1] * v + r[2]
    sy = r[3] * u + r[4] * v + r[5]
    if not affine:
        w = r[6] * u + r[7] * v + r[8]
        sx, sy = sx / w, sy / w
    return sample(x, sx, sy, interpolation, border_mode, fill)


def affine_matrix(
    translate: torch.Tensor,
    shear: torch.Tensor,
    scale: torch.Tensor,
    angle: torch.Tensor,
    center: tuple[float, float],
) -> torch.Tensor:
    """Albumentations' affine matrix ``T_c T_t Sh R S T_-c`` (B, 3, 3), input -> output pixels.

    ``translate`` (B, 2) pixels, ``shear`` (B, 2) degrees as used in the matrix (Albumentations negates the
    sampled shear), ``scale`` (B, 2), ``angle`` (B,) degrees (positive is counter-clockwise on screen),
    ``center`` = ``(W / 2 - 0.5, H / 2 - 0.5)``.
    """
    dt = torch.float64
    dev = angle.device
    b = angle.shape[0]
    a = torch.deg2rad(angle.to(dt) % 360)
    c, s = torch.cos(a), torch.sin(a)
    eye = torch.eye(3, dtype=dt, device=dev).repeat(b, 1, 1)
    rot = eye.clone()
    rot[:, 0, 0], rot[:, 0, 1], rot[:, 1, 0], rot[:, 1, 1] = c, s, -s, c
    sc = eye.clone()
    sc[:, 0, 0], sc[:, 1, 1] = scale[:, 0].to(dt), scale[:, 1].to(dt)
    sh = eye.clone()
    sh[:, 0, 1] = torch.tan(torch.deg2rad(shear[:, 0].to(dt)))
    sh[:, 1, 0] = torch.tan(torch.deg2rad(shear[:, 1].to(dt)))
    tr = eye.clone()
    tr[:, 0, 2] = translate[:, 0].to(dt) + center[0]
    tr[:, 1, 2] = translate[:, 1].to(dt) + center[1]
    to_origin = eye.clone()
    to_origin[:, 0, 2], to_origin[:, 1, 2] = -center[0], -center[1]
    return tr @ sh @ rot @ sc @ to_origin



def safe_rotate_matrix(angle: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``SafeRotate``: rotate by ``angle`` (B,) degrees (counter-clockwise) about the centre of an ``(H, W)``
    image, then scale so the whole rotated image fits the original size.

    ``M = S R'``: ``R'`` is the rotation re-centred on the rotated bounding box ``(W', H') = (int(H |sin| +
    W |cos|), int(H |cos| + W |sin|))`` and ``S = diag(W / W', H / H', 1)``.
    """
    h, w = size
    a = torch.deg2rad(angle.to(torch.float64))
    c, s = torch.cos(a), torch.sin(a)
    cx, cy = w / 2 - 0.5, h / 2 - 0.5
    new_w = torch.floor(h * s.abs() + w * c.abs()).clamp(min=1)
    new_h = torch.floor(h * c.abs() + w * s.abs()).clamp(min=1)
    m = _eye(angle.shape[0], angle.device)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, s, -s, c
    m[:, 0, 2] = (1 - c) * cx - s * cy + new_w / 2 - cx
    m[:, 1, 2] = s * cx + (1 - c) * cy + new_h / 2 - cy
    sc = _eye(angle.shape[0], angle.device)
    sc[:, 0, 0], sc[:, 1, 1] = w / new_w, h / new_h
    return sc @ m


def perspective_matrix(noise: torch.Tensor, scale: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``Perspective`` (``keep_size=True``, ``fit_output=False``) of an ``(H, W)`` image.

    Corner jitters are ``|noise scale| mod 0.32`` of the side (``noise`` (B, 4, 2) standard normal, ``scale``
    (B,)), inward from the corners (top-left, top-right, bottom-right, bottom-left; ``(x, y)``). The corners are
    ordered as Albumentations' ``order_points``; ``M = S P`` with ``P`` the homography of the quadrilateral onto
    the image corners and ``S`` the rescaling from the quadrilateral's widest/tallest extent to ``(W, H)``.
    """
    h, w = size
    n, dev = noise.shape[0], noise.device
    pts = torch.remainder((noise.to(torch.float64) * scale.to(torch.float64).view(-1, 1, 1)).abs(), 0.32)
    pts[:, 1, 0] = 1 - pts[:, 1, 0]
    pts[:, 2] = 1 - pts[:, 2]
    pts[:, 3, 1] = 1 - pts[:, 3, 1]
    pts = pts * torch.tensor([w, h], dtype=torch.float64, device=dev)
    # Order as top-left, top-right, bottom-right, bottom-left (Albumentations' order_points).
    by_x = pts.gather(1, pts[..., 0].argsort(1).unsqueeze(-1).expand(-1, -1, 2))
    left, right = by_x[:, :2], by_x[:, 2:]
    lsw = (left[:, 0, 1] >= left[:, 1, 1]).view(-1, 1)
    rsw = (right[:, 0, 1] >= right[:, 1, 1]).view(-1, 1)
    tl = torch.where(lsw, left[:, 1], left[:, 0])
    bl = torch.where(lsw, left[:, 0], left[:, 1])
    tr = torch.where(rsw, right[:, 1], right[:, 0])
    br = torch.where(rsw, right[:, 0], right[:, 1])
    src = torch.stack([tl, tr, br, bl], 1)
    dst = torch.tensor([[0, 0], [w, 0], [w, h], [0, h]], dtype=torch.float64, device=dev).expand(n, 4, 2)
    m = get_perspective_transform(src, dst.contiguous())
    max_w = torch.maximum((tr - tl).norm(dim=1), (br - bl).norm(dim=1)).floor().clamp(min=1)
    max_h = torch.maximum((br - tr).norm(dim=1), (bl - tl).norm(dim=1)).floor().clamp(min=1)
    sc = _eye(n, dev)
    sc[:, 0, 0], sc[:, 1, 1] = w / max_w, h / max_h
    return sc @ m


def rotate90_matrix(k: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``np.rot90`` by ``k`` (B,) quarter turns counter-clockwise (integers 0..3) of a square ``(H, W)`` image:
    ``R^k`` with ``R (x, y) = (y, W - 1 - x)``."""
    w = size[1]
    r = torch.tensor([[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]], dtype=torch.float64, device=k.device)
    powers = torch.stack([torch.linalg.matrix_power(r, i) for i in range(4)])
    return powers[k]


def transpose_matrix(n: int, device: torch.device) -> torch.Tensor:
    """``Transpose``: ``(x, y) -> (y, x)``, ``n`` copies (the output of an ``(H, W)`` image is ``(W, H)``)."""
    m = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=torch.float64, device=device)
    return m.expand(n, 3, 3).clone()


def flip_matrix(d: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """1.x ``Flip`` (``cv2.flip`` codes) per sample, ``d`` (B,) in {-1, 0, 1}: 1 mirrors x (``u' = W - 1 - u``),
    0 mirrors y (``v' = H - 1 - v``), -1 both (a half turn)."""
    h, w = size
    b = d.shape[0]
    fx = (d != 0).to(torch.float64)
    fy = (d != 1).to(torch.float64)
    m = torch.eye(3, dtype=torch.float64, device=d.device).repeat(b, 1, 1)
    m[:, 0, 0], m[:, 0, 2] = 1 - 2 * fx, fx * (w - 1)
    m[:, 1, 1], m[:, 1, 2] = 1 - 2 * fy, fy * (h - 1)
    return m
