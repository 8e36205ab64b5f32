"""Albumentations 2.x's ``AdditiveNoise`` as a Kornia op (kernel in ``functional.albu.additive``). The per-sample
distribution parameters are drawn here; the noise itself is counter noise of a per-sample seed, so it replays
with neither a host sync nor a per-sample loop. Common arguments (``p``, ``same_on_batch``, ``keepdim``,
``generator``) as in ``ops.albu.color``."""

from __future__ import annotations

from typing import Any

import torch

from ...functional import albu as FA
from ...functional.sampling import uniform
from .._registry import register_op
from ._base import AlbuIntensityBase, pair

__all__ = ["AlbuAdditiveNoise"]

# Albumentations 2.0.8's defaults for noise_params=None, and each key's bounds
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "uniform": {"ranges": [(-0.1, 0.1)]},
    "gaussian": {"mean_range": (0.0, 0.0), "std_range": (0.05, 0.15)},
    "laplace": {"mean_range": (0.0, 0.0), "scale_range": (0.05, 0.15)},
    "beta": {"alpha_range": (0.5, 1.5), "beta_range": (0.5, 1.5), "scale_range": (0.1, 0.3)},
}
_BOUNDS = {"mean_range": (-1, 1), "std_range": (0, 1), "scale_range": (0, 1), "alpha_range": (1e-6, float("inf")),
           "beta_range": (1e-6, float("inf"))}


def _noise_params(noise_type: str, params: Any) -> dict[str, Any]:
    """``noise_params`` checked as Albumentations' ``*Params`` models check them (every key required, none extra;
    a ``noise_type`` key must match), as plain tuples, with ``noise_type`` (what ``to_dict`` writes)."""
    if params is None:
        params = DEFAULT_PARAMS[noise_type]
    if not isinstance(params, dict):
        raise TypeError(f"noise_params must be a dict or None, got {params!r}")
    params = dict(params)
    inner = params.pop("noise_type", noise_type)
    if inner != noise_type:
        raise ValueError(f"noise_params['noise_type'] is {inner!r} but noise_type is {noise_type!r}")
    want = set(DEFAULT_PARAMS[noise_type])
    if set(params) != want:
        raise ValueError(f"noise_params for noise_type={noise_type!r} takes exactly {sorted(want)}, got "
                         f"{sorted(params)}")
    out: dict[str, Any] = {"noise_type": noise_type}
    if noise_type == "uniform":
        ranges = params["ranges"]
        if not isinstance(ranges, (list, tuple)) or not ranges:
            raise ValueError(f"noise_params['ranges'] must be a non-empty list of (low, high), got {ranges!r}")
        out["ranges"] = [pair("noise_params['ranges']", r, -1, 1) for r in ranges]
    else:
        for k in sorted(want):
            out[k] = pair(f"noise_params[{k!r}]", params[k], *_BOUNDS[k])
    return out


@register_op(identity={"noise_type": "uniform", "spatial_mode": "per_pixel", "noise_params": {"ranges": [(0, 0)]}},
             example={"noise_type": "gaussian", "spatial_mode": "per_pixel",
                      "noise_params": {"mean_range": (0.0, 0.0), "std_range": (0.02, 0.1)}})
class AlbuAdditiveNoise(AlbuIntensityBase):
    """``AdditiveNoise``: ``y = clamp(x + n)``, ``n`` of ``noise_type`` per channel (``constant``), per pixel and
    channel (``per_pixel``) or one map for every channel (``shared``); the distribution's parameters are drawn per
    sample from ``noise_params``' ranges (see :func:`kornia_diffaug.functional.albu.additive_noise_map`).

    Args:
        noise_type: ``"uniform"``, ``"gaussian"``, ``"laplace"`` or ``"beta"``.
        spatial_mode: ``"constant"``, ``"per_pixel"`` or ``"shared"``.
        noise_params: Albumentations' dict for the type, in fractions of the range (``None``: its defaults):
            uniform ``ranges`` (a list of ``(low, high)`` in [-1, 1]; in ``constant`` mode one per channel or one
            for all, else the first); gaussian ``mean_range`` in [-1, 1], ``std_range`` in [0, 1]; laplace
            ``mean_range``, ``scale_range``; beta ``alpha_range``, ``beta_range`` (> 0) and ``scale_range``
            in [0, 1] (noise ``(2 B - 1) scale``).
        approximation: in [0, 1]; below 1 the ``per_pixel``/``shared`` noise is drawn at that fraction of the size
            and resized bilinearly.

    Example:
        >>> op = AlbuAdditiveNoise("gaussian", "shared", {"mean_range": (0, 0), "std_range": (0.01, 0.03)})
        >>> y = op(torch.rand(2, 3, 32, 32))
    """

    albu_name = "AdditiveNoise"

    def __init__(self, noise_type="uniform", spatial_mode="constant", noise_params=None, approximation=1.0, p=1.0,
                 same_on_batch=False, keepdim=False, generator=None):
        if noise_type not in FA.NOISE_TYPES:
            raise ValueError(f"noise_type must be one of {FA.NOISE_TYPES}, got {noise_type!r}")
        if spatial_mode not in FA.SPATIAL_MODES:
            raise ValueError(f"spatial_mode must be one of {FA.SPATIAL_MODES}, got {spatial_mode!r}")
        approx = pair("approximation", (approximation, approximation), 0, 1)[0]
        super().__init__(p, same_on_batch, keepdim, generator, noise_type=noise_type, spatial_mode=spatial_mode,
                         noise_params=_noise_params(noise_type, noise_params), approximation=approx)

    def sample(self, n, size, generator, device):
        prm = self._cfg["noise_params"]

        def draw(key: str) -> torch.Tensor:
            return uniform(n, *prm[key], generator, device).double() if key in prm else torch.zeros(
                n, dtype=torch.float64, device=device)

        scale = draw("std_range") if "std_range" in prm else draw("scale_range")
        return {"seed": torch.randint(0, 2**62, (n,), generator=generator, device=device),
                "loc": draw("mean_range"), "scale": scale, "shape_a": draw("alpha_range"),
                "shape_b": draw("beta_range")}

    def noise(self, params: dict[str, torch.Tensor], shape: tuple[int, int, int, int], dtype: torch.dtype,
              device: torch.device) -> torch.Tensor:
        """The noise map of ``params`` for an input of ``shape`` (B, C, H, W), broadcastable to it."""
        c = self._cfg
        ranges = tuple(tuple(r) for r in c["noise_params"].get("ranges", ((0.0, 0.0),)))
        return FA.additive_noise_map(params["seed"].to(device), shape, c["noise_type"], c["spatial_mode"], ranges,
                                     params["loc"], params["scale"], params["shape_a"], params["shape_b"],
                                     c["approximation"], dtype, device)

    def apply_transform(self, input, params, flags, transform=None):
        return FA.additive_noise(input, self.noise(params, tuple(input.shape), input.dtype, input.device))
