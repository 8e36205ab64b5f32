"""Albumentations' pixel-moving transforms as Kornia ops: ``GlassBlur`` (local swaps between two blurs) and
``RandomGridShuffle`` (tiles permuted), kernels in ``functional.albu.shuffle``. Both draw per image what
Albumentations draws (the swap offsets; the tile order and permutation) and gather once. Common arguments
(``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import torch
from kornia.geometry.keypoints import Keypoints

from ..._validate import check_int, check_int_pair
from ...functional import albu as FA
from .._registry import register_op
from ._base import AlbuGeometricBase, AlbuIntensityBase, pair

__all__ = ["AlbuGlassBlur", "AlbuRandomGridShuffle"]

_MAX_DELTA = 127  # swap distance in pixels (offsets are stored as int8)


@register_op(identity={"p": 0.0}, example={"sigma": 0.7, "max_delta": 2, "iterations": 2})
class AlbuGlassBlur(AlbuIntensityBase):
    """``GlassBlur``: a Gaussian blur of ``sigma``, then ``iterations`` rounds of pixel swaps with offsets
    ``(dy, dx)`` uniform on ``[-max_delta, max_delta - 1]`` drawn per position and image, then the blur again
    (see :func:`kornia_diffaug.functional.albu.glass_blur`).

    Args:
        sigma: Gaussian standard deviation in pixels, ``>= 0`` (0: no blur).
        max_delta: largest swap distance in pixels, an integer in [1, 127].
        iterations: rounds of swaps, an integer ``>= 1``.
        mode: ``"fast"`` (each round as one NumPy fancy-index swap) or ``"exact"`` (the positions one by one).

    Example:
        >>> op = AlbuGlassBlur(sigma=0.7, max_delta=4, iterations=2)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GlassBlur"

    def __init__(self, sigma=0.7, max_delta=4, iterations=2, mode="fast", p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        if mode not in ("fast", "exact"):
            raise ValueError(f"mode must be 'fast' or 'exact', got {mode!r}")
        md = check_int("max_delta", max_delta)
        if md > _MAX_DELTA:
            raise ValueError(f"max_delta must be an integer in [1, {_MAX_DELTA}], got {max_delta!r}")
        super().__init__(p, same_on_batch, keepdim, generator, sigma=pair("sigma", (sigma, sigma), 0, 100)[0],
                         max_delta=md, iterations=check_int("iterations", iterations), mode=mode)

    def sample(self, n, size, generator, device):
        c = self._cfg
        nh, nw = FA.glass_swap_count(size, c["max_delta"])
        dxy = torch.randint(-c["max_delta"], c["max_delta"], (n, nh * nw, c["iterations"], 2), generator=generator,
                            device=device, dtype=torch.int8)
        return {"dxy": dxy}

    def apply_transform(self, input, params, flags, transform=None):
        c = self._cfg
        return FA.glass_blur(input, params["dxy"], c["sigma"], c["max_delta"], c["mode"])


@register_op(identity={"grid": (1, 1)}, example={"grid": (2, 3)}, geometric=True)
class AlbuRandomGridShuffle(AlbuGeometricBase):
    """``RandomGridShuffle``: the image cut into ``grid`` rows x columns of almost equal tiles (their order along
    each side drawn per image), tiles of one shape permuted among themselves; masks move the same way, keypoints
    with their tile (see :func:`kornia_diffaug.functional.albu.grid_shuffle_source`). Boxes are refused:
    Albumentations cuts a box into one box per piece, which changes their number.

    Args:
        grid: ``(rows, columns)``, integers ``>= 1``.

    Example:
        >>> op = AlbuRandomGridShuffle(grid=(3, 3))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "RandomGridShuffle"

    def __init__(self, grid=(3, 3), p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, grid=check_int_pair("grid", grid))

    def sample(self, n, size, generator, device):
        r, c = self._cfg["grid"]
        u = torch.rand(n, r + c + r * c, generator=generator, device=device)
        rows, cols = FA.grid_edges(u[:, :r], size[0]), FA.grid_edges(u[:, r:r + c], size[1])
        return {"rows": rows, "cols": cols, "mapping": FA.grid_mapping(rows, cols, u[:, r + c:])}

    def _source(self, params, size, device) -> torch.Tensor:
        return FA.grid_shuffle_source(params["rows"].to(device), params["cols"].to(device),
                                      params["mapping"].to(device), size)

    def compute_transformation(self, input, params, flags):
        # No matrix describes a tile permutation; keypoints are moved below, boxes refused.
        return torch.eye(3, device=input.device, dtype=input.dtype).expand(input.shape[0], 3, 3).clone()

    def apply_transform(self, input, params, flags, transform=None):
        return FA.gather_pixels(input, self._source(params, tuple(input.shape[-2:]), input.device))

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.gather_pixels(input, self._source(params, tuple(input.shape[-2:]), input.device))

    def apply_transform_box(self, input, params, flags, transform=None):
        raise ValueError("AlbuRandomGridShuffle cannot move boxes: Albumentations cuts a box into one box per piece "
                         "the tiles make of it; use keypoints or masks")

    def apply_transform_keypoint(self, input, params, flags, transform=None):
        p = input.data
        h, w = params["forward_input_shape"][-2:].tolist()
        out = FA.grid_shuffle_points(p, params["rows"].to(p.device), params["cols"].to(p.device),
                                     params["mapping"].to(p.device), (int(h), int(w)))
        return Keypoints(out)

    # -- inverse: the same tiles, put back by the inverse permutation (tiles only trade places with tiles of
    # their own shape, so the edges are the same both ways); exact for images, masks and keypoints.
    def _undo(self, params):
        m = params["mapping"]
        inv = torch.empty_like(m).scatter_(1, m, torch.arange(m.shape[1], device=m.device).expand(m.shape[0], -1))
        return {**params, "mapping": inv}

    def inverse_inputs(self, input, params, flags, transform=None, **kwargs):
        p = self._params if params is None else params
        x = self.transform_tensor(input)
        y = FA.gather_pixels(x, self._source(self._undo(p), tuple(x.shape[-2:]), x.device))
        return torch.where(self._gate(p).to(x.device).view(-1, 1, 1, 1), y, x)

    def inverse_keypoints(self, input, params, flags, transform=None, **kwargs):
        p = self._params if params is None else params
        back = self.apply_transform_keypoint(input, self._undo(p), flags).data
        return Keypoints(torch.where(self._gate(p).to(back.device).view(-1, 1, 1), back, input.data))

    def inverse_boxes(self, input, params, flags, transform=None, **kwargs):
        return self.apply_transform_box(input, params, flags)  # raises, as going forward
