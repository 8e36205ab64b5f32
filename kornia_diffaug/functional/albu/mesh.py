"""scikit-image's ``PiecewiseAffineTransform`` on a regular grid, as Albumentations 1.x's and imgaug's
``PiecewiseAffine`` warp with it (``skimage.transform.warp``), and their keypoint rule (warped distance maps).

The grid: ``rows x cols`` source points ``(x_j, y_i) = (j W / (cols - 1), i H / (rows - 1))`` (``np.linspace(0, W,
cols)`` by ``np.linspace(0, H, rows)``: the far points lie one pixel past the last pixel centre), row-major. skimage
triangulates them (``scipy.spatial.Delaunay``) and estimates one affine per triangle taking its source points to
their moved ones; output pixel ``p`` reads the input at the affine of the source triangle that holds ``p``. The
points of a grid cell are cocircular, so which diagonal splits a cell is Qhull's tie-break: it is read from
scipy's own triangulation of the same points (:func:`mesh_diagonals`, on the host, cached), everything per pixel
is batched tensor maths. Inside a triangle the affine is the barycentric blend of the moved corners, so the map is
differentiable in the moved points. Pure functions; no randomness.
"""

from __future__ import annotations

import functools

import torch

__all__ = ["mesh_diagonals", "mesh_keypoints", "piecewise_affine_mesh_map"]


def _linspace(n: int, stop: float) -> list[float]:
    """``np.linspace(0, stop, n)`` value for value (``j * step``, the last point exactly ``stop``)."""
    step = stop / (n - 1)
    return [j * step for j in range(n - 1)] + [float(stop)]


@functools.lru_cache(maxsize=1024)
def mesh_diagonals(rows: int, cols: int, size: tuple[int, int]) -> tuple[tuple[bool, ...], ...]:
    """Which diagonal scipy's Delaunay triangulation of the grid (as skimage receives it: ``(x, y)`` points,
    row-major, float64) puts in each of the ``(rows - 1) x (cols - 1)`` cells: ``True`` for the one from the cell's
    top-left to its bottom-right corner, ``False`` for top-right to bottom-left. Needs scipy; raises
    ``RuntimeError`` if a triangle is not half of one cell (the map below assumes it is)."""
    try:
        import numpy as np
        from scipy.spatial import Delaunay
    except ImportError as e:  # pragma: no cover - scipy comes with scikit-image and Albumentations
        raise ImportError("the 1.x / imgaug PiecewiseAffine mesh needs scipy (pip install scipy): its Delaunay "
                          "triangulation decides each cell's diagonal") from e
    h, w = size
    xx, yy = np.meshgrid(np.array(_linspace(cols, w)), np.array(_linspace(rows, h)))
    tri = Delaunay(np.stack([xx.ravel(), yy.ravel()], 1)).simplices
    diag: dict[tuple[int, int], set[bool]] = {}
    for simplex in tri.tolist():
        ij = [divmod(k, cols) for k in simplex]
        i0, j0 = min(i for i, _ in ij), min(j for _, j in ij)
        corners = {(i - i0, j - j0) for i, j in ij}
        if len(corners) != 3 or not corners <= {(0, 0), (0, 1), (1, 0), (1, 1)}:
            raise RuntimeError(f"Delaunay of the {rows} x {cols} grid on {size} has a triangle across cells: {ij}")
        diag.setdefault((i0, j0), set()).add({(0, 0), (1, 1)} <= corners)
    if len(tri) != 2 * (rows - 1) * (cols - 1) or any(len(v) != 1 for v in diag.values()):
        raise RuntimeError(f"Delaunay of the {rows} x {cols} grid on {size} does not split each cell in two")
    return tuple(tuple(diag[(i, j)].pop() for j in range(cols - 1)) for i in range(rows - 1))


def _axis(n: torch.Tensor, side: int, pos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per sample, the cell index of each pixel coordinate ``pos`` along an axis of ``n`` (B,) grid points on
    ``[0, side]``, and the cell's two ends: ``(k, lo, hi)``, each ``(B, len(pos))``."""
    step = side / (n.to(torch.float64) - 1).view(-1, 1)
    k = torch.floor(pos.view(1, -1) / step).clamp(min=0)
    k = torch.minimum(k, (n - 2).to(torch.float64).view(-1, 1))
    hi = torch.where(k + 1 == (n - 1).view(-1, 1), torch.full_like(step, float(side)), (k + 1) * step)
    return k.long(), k * step, hi


def piecewise_affine_mesh_map(moved: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, diagonals: torch.Tensor,
                              size: tuple[int, int]) -> torch.Tensor:
    """The map (B, 2, H, W) of source ``(x, y)`` of every output pixel: skimage's ``PiecewiseAffineTransform``
    estimated from the grid to ``moved``, evaluated at the pixel centres.

    Args:
        moved: (B, R * C, 2) moved grid points ``(x, y)`` in pixels, row-major on the ``R x C`` padded grid
            (``R``, ``C`` the largest ``rows``, ``cols``; entries past a sample's own grid are not read).
        rows, cols: (B,) integer grid size of each sample, ``>= 2``.
        diagonals: (B, R - 1, C - 1) bool, each cell's diagonal (:func:`mesh_diagonals`, padded).
        size: the image ``(H, W)``.

    In the cell ``[x_j, x_j+1] x [y_i, y_i+1]`` with local coordinates ``u = (x - x_j) / (x_j+1 - x_j)``, ``v``
    likewise, and moved corners ``P00, P01`` (top) ``P10, P11`` (bottom), each triangle is ``O + u A + v B``:
    top-left diagonal, ``u >= v``: ``(P00, P01 - P00, P11 - P01)``, else ``(P00, P11 - P10, P10 - P00)``; top-right
    diagonal, ``u + v <= 1``: ``(P00, P01 - P00, P10 - P00)``, else ``(P01 + P10 - P11, P11 - P10, P11 - P01)``.
    Every pixel lies in the grid's hull, so none maps to skimage's ``-1`` (outside the mesh). float64.
    """
    h, w = size
    b = moved.shape[0]
    dev = moved.device
    big_r, big_c = diagonals.shape[-2] + 1, diagonals.shape[-1] + 1
    i, y0, y1 = _axis(rows.to(dev), h, torch.arange(h, device=dev, dtype=torch.float64))  # (B, H)
    j, x0, x1 = _axis(cols.to(dev), w, torch.arange(w, device=dev, dtype=torch.float64))  # (B, W)
    v = ((torch.arange(h, device=dev, dtype=torch.float64) - y0) / (y1 - y0)).view(b, h, 1)
    u = ((torch.arange(w, device=dev, dtype=torch.float64) - x0) / (x1 - x0)).view(b, 1, w)
    g = moved.to(torch.float64).view(b, big_r, big_c, 2)
    p00, p01, p10, p11 = g[:, :-1, :-1], g[:, :-1, 1:], g[:, 1:, :-1], g[:, 1:, 1:]
    d = diagonals.to(dev).unsqueeze(-1)
    first = torch.cat([p00, p01 - p00, torch.where(d, p11 - p01, p10 - p00)], -1)  # (B, R-1, C-1, 6): O, A, B
    second = torch.cat([torch.where(d, p00, p01 + p10 - p11), p11 - p10, torch.where(d, p10 - p00, p11 - p01)], -1)
    coef = torch.stack([first, second], 3).reshape(b, (big_r - 1) * (big_c - 1) * 2, 6)  # per cell: its two triangles
    cell = i.view(b, h, 1) * (big_c - 1) + j.view(b, 1, w)  # (B, H, W)
    top_left = diagonals.to(dev).flatten(1).gather(1, cell.reshape(b, h * w)).view(b, h, w)
    other = torch.where(top_left, u < v, u + v > 1)
    c = coef.gather(1, (cell * 2 + other).reshape(b, h * w, 1).expand(b, h * w, 6)).view(b, h, w, 6)
    mx = c[..., 0] + u * c[..., 2] + v * c[..., 4]
    my = c[..., 1] + u * c[..., 3] + v * c[..., 5]
    return torch.stack([mx, my], 1)


def mesh_keypoints(m: torch.Tensor, points: torch.Tensor, threshold: float | None, chunk_elems: int = 1 << 22
                   ) -> torch.Tensor:
    """1.x's ``keypoint_piecewise_affine``: each point ``k`` (B, N, 2) becomes the first output pixel, row-major,
    of the highest value of its inverted distance map ``1 / (|q - k| + 1)`` (float32, as 1.x builds it) warped
    with nearest taps (``q = floor(m(p) + 0.5)``, 0 outside the image) by the map ``m`` (B, 2, H, W); ``(-1, -1)``
    when that value is below ``threshold`` (``None``: always found). Whole pixels, no gradient; ``chunk_elems``
    bounds the ``N x H x W`` values held at once."""
    b, _, h, w = m.shape
    n = points.shape[1]
    q = torch.floor(m.to(torch.float64) + 0.5).flatten(2)  # (B, 2, HW)
    inside = ((q[:, 0] >= 0) & (q[:, 0] < w) & (q[:, 1] >= 0) & (q[:, 1] < h)).unsqueeze(1)
    k = points.to(m.device, torch.float64)
    out = []
    step = max(1, chunk_elems // max(1, b * h * w))
    for s in range(0, n, step):
        kk = k[:, s : s + step]
        d2 = (q[:, :1] - kk[..., :1]) ** 2 + (q[:, 1:] - kk[..., 1:]) ** 2  # (B, n, HW)
        val = torch.where(inside, 1 / (torch.sqrt(d2.to(torch.float32)) + 1), torch.zeros((), device=m.device))
        idx = val.argmax(-1)  # the first of equal maxima, as numpy's argmax
        best = val.gather(-1, idx.unsqueeze(-1)).squeeze(-1)
        xy = torch.stack([idx % w, idx // w], -1).to(torch.float64)
        if threshold is not None:
            xy = torch.where((best >= threshold).unsqueeze(-1), xy, torch.full_like(xy, -1.0))
        out.append(xy)
    return torch.cat(out, 1) if out else k.new_zeros(b, 0, 2)
