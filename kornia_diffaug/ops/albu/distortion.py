"""Albumentations' non-affine distortions as Kornia ops (``ElasticTransform``, ``GridDistortion``): per-sample
maps from ``functional.albu.distortion``, resampled with ``cv2.remap`` conventions. Keypoints follow by inverting
the map; boxes as Albumentations 2.0.8 moves them, the box of the remapped box mask
(:func:`~kornia_diffaug.functional.albu.remap_boxes`). No inverse (no matrix). ``interpolation``,
``border_mode`` and ``fill`` as in ``ops.albu.geometry``; common arguments (``p``, ``same_on_batch``,
``keepdim``, ``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

import torch
from kornia.geometry.boxes import Boxes
from kornia.geometry.keypoints import Keypoints

from ..._validate import check_int
from ...functional import albu as FA
from .._base import NotInvertibleError, resample_flag
from .._registry import register_op
from ._base import AlbuGeometricBase, pair

__all__ = ["AlbuElasticTransform", "AlbuGridDistortion"]


class _Remap(AlbuGeometricBase):
    """``params["map"]`` (B, 2, H, W): source x, y of every output pixel."""

    invert_iterations = 10  # fixed-point steps solving map(q) = p for keypoints (more for flatter maps)

    def compute_transformation(self, input, params, flags):
        # No matrix describes a distortion (Kornia's containers still ask for one); boxes and keypoints are moved
        # by the map below.
        return torch.eye(3, device=input.device, dtype=input.dtype).expand(input.shape[0], 3, 3).clone()

    @property
    def transform_matrix(self) -> None:
        """None: no matrix describes a distortion, so ``AugmentationSequential.transform_matrix`` skips it, as it
        skips Kornia's own non-rigid ops."""
        return None

    def _map(self, params, size, device=None):
        raise NotImplementedError

    def apply_transform(self, input, params, flags, transform=None):
        m = self._map(params, input.shape[-2:], input.device)
        return FA.remap(input, m[:, 0], m[:, 1], resample_flag(flags, self.interpolation), self.border_mode,
                        self.fill)

    def apply_transform_mask(self, input, params, flags, transform=None):
        m = self._map(params, input.shape[-2:], input.device)
        return FA.remap(input, m[:, 0], m[:, 1], resample_flag(flags, 0), self.border_mode, self.fill_mask)

    def _not_invertible(self, *args, **kwargs):
        raise NotInvertibleError(
            f"{type(self).__name__} cannot be inverted: it moves pixels by a per-pixel displacement map, not a "
            "matrix, and the map has no exact inverse (it can fold and move content out of the frame); invert "
            "a pipeline without it")

    inverse = inverse_inputs = inverse_masks = inverse_boxes = inverse_keypoints = _not_invertible

    def apply_transform_box(self, input, params, flags, transform=None):
        """The box of each box's remapped pixel mask, as Albumentations (:func:`FA.remap_boxes`): the corners'
        ``[x_min, y_min, x_max, y_max]`` are read as pixel edges and the result's far edge is its last pixel."""
        d = input.data
        xyxy = torch.cat([d.amin(-2), d.amax(-2)], -1)
        h, w = (int(v) for v in params["forward_input_shape"][-2:].tolist())  # a CPU tensor: no device sync
        new = FA.remap_boxes(xyxy, self._map(params, (h, w), d.device)).to(d.dtype)
        return Boxes.from_tensor(new, mode="xyxy_plus", validate_boxes=False)

    def apply_transform_keypoint(self, input, params, flags, transform=None):
        """Output position ``q`` of a source point ``p`` solves ``map(q) = p`` (:func:`FA.invert_map`)."""
        p = input.data
        return Keypoints(FA.invert_map(self._map(params, None, p.device), p, self.invert_iterations).to(p.dtype))


# Identity: zero displacement sampled with nearest taps (exact at whole-pixel positions in every dtype).
@register_op(identity={"alpha": 0.0, "interpolation": 0}, example={"alpha": 3.0, "sigma": 2.0})
class AlbuElasticTransform(_Remap):
    """``ElasticTransform``: ``y(p) = x'(p + alpha * G_sigma * n(p))``, ``n`` a per-pixel displacement noise
    field per axis, smoothed by a Gaussian of ``sigma`` pixels (see
    :func:`kornia_diffaug.functional.albu.elastic_map`). ``x' = x`` unless ``alpha_affine > 0`` (1.x): then
    ``x'`` is ``x`` warped first (its own resampling, as 1.x did) by the affine that moves three points by
    ``U(-alpha_affine, alpha_affine)`` pixels each (:func:`kornia_diffaug.functional.albu.elastic_affine_matrix`).

    Args:
        alpha: displacement scale in pixels, ``>= 0`` (0 is the identity).
        sigma: Gaussian smoothing in pixels, ``> 0``.
        interpolation: OpenCV flag 0, 1 or 2.
        border_mode: OpenCV flag 0, 1, 2 or 4 (the affine's border too).
        fill: constant border value(s) in [0, 1].
        fill_mask: constant border label of masks (not scaled).
        same_dxdy: one field for both axes.
        noise_distribution: ``"gaussian"`` (standard normal divided by its per-sample max ``|n|``) or
            ``"uniform"`` (``U(-1, 1)``, 1.x's).
        alpha_affine: 1.x's random affine, in pixels ``>= 0`` (0: none, as in 2.x).
        smoothing: ``"opencv"`` (2.x: ``cv2.GaussianBlur``, replicated borders) or ``"scipy"`` (1.x:
            ``scipy.ndimage.gaussian_filter``, symmetric borders); see
            :func:`kornia_diffaug.functional.albu.gaussian_blur_fields`.

    Example:
        >>> op = AlbuElasticTransform(alpha=30.0, sigma=5.0)
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "ElasticTransform"

    def __init__(self, alpha=1.0, sigma=50.0, interpolation=1, border_mode=0, fill=0.0, fill_mask=0.0, same_dxdy=False,
                 noise_distribution="gaussian", alpha_affine=0.0, smoothing="opencv", p=1.0, same_on_batch=False,
                 keepdim=False, generator=None):
        if noise_distribution not in ("gaussian", "uniform"):
            raise ValueError(f"noise_distribution must be 'gaussian' or 'uniform', got {noise_distribution!r}")
        if smoothing not in ("opencv", "scipy"):
            raise ValueError(f"smoothing must be 'opencv' or 'scipy', got {smoothing!r}")
        a, _ = pair("alpha", (alpha, alpha), 0)
        s, _ = pair("sigma", (sigma, sigma), 1e-3)
        aa, _ = pair("alpha_affine", (alpha_affine, alpha_affine), 0)
        super().__init__(p, same_on_batch, keepdim, generator, alpha=a, sigma=s, interpolation=interpolation,
                         border_mode=border_mode, fill=fill, same_dxdy=bool(same_dxdy),
                         noise_distribution=noise_distribution, alpha_affine=aa, smoothing=smoothing)
        self._check_modes(interpolation, border_mode, fill, fill_mask)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        h, w = size
        k = 1 if self._cfg["same_dxdy"] else 2
        out = {}
        aa = self._cfg["alpha_affine"]
        if aa > 0:
            jitter = torch.rand(n, 3, 2, generator=generator, device=device) * (2 * aa) - aa
            out["matrix"] = FA.elastic_affine_matrix(jitter, (h, w))
        if self._cfg["noise_distribution"] == "gaussian":
            f = torch.randn(n, k, h, w, generator=generator, device=device)
            f = f / f.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
        else:
            f = torch.rand(n, k, h, w, generator=generator, device=device) * 2 - 1
        out["field"] = f
        return out

    def _map(self, params, size, device=None):
        field = params["field"].to(device=device)  # smooth where the image lives
        return FA.elastic_map(field, self._cfg["sigma"], self._cfg["alpha"], self._cfg["smoothing"])

    def _affine(self, x, params, interpolation, fill):
        if "matrix" not in params:
            return x
        return FA.warp(x, params["matrix"], tuple(x.shape[-2:]), interpolation, self.border_mode, fill)

    def apply_transform(self, input, params, flags, transform=None):
        return super().apply_transform(self._affine(input, params, self.interpolation, self.fill), params, flags)

    def apply_transform_mask(self, input, params, flags, transform=None):
        mode = resample_flag(flags, 0)  # nearest unless the call's mask extra_args ask otherwise
        return super().apply_transform_mask(self._affine(input, params, mode, self.fill_mask), params, flags)

    def apply_transform_keypoint(self, input, params, flags, transform=None):
        """The affine moves a point first (forward matrix), then the map is inverted at the moved point."""
        if "matrix" in params:
            p = input.data
            m = params["matrix"].to(p.device, torch.float64)
            q = p.to(torch.float64) @ m[:, :2, :2].transpose(1, 2) + m[:, :2, 2].unsqueeze(1)
            input = Keypoints(q.to(p.dtype))
        return super().apply_transform_keypoint(input, params, flags)


# Zero distortion is the identity only when num_steps divides the side (Albumentations' normalisation
# rescales the cells otherwise), so the registered identity is p=0.
@register_op(identity={"p": 0.0}, example={"num_steps": 3, "distort_limit": (-0.3, 0.3)})
class AlbuGridDistortion(_Remap):
    """``GridDistortion``: ``num_steps`` cells per axis; cell ``i`` is stretched by ``1 + d_i``,
    ``d_i ~ U(distort_limit)``, piecewise linear in between (see
    :func:`kornia_diffaug.functional.albu.grid_distortion_axis`).

    Args:
        num_steps: cells per axis, ``>= 1``.
        distort_limit: ``(low, high)`` of ``d_i`` in [-1, 1], a fraction of the cell.
        interpolation: OpenCV flag 0, 1 or 2.
        normalized: rescale the cells so the whole image stays inside.
        border_mode: OpenCV flag 0, 1, 2 or 4.
        fill: constant border value(s) in [0, 1].
        fill_mask: constant border label of masks (not scaled).

    Example:
        >>> op = AlbuGridDistortion(num_steps=5, distort_limit=(-0.3, 0.3))
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "GridDistortion"

    def __init__(self, num_steps=5, distort_limit=(-0.3, 0.3), interpolation=1, normalized=True, border_mode=0,
                 fill=0.0, fill_mask=0.0, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, num_steps=check_int("num_steps", num_steps),
                         distort_limit=pair("distort_limit", distort_limit, -1, 1), interpolation=interpolation,
                         normalized=bool(normalized), border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill, fill_mask)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        k = self._cfg["num_steps"] + 1
        lo, hi = self._cfg["distort_limit"]
        u = torch.rand(n, 2, k, generator=generator, device=device).double() * (hi - lo) + lo
        return {"steps": 1 + u}

    def _map(self, params, size, device=None):
        st = params["steps"].to(device) if device is not None else params["steps"]
        h, w = (params["forward_input_shape"][-2:].tolist() if size is None else size)
        return FA.grid_distortion_map(st, (h, w), self._cfg["num_steps"], self._cfg["normalized"])
