"""Albumentations 1.x's and imgaug's ``PiecewiseAffine`` as a Kornia op: scikit-image's triangulated mesh warp
(``functional.albu.mesh``), resampled as ``skimage.transform.warp`` (``scipy.ndimage.map_coordinates``) does for
orders 0 and 1. Keypoints and boxes by 1.x's warped distance maps; no inverse. Common arguments (``p``,
``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import functools

import torch
from kornia.geometry.boxes import Boxes
from kornia.geometry.keypoints import Keypoints

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import int_range, pair, randint
from .distortion import _Remap

__all__ = ["AlbuPiecewiseAffineMesh"]

# skimage's mode -> the OpenCV border with the same taps (scipy: constant -> grid-constant, edge -> nearest,
# symmetric -> reflect, reflect -> mirror). The map never leaves [0, W - 1] x [0, H - 1] (the moved points are
# clipped to it and every pixel is a convex blend of them), so a border is only ever read with weight 0: wrap
# (grid-wrap) reads the same as replicate there.
_MODES = {"constant": 0, "edge": 1, "symmetric": 2, "reflect": 4, "wrap": 1}
_LABEL_EPS = 1e-6  # below a whole label by less than this is the label (floating-point error, not a blend)


@functools.lru_cache(maxsize=64)
def _diagonal_table(rows: tuple[int, int], cols: tuple[int, int], size: tuple[int, int],
                    device: torch.device) -> torch.Tensor:
    """(rows range, cols range, R - 1, C - 1) bool: each grid's cell diagonals (``FA.mesh_diagonals``), padded;
    kept on ``device`` (no copy per call)."""
    r_hi, c_hi = rows[1], cols[1]
    out = torch.zeros(rows[1] - rows[0] + 1, cols[1] - cols[0] + 1, r_hi - 1, c_hi - 1, dtype=torch.bool)
    for a, r in enumerate(range(rows[0], rows[1] + 1)):
        for b, c in enumerate(range(cols[0], cols[1] + 1)):
            out[a, b, : r - 1, : c - 1] = torch.tensor(FA.mesh_diagonals(r, c, size))
    return out.to(device)


# Zero scale draws no positive jitter: 1.x then has no transform (it fails); the input comes back.
@register_op(identity={"scale": (0.0, 0.0)}, example={"scale": (0.03, 0.08), "nb_rows": (2, 4), "nb_cols": 3})
class AlbuPiecewiseAffineMesh(_Remap):
    """``PiecewiseAffine`` of Albumentations 1.x and imgaug (``IAAPiecewiseAffine``): a ``rows x cols`` grid
    (``rows ~ randint[nb_rows]``, ``cols ~ randint[nb_cols]``) on ``[0, W] x [0, H]`` whose points move by
    ``(dx, dy) = (W e_x, H e_y) s``, ``e ~ N(0, 1)`` per axis (``absolute_scale``: ``(e_x, e_y) s`` pixels),
    ``s ~ U(scale)``, clipped to ``[0, W - 1] x [0, H - 1]``; output pixel ``p`` reads the input at the affine of
    the Delaunay triangle holding ``p`` (:func:`kornia_diffaug.functional.albu.piecewise_affine_mesh_map`). No
    positive ``s e`` (e.g. ``s = 0``) is the identity.

    Args:
        scale: ``(low, high)`` of ``s >= 0``, a fraction of each side (or pixels, ``absolute_scale``).
        nb_rows: ``(low, high)`` integer rows of grid points (an int: fixed), 2 to 64.
        nb_cols: ``(low, high)`` integer columns, likewise.
        absolute_scale: ``scale`` in pixels.
        order: spline order of the image taps, 0 (nearest, ``floor(x + 0.5)``) or 1 (bilinear).
        mask_order: the same for masks (1.x's ``mask_interpolation``).
        mode: skimage's border, ``"constant"``, ``"edge"``, ``"symmetric"``, ``"reflect"`` or ``"wrap"``.
        cval: constant border value in [0, 1]; cval_mask: the masks' (a label, not scaled).
        mask_rounding: for ``mask_order=1``: ``"floor"`` (1.x casts its float result to uint8) or ``"round"``
            (imgaug rounds half to even).
        keypoints_threshold: the lowest inverted distance ``1 / (d + 1)`` that still finds a keypoint
            (``None``: any); a lost keypoint (or box corner) becomes ``(-1, -1)``.

    Example:
        >>> op = AlbuPiecewiseAffineMesh(scale=(0.03, 0.05), nb_rows=4, nb_cols=4)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "IAAPiecewiseAffine"  # and 1.x's PiecewiseAffine (that row builds the 2.x op for 2.x configs)

    def __init__(self, scale=(0.03, 0.05), nb_rows=(4, 4), nb_cols=(4, 4), absolute_scale=False, order=1,
                 mask_order=0, mode="constant", cval=0.0, cval_mask=0.0, mask_rounding="floor",
                 keypoints_threshold=0.01, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        grid = {"nb_rows": int_range("nb_rows", nb_rows, 2, 64), "nb_cols": int_range("nb_cols", nb_cols, 2, 64)}
        for name, v in (("order", order), ("mask_order", mask_order)):
            if v not in (0, 1) or isinstance(v, bool):
                raise ValueError(f"{name} must be 0 (nearest) or 1 (bilinear), got {v!r}")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {sorted(_MODES)} (scikit-image's), got {mode!r}")
        if mask_rounding not in ("floor", "round"):
            raise ValueError(f"mask_rounding must be 'floor' or 'round', got {mask_rounding!r}")
        if keypoints_threshold is not None and (isinstance(keypoints_threshold, bool)
                                                or not isinstance(keypoints_threshold, (int, float))):
            raise TypeError(f"keypoints_threshold must be a number or None, got {keypoints_threshold!r}")
        super().__init__(p, same_on_batch, keepdim, generator, scale=pair("scale", scale, 0), **grid,
                         absolute_scale=bool(absolute_scale), order=order, mask_order=mask_order, mode=mode,
                         cval=cval, mask_rounding=mask_rounding,
                         keypoints_threshold=None if keypoints_threshold is None else float(keypoints_threshold))
        self._check_modes(order, _MODES[mode], cval, cval_mask)
        self._cfg["cval"] = self.fill
        self._cfg["cval_mask"] = self._cfg.pop("fill_mask")

    def sample(self, n, size, generator, device):
        c = self._cfg
        rows = randint(n, *c["nb_rows"], generator, device)
        cols = randint(n, *c["nb_cols"], generator, device)
        s = uniform(n, *c["scale"], generator, device).double()
        noise = torch.randn(n, c["nb_rows"][1] * c["nb_cols"][1], 2, generator=generator, device=device).double()
        return {"rows": rows, "cols": cols, "scale": s, "noise": noise}

    def _mesh(self, params, size, device):
        """The map (B, 2, H, W) and the (B,) gate of samples that move (1.x: any jitter ``> 0``)."""
        c = self._cfg
        h, w = size
        rows, cols = params["rows"].to(device), params["cols"].to(device)
        s, e = params["scale"].to(device), params["noise"].to(device)
        big_r, big_c = c["nb_rows"][1], c["nb_cols"][1]
        i = torch.arange(big_r, device=device).view(1, -1, 1)
        j = torch.arange(big_c, device=device).view(1, 1, -1)
        real = ((i < rows.view(-1, 1, 1)) & (j < cols.view(-1, 1, 1))).reshape(-1, big_r * big_c)
        jit = e * s.view(-1, 1, 1)  # (dy, dx) per point, as 1.x's jitter columns
        moves = ((jit > 0).any(-1) & real).any(-1)
        dy, dx = (jit[..., 0], jit[..., 1]) if c["absolute_scale"] else (jit[..., 0] * h, jit[..., 1] * w)
        step_x = w / (cols.double() - 1).view(-1, 1, 1)
        step_y = h / (rows.double() - 1).view(-1, 1, 1)
        gx = torch.where(j == (cols - 1).view(-1, 1, 1), float(w), j * step_x).expand(-1, big_r, -1)
        gy = torch.where(i == (rows - 1).view(-1, 1, 1), float(h), i * step_y).expand(-1, -1, big_c)
        mx = (gx.reshape(-1, big_r * big_c) + dx).clamp(0, w - 1)
        my = (gy.reshape(-1, big_r * big_c) + dy).clamp(0, h - 1)
        table = _diagonal_table(c["nb_rows"], c["nb_cols"], (int(h), int(w)), torch.device(device))
        pick = (rows - c["nb_rows"][0]) * table.shape[1] + (cols - c["nb_cols"][0])
        diag = table.flatten(0, 1)[pick]
        m = FA.piecewise_affine_mesh_map(torch.stack([mx, my], -1), rows, cols, diag, (int(h), int(w)))
        return m, moves

    def _map(self, params, size, device=None):
        size = tuple(params["forward_input_shape"][-2:].tolist()) if size is None else tuple(size)
        dev = device if device is not None else params["scale"].device
        m, moves = self._mesh(params, size, dev)
        ident = torch.stack(torch.meshgrid(torch.arange(size[1], device=dev, dtype=torch.float64),
                                           torch.arange(size[0], device=dev, dtype=torch.float64), indexing="xy"))
        return torch.where(moves.view(-1, 1, 1, 1), m, ident)

    def _warp(self, x, params, order, fill):
        m, moves = self._mesh(params, x.shape[-2:], x.device)
        y = FA.remap(x, m[:, 0], m[:, 1], order, self.border_mode, fill)
        return torch.where(moves.view(-1, 1, 1, 1), y, x)  # 1.x: no positive jitter, no transform

    def apply_transform(self, input, params, flags, transform=None):
        # Orders 0 and 1 blend input values (and a border read with weight 0), so skimage's clip to the input's
        # range changes nothing.
        return self._warp(input, params, self._cfg["order"], self.fill)

    def apply_transform_mask(self, input, params, flags, transform=None):
        """Masks with ``mask_order`` (1.x's ``mask_interpolation``, not Kornia's mask resample) and ``cval_mask``;
        bilinear labels are cast back as the config's library does (``mask_rounding``)."""
        y = self._warp(input, params, self._cfg["mask_order"], self.fill_mask)
        if self._cfg["mask_order"] == 1:
            # A blend of equal labels can land a rounding error below the label (1 - 1e-16): 1.x's cast then
            # writes the label below; it stays the label here.
            y = torch.floor(y + _LABEL_EPS) if self._cfg["mask_rounding"] == "floor" else torch.round(y)
        return y

    def _points(self, p, params):
        """Points (B, N, 2) moved by 1.x's rule, and the (B,) gate of samples that move."""
        h, w = (int(v) for v in params["forward_input_shape"][-2:].tolist())  # a CPU tensor: no device sync
        m, moves = self._mesh(params, (h, w), p.device)
        return FA.mesh_keypoints(m, p, self._cfg["keypoints_threshold"]), moves

    def apply_transform_keypoint(self, input, params, flags, transform=None):
        """1.x's ``keypoint_piecewise_affine``: the pixel whose warped distance map peaks (whole pixels)."""
        p = input.data
        q, moves = self._points(p, params)
        return Keypoints(torch.where(moves.view(-1, 1, 1), q, p.to(q.dtype)).to(p.dtype))

    def apply_transform_box(self, input, params, flags, transform=None):
        """1.x's ``bbox_piecewise_affine``: the four corners of ``[x_min, y_min, x_max, y_max]`` move as keypoints;
        the new box spans the ones found. A box with no corner found keeps its coordinates (1.x fails there)."""
        d = input.data
        x1, y1 = d.amin(-2).unbind(-1)
        x2, y2 = d.amax(-2).unbind(-1)
        corners = torch.stack([torch.stack([x1, y1], -1), torch.stack([x2, y1], -1), torch.stack([x2, y2], -1),
                               torch.stack([x1, y2], -1)], 2)  # (B, N, 4, 2)
        b, n = corners.shape[:2]
        q, moves = self._points(corners.reshape(b, n * 4, 2), params)
        q = q.view(b, n, 4, 2)
        found = q[..., 0] >= 0  # a lost corner is (-1, -1)
        big = torch.tensor(float("inf"), dtype=q.dtype, device=q.device)
        lo = torch.where(found.unsqueeze(-1), q, big).amin(2)
        hi = torch.where(found.unsqueeze(-1), q, -big).amax(2)
        old = torch.cat([d.amin(-2), d.amax(-2)], -1).to(q.dtype)
        new = torch.where(found.any(-1, keepdim=True) & moves.view(-1, 1, 1), torch.cat([lo, hi], -1), old)
        return Boxes.from_tensor(new.to(d.dtype), mode="xyxy_plus", validate_boxes=False)
