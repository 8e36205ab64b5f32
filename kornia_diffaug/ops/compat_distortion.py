"""Albumentations-compatible non-affine distortions (``ElasticTransform``, ``GridDistortion``): per-sample
displacement maps resampled with ``cv2.remap`` conventions. Keypoints follow by inverting the map (fixed-point
iteration); boxes are not supported (no matrix)."""

from __future__ import annotations

import torch
from kornia.geometry.keypoints import Keypoints

from ..functional import compat as FC
from ._checks import check_int
from ._registry import register_op
from .compat_base import CompatGeometric, pair

__all__ = ["AlbuElasticTransform", "AlbuGridDistortion"]


class _Remap(CompatGeometric):
    """``params["map"]`` (B, 2, H, W): source x, y of every output pixel."""

    def compute_transformation(self, input, params, flags):
        # No matrix describes a distortion; boxes cannot follow (keypoints are handled below).
        return torch.eye(3, device=input.device, dtype=input.dtype).expand(input.shape[0], 3, 3).clone()

    def _map(self, params, size, device=None):
        raise NotImplementedError

    def apply_transform(self, input, params, flags, transform=None):
        m = self._map(params, input.shape[-2:], input.device)
        return FC.remap(input, m[:, 0], m[:, 1], self.interpolation, self.border_mode, self.fill)

    def apply_transform_mask(self, input, params, flags, transform=None):
        m = self._map(params, input.shape[-2:], input.device)
        return FC.remap(input, m[:, 0], m[:, 1], 0, self.border_mode, 0.0)

    def apply_transform_box(self, input, params, flags, transform=None):
        raise ValueError(f"{type(self).__name__} cannot move boxes (no matrix); use keypoints or masks")

    def apply_transform_keypoint(self, input, params, flags, transform=None):
        """Output position ``q`` of a source point ``p`` solves ``map(q) = p``: iterate ``q <- q + p - map(q)``."""
        p = input.data
        m = self._map(params, None, p.device).to(p.device, torch.float64)
        b, _, h, w = m.shape
        q = p.to(torch.float64).clone()
        for _ in range(10):
            grid = torch.stack([(2 * q[..., 0] + 1) / w - 1, (2 * q[..., 1] + 1) / h - 1], -1).unsqueeze(1)
            at = torch.nn.functional.grid_sample(m, grid, mode="bilinear", padding_mode="border",
                                                 align_corners=False)[:, :, 0].transpose(1, 2)
            q = q + (p.to(torch.float64) - at)
        return Keypoints(q.to(p.dtype))


# Identity: zero displacement sampled with nearest taps (exact at whole-pixel positions in every dtype).
@register_op(identity={"alpha": 0.0, "interpolation": 0}, example={"alpha": 3.0, "sigma": 2.0})
class AlbuElasticTransform(_Remap):
    """``ElasticTransform``: displacement fields ``alpha * G_sigma * n`` per axis, ``n`` standard normal noise
    divided by its per-sample max ``|n|`` (``noise_distribution="gaussian"``) or ``U(-1, 1)``, smoothed by a
    Gaussian of ``sigma`` pixels with replicated borders; ``same_dxdy`` uses one field for both axes."""

    def __init__(self, alpha=1.0, sigma=50.0, interpolation=1, border_mode=0, fill=0.0, same_dxdy=False,
                 noise_distribution="gaussian", p=1.0, same_on_batch=False, keepdim=False, generator=None):
        if noise_distribution not in ("gaussian", "uniform"):
            raise ValueError(f"noise_distribution must be 'gaussian' or 'uniform', got {noise_distribution!r}")
        a, _ = pair("alpha", (alpha, alpha), 0)
        s, _ = pair("sigma", (sigma, sigma), 1e-3)
        super().__init__(p, same_on_batch, keepdim, generator, alpha=a, sigma=s, interpolation=interpolation,
                         border_mode=border_mode, fill=fill, same_dxdy=bool(same_dxdy),
                         noise_distribution=noise_distribution)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        h, w = size
        k = 1 if self._cfg["same_dxdy"] else 2
        if self._cfg["noise_distribution"] == "gaussian":
            f = torch.randn(n, k, h, w, generator=generator, device=device)
            f = f / f.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-6)
        else:
            f = torch.rand(n, k, h, w, generator=generator, device=device) * 2 - 1
        return {"field": f}

    def _map(self, params, size, device=None):
        field = params["field"].to(device=device, dtype=torch.float64)  # smooth where the image lives
        f = FC.gaussian_blur_fields(field, self._cfg["sigma"]) * self._cfg["alpha"]
        if f.shape[1] == 1:
            f = f.expand(-1, 2, -1, -1)
        b, _, h, w = f.shape
        ys, xs = torch.meshgrid(torch.arange(h, device=f.device), torch.arange(w, device=f.device), indexing="ij")
        return torch.stack([xs, ys]).to(f.dtype).unsqueeze(0) + f


# Zero distortion is the identity only when num_steps divides the side (Albumentations' normalisation
# rescales the cells otherwise), so the registered identity is p=0.
@register_op(identity={"p": 0.0}, example={"num_steps": 3, "distort_limit": (-0.3, 0.3)})
class AlbuGridDistortion(_Remap):
    """``GridDistortion``: ``num_steps`` cells per axis; cell ``i`` is stretched by ``1 + U(distort_limit)``
    (``normalized`` keeps the whole image inside), piecewise linear in between."""

    def __init__(self, num_steps=5, distort_limit=(-0.3, 0.3), interpolation=1, normalized=True, border_mode=0,
                 fill=0.0, p=1.0, same_on_batch=False, keepdim=False, generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, num_steps=check_int("num_steps", num_steps),
                         distort_limit=pair("distort_limit", distort_limit, -1, 1), interpolation=interpolation,
                         normalized=bool(normalized), border_mode=border_mode, fill=fill)
        self._check_modes(interpolation, border_mode, fill)
        self._cfg["fill"] = self.fill

    def sample(self, n, size, generator, device):
        k = self._cfg["num_steps"] + 1
        lo, hi = self._cfg["distort_limit"]
        u = torch.rand(n, 2, k, generator=generator, device=device).double() * (hi - lo) + lo
        return {"steps": 1 + u}

    def _map(self, params, size, device=None):
        st = params["steps"].to(device) if device is not None else params["steps"]
        h, w = (params["forward_input_shape"][-2:].tolist() if size is None else size)
        ns = self._cfg["num_steps"]
        xx = FC.grid_distortion_axis(st[:, 0], int(w), ns, self._cfg["normalized"])
        yy = FC.grid_distortion_axis(st[:, 1], int(h), ns, self._cfg["normalized"])
        return torch.stack(torch.broadcast_tensors(xx.unsqueeze(1), yy.unsqueeze(2)), 1)
