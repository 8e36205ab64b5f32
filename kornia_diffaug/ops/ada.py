"""StyleGAN2-ADA's augmentation pipeline (Karras et al., NeurIPS 2020) as one Kornia geometric augmentation.

Sampling and argument checks live here (``ADAPipeline.sample``, the constructor); all the maths is in
:mod:`kornia_diffaug.functional.ada`. The registry names ``ada:<preset>`` are in
:mod:`kornia_diffaug.policies.ada`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from kornia.augmentation import GeometricAugmentationBase2D

from .._host import host_reads_free
from .._validate import check_bool, check_choice, check_generator, check_number, check_probability, check_value_range
from ..functional.ada import ADA_KEYS, ada_augment, ada_geometry, ada_resample
from ..functional.ada.geometry import GEOMETRY_KEYS, geometry_matrices
from ..functional.sampling import draw_device
from ._base import SeededOpMixin, resample_flag
from ._registry import register_op

__all__ = ["ADAPipeline", "ADA_CONSTANTS", "ADA_PRESETS", "ADA_OPS"]

ADA_OPS = (
    "xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac",
    "brightness", "contrast", "lumaflip", "hue", "saturation", "imgfilter", "noise", "cutout",
)  # fmt: skip

_BLIT = ("xflip", "rotate90", "xint")
_GEOM = ("scale", "rotate", "aniso", "xfrac")
_COLOR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
ADA_PRESETS: dict[str, tuple[str, ...]] = {
    "blit": _BLIT,
    "geom": _GEOM,
    "color": _COLOR,
    "filter": ("imgfilter",),
    "noise": ("noise",),
    "cutout": ("cutout",),
    "bg": _BLIT + _GEOM,
    "bgc": _BLIT + _GEOM + _COLOR,
    "bgcf": _BLIT + _GEOM + _COLOR + ("imgfilter",),
    "bgcfn": _BLIT + _GEOM + _COLOR + ("imgfilter", "noise"),
    "bgcfnc": _BLIT + _GEOM + _COLOR + ("imgfilter", "noise", "cutout"),
}

# The paper's constants (augment.py of stylegan2-ada-pytorch).
ADA_CONSTANTS: dict[str, float] = {
    "xint_max": 0.125,
    "scale_std": 0.2,
    "rotate_max": 1.0,
    "aniso_std": 0.2,
    "xfrac_std": 0.125,
    "brightness_std": 0.2,
    "contrast_std": 0.5,
    "hue_max": 1.0,
    "saturation_std": 1.0,
    "imgfilter_std": 1.0,
    "noise_std": 0.1,
    "cutout_size": 0.5,
}

# Upper bounds of the constants (all are >= 0).
_UPPER = {"cutout_size": 1}

# Params keys drawn for each op (``rotate`` is split around ``aniso``).
_OP_KEYS = {
    "rotate": ("rotate_pre", "rotate_post"),
    "noise": ("noise", "noise_field"),
    "cutout": ("cutout", "cutout_center"),
}


def _compute_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


@register_op(identity={"xflip": 0.0, "xint_max": 0.0}, example={"xflip": 1.0, "xint": 1.0, "p": 1.0}, geometric=True)
class ADAPipeline(SeededOpMixin, GeometricAugmentationBase2D):
    """The 15 ops of StyleGAN2-ADA with per-sample, per-op probabilities, fused geometry and colour.

    Op ``k`` is applied to each sample independently with probability ``strength_k * p`` (xflip and lumaflip
    then flip with probability 1/2, rotate90 picks one of 4 quarter turns; ``rotate`` is applied before and
    after ``aniso``, each with probability ``1 - sqrt(1 - strength * p)``). Draws, with the paper's constants:

    ======================  ========================================================================
    ``xint``                ``round(U(-xint_max, xint_max) * side)`` pixels (``xint_max = 0.125``)
    ``scale``               ``2 ** N(0, scale_std^2)``, ``scale_std = 0.2``
    ``rotate``              ``U(-pi, pi) * rotate_max`` radians, ``rotate_max = 1`` (a full turn)
    ``aniso``               ``diag(s, 1/s)``, ``s = 2 ** N(0, aniso_std^2)``, ``aniso_std = 0.2``
    ``xfrac``               ``N(0, xfrac_std^2) * side`` pixels, ``xfrac_std = 0.125``
    ``brightness``          ``+ N(0, brightness_std^2)``, ``brightness_std = 0.2`` (half-range units)
    ``contrast``            ``* 2 ** N(0, contrast_std^2)`` about mid, ``contrast_std = 0.5``
    ``hue``                 rotation about the luma axis by ``U(-pi, pi) * hue_max``, ``hue_max = 1``
    ``saturation``          ``* 2 ** N(0, saturation_std^2)``, ``saturation_std = 1``
    ``imgfilter``           each of 4 bands ``* 2 ** N(0, imgfilter_std^2)``, power-normalised
    ``noise``               ``+ N(0, sigma^2)`` per pixel, ``sigma = |N(0, noise_std^2)|``, ``noise_std = 0.1``
    ``cutout``              a square of side ``cutout_size = 0.5`` (of the image side) set to mid
    ======================  ========================================================================

    All geometric ops of a sample form one 3x3 matrix (``transform_matrix``: masks, keypoints and boxes follow
    it) and the image is resampled once: 2x-oversampled bilinear with the paper's ``sym6`` anti-aliasing filter
    and reflect padding; samples whose matrix maps pixels onto pixels (flips, quarter turns, integer shifts)
    are gathered exactly. Colour ops form one affine colour matrix, applied once.

    ``p`` is a float32 buffer (``state_dict`` key ``"p"``): ``pipe.p = 0.3`` or ``pipe.set_p(tensor)`` changes
    it between steps (a tensor is copied on device, no host sync). When ``p == 0`` is known on the host (a CPU
    buffer, or set from a Python number) nothing is drawn or resampled; otherwise samples whose draws are the
    identity are returned unchanged by ``torch.where``.

    Args:
        preset: one of :data:`ADA_PRESETS` (``"bgc"`` is the paper's default) or ``None`` (no op enabled
            except those named by keyword).
        p: the augmentation probability in ``[0, 1]`` (a number or a one-element tensor).
        value_range: ``(lo, hi)`` of the images; colour, noise and cutout magnitudes scale with ``(hi - lo) / 2``.
        xflip ... cutout: per-op strength multipliers ``>= 0``; ``None`` takes the preset's (1 or 0).
        xint_max ... cutout_size: the paper's constants (see the table).
        imgfilter_bands: per-band strength multipliers of ``imgfilter`` (4 numbers).
        compensate_phase: resample so that the image moves exactly by ``transform_matrix`` (default), or at
            the paper's release sampling positions (``False``: its output, up to 0.14 px off the matrix under
            rotation and scaling; see :func:`~kornia_diffaug.functional.ada.resample.resample_antialiased`).
        same_on_batch, keepdim, generator: as for every kornia-diffaug op.

    Example:
        >>> aug = ADAPipeline("bgc", p=0.2)
        >>> y = aug(torch.rand(8, 3, 32, 32) * 2 - 1)
        >>> aug.p = 0.5  # e.g. from ADAController
    """

    gating = "whole_batch"  # per-op gates live in the params: every sample goes through ``apply_transform``
    # ``transform_matrix`` (float64 maths) is built only when read: an image-only call resamples under the
    # matrices of its own compute dtype and never needs it.
    _compute_matrix_lazily = True

    def __init__(
        self,
        preset: str | None = None,
        p: float | torch.Tensor = 0.0,
        value_range: Sequence[float] = (-1.0, 1.0),
        *,
        xflip: float | None = None,
        rotate90: float | None = None,
        xint: float | None = None,
        scale: float | None = None,
        rotate: float | None = None,
        aniso: float | None = None,
        xfrac: float | None = None,
        brightness: float | None = None,
        contrast: float | None = None,
        lumaflip: float | None = None,
        hue: float | None = None,
        saturation: float | None = None,
        imgfilter: float | None = None,
        noise: float | None = None,
        cutout: float | None = None,
        xint_max: float = 0.125,
        scale_std: float = 0.2,
        rotate_max: float = 1.0,
        aniso_std: float = 0.2,
        xfrac_std: float = 0.125,
        brightness_std: float = 0.2,
        contrast_std: float = 0.5,
        hue_max: float = 1.0,
        saturation_std: float = 1.0,
        imgfilter_std: float = 1.0,
        imgfilter_bands: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
        noise_std: float = 0.1,
        cutout_size: float = 0.5,
        compensate_phase: bool = True,
        same_on_batch: bool = False,
        keepdim: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(p=1.0, same_on_batch=same_on_batch, keepdim=keepdim)
        self.preset = None if preset is None else check_choice("preset", preset, tuple(ADA_PRESETS))
        given = dict(
            xflip=xflip, rotate90=rotate90, xint=xint, scale=scale, rotate=rotate, aniso=aniso, xfrac=xfrac,
            brightness=brightness, contrast=contrast, lumaflip=lumaflip, hue=hue, saturation=saturation,
            imgfilter=imgfilter, noise=noise, cutout=cutout,
        )  # fmt: skip
        base = ADA_PRESETS.get(preset, ()) if preset is not None else ()
        self.strengths = {
            k: (float(k in base) if v is None else check_number(k, v, lower=0)) for k, v in given.items()
        }
        consts = dict(
            xint_max=xint_max, scale_std=scale_std, rotate_max=rotate_max, aniso_std=aniso_std, xfrac_std=xfrac_std,
            brightness_std=brightness_std, contrast_std=contrast_std, hue_max=hue_max,
            saturation_std=saturation_std, imgfilter_std=imgfilter_std, noise_std=noise_std,
            cutout_size=cutout_size,
        )  # fmt: skip
        self.constants = {k: check_number(k, v, lower=0, upper=_UPPER.get(k, math.inf)) for k, v in consts.items()}
        if not isinstance(imgfilter_bands, (tuple, list)) or len(imgfilter_bands) != 4:
            raise TypeError(f"imgfilter_bands must be 4 numbers, got {imgfilter_bands!r}")
        self.imgfilter_bands = tuple(check_number("imgfilter_bands", v, lower=0) for v in imgfilter_bands)
        self.value_range = check_value_range(value_range)
        self.compensate_phase = check_bool("compensate_phase", compensate_phase)
        self.generator = check_generator(generator)
        self._matrix_cache: tuple[Any, Any, tuple[torch.Tensor, torch.Tensor] | None] | None = None
        self._keys = tuple(key for op in ADA_OPS if self.strengths[op] > 0 for key in _OP_KEYS.get(op, (op,)))
        # Kornia's base stored ``p`` as a float gate; here it is the ADA probability, a buffer.
        del self.p
        # A normal tensor even when built under ``torch.inference_mode()``: an inference tensor has no version
        # counter, so the later in-place ``set_p`` (and ADAController's updates) outside that mode would fail.
        with torch.inference_mode(False):
            self.register_buffer("p", torch.zeros((), dtype=torch.float32))
            self._p_shadow: tuple[tuple[int, int], float] | None = None
            self.set_p(p)

    # -- p ---------------------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name == "p" and "p" in self.__dict__.get("_buffers", {}) and not isinstance(value, torch.nn.Parameter):
            self.set_p(value)
            return
        super().__setattr__(name, value)

    def set_p(self, value: float | torch.Tensor) -> None:
        """Set ``p`` in place. A Python number is validated; a tensor is clamped to [0, 1] on its device."""
        buf: torch.Tensor = self._buffers["p"]  # type: ignore[assignment]
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(f"p must be a scalar, got a tensor of shape {tuple(value.shape)}")
            with torch.no_grad():
                buf.copy_(value.detach().reshape(()).clamp(0.0, 1.0))
            self._p_shadow = None
            return
        v = check_probability("p", value)
        with torch.no_grad():
            buf.fill_(v)
        self._p_shadow = ((buf.data_ptr(), buf._version), v)

    def _host_p(self) -> float | None:
        """``p`` as a Python float if known without a device sync, else ``None``."""
        buf: torch.Tensor = self._buffers["p"]  # type: ignore[assignment]
        if not host_reads_free():
            return None  # a graph is being recorded (compile, export, jit.trace): p = 0 must not be frozen into it
        if buf.device.type == "cpu":
            return float(buf)
        if self._p_shadow is not None and self._p_shadow[0] == (buf.data_ptr(), buf._version):
            return self._p_shadow[1]
        return None

    # -- sampling --------------------------------------------------------------------------------------------
    def sample(
        self,
        n: int,
        size: tuple[int, int],
        generator: torch.Generator | None,
        device: torch.device,
        channels: int = 3,
    ) -> dict[str, torch.Tensor]:
        """Draw the per-sample parameters of every enabled op (identity values where an op is not applied).

        Uniform/normal draws come from ``generator`` on ``device``; gates compare them with ``strength * p``
        on ``p``'s device (no host sync). Returns float32 tensors keyed as in
        :data:`~kornia_diffaug.functional.ada.ADA_PARAM_DOC`.
        """
        h, w = size
        p: torch.Tensor = self._buffers["p"]  # type: ignore[assignment]
        pdev = p.device
        s, k = self.strengths, self.constants

        def uni(*shape: int) -> torch.Tensor:
            return torch.rand(shape, generator=generator, device=device).to(pdev)

        def nrm(*shape: int) -> torch.Tensor:
            return torch.randn(shape, generator=generator, device=device).to(pdev)

        def gate(prob: torch.Tensor, *shape: int) -> torch.Tensor:
            return uni(*(shape or (n,))) < prob

        zero, one = torch.zeros((), device=pdev), torch.ones((), device=pdev)
        side = torch.tensor([w, h], dtype=torch.float32, device=pdev)
        out: dict[str, torch.Tensor] = {}
        if s["xflip"] > 0:
            out["xflip"] = torch.where(gate(s["xflip"] * p), torch.floor(uni(n) * 2), zero)
        if s["rotate90"] > 0:
            out["rotate90"] = torch.where(gate(s["rotate90"] * p), torch.floor(uni(n) * 4), zero)
        if s["xint"] > 0:
            t = (uni(n, 2) * 2 - 1) * k["xint_max"]
            out["xint"] = torch.where(gate(s["xint"] * p, n, 1), torch.round(t * side), zero)
        if s["scale"] > 0:
            out["scale"] = torch.where(gate(s["scale"] * p), torch.exp2(nrm(n) * k["scale_std"]), one)
        if s["rotate"] > 0:
            p_rot = 1 - torch.sqrt((1 - s["rotate"] * p).clamp(0, 1))
            out["rotate_pre"] = torch.where(gate(p_rot), (uni(n) * 2 - 1) * math.pi * k["rotate_max"], zero)
        if s["aniso"] > 0:
            out["aniso"] = torch.where(gate(s["aniso"] * p), torch.exp2(nrm(n) * k["aniso_std"]), one)
        if s["rotate"] > 0:
            out["rotate_post"] = torch.where(gate(p_rot), (uni(n) * 2 - 1) * math.pi * k["rotate_max"], zero)
        if s["xfrac"] > 0:
            out["xfrac"] = torch.where(gate(s["xfrac"] * p, n, 1), nrm(n, 2) * k["xfrac_std"] * side, zero)
        if s["brightness"] > 0:
            out["brightness"] = torch.where(gate(s["brightness"] * p), nrm(n) * k["brightness_std"], zero)
        if s["contrast"] > 0:
            out["contrast"] = torch.where(gate(s["contrast"] * p), torch.exp2(nrm(n) * k["contrast_std"]), one)
        if s["lumaflip"] > 0:
            out["lumaflip"] = torch.where(gate(s["lumaflip"] * p), torch.floor(uni(n) * 2), zero)
        if s["hue"] > 0:
            out["hue"] = torch.where(gate(s["hue"] * p), (uni(n) * 2 - 1) * math.pi * k["hue_max"], zero)
        if s["saturation"] > 0:
            sat = torch.exp2(nrm(n) * k["saturation_std"])
            out["saturation"] = torch.where(gate(s["saturation"] * p), sat, one)
        if s["imgfilter"] > 0:
            bands = torch.tensor(self.imgfilter_bands, dtype=torch.float32, device=pdev)
            amp = torch.exp2(nrm(n, 4) * k["imgfilter_std"])
            out["imgfilter"] = torch.where(gate(s["imgfilter"] * p * bands, n, 4), amp, one)
        if s["noise"] > 0:
            sigma = nrm(n).abs() * k["noise_std"]
            out["noise"] = torch.where(gate(s["noise"] * p), sigma, zero)
            out["noise_field"] = nrm(n, channels, h, w)
        if s["cutout"] > 0:
            out["cutout"] = torch.where(gate(s["cutout"] * p), k["cutout_size"] * one, zero)
            out["cutout_center"] = uni(n, 2)
        return out

    def forward_parameters(self, batch_shape: tuple[int, ...]) -> dict[str, torch.Tensor]:
        b, c = int(batch_shape[0]), int(batch_shape[1])
        size = (int(batch_shape[-2]), int(batch_shape[-1]))
        pdev = self._buffers["p"].device  # type: ignore[union-attr]
        shape = torch.tensor(tuple(batch_shape), dtype=torch.long)
        if self._host_p() == 0.0:
            # Nothing can be applied: no draw, no resampling, the identity matrix.
            return {"batch_prob": torch.zeros(b, device=pdev), "forward_input_shape": shape}
        gen = self.generator
        n = 1 if (self.same_on_batch and b > 0) else b
        params = self.sample(n, size, gen, draw_device(gen, getattr(self, "device", None)), channels=c)
        if n != b:
            params = {key: v.expand(b, *v.shape[1:]) for key, v in params.items()}
        params["batch_prob"] = torch.ones(b, device=pdev)
        params["forward_input_shape"] = shape
        return params

    # -- Kornia hooks ----------------------------------------------------------------------------------------
    def _ada_params(self, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {key: params[key] for key in ADA_KEYS + ("noise_field", "cutout_center") if key in params}

    def _gate(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        # Per-op gating is inside the params; ``batch_prob`` is 0 only when nothing was drawn (p == 0).
        return torch.atleast_1d(params["batch_prob"] > 0.5)

    def _matrices(
        self, params: dict[str, torch.Tensor], x: torch.Tensor, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``geometry_matrices(params, (H, W), dtype)`` once per draw, shared by the image and mask paths (and
        ``transform_matrix`` for float64 images). Keyed on the draw's very tensors and version counters."""
        geo = tuple((k, params[k]) for k in GEOMETRY_KEYS if k in params)
        head = (tuple(x.shape[-2:]), dtype, x.device)
        if torch.compiler.is_compiling():  # Dynamo cannot key on version counters; the graph computes them once
            return geometry_matrices(params, head[0], dtype, x.device)
        key = tuple((k, v, -1 if v.is_inference() else v._version) for k, v in geo)
        hit = self._matrix_cache
        if hit is not None and hit[0] == head and len(hit[1]) == len(key) and all(
            k0 == k1 and v0 is v1 and n0 == n1 for (k0, v0, n0), (k1, v1, n1) in zip(hit[1], key, strict=True)
        ):
            return hit[2]
        mats = geometry_matrices(params, head[0], dtype, x.device)
        self._matrix_cache = (head, key, mats)
        return mats

    def compute_transformation(self, input, params, flags):
        mats = self._matrices(params, input, torch.float64)
        if mats is None:
            return self.identity_matrix(input)
        return mats[0].to(input.dtype)

    def generate_transformation_matrix(self, input, params, flags):
        return self.compute_transformation(self.transform_tensor(input), params, flags)

    def apply_transform(self, input, params, flags, transform=None):
        ada = self._ada_params(params)
        if not ada:
            return input
        mats = self._matrices(params, input, _compute_dtype(input))
        m_inv = None if mats is None else mats[1]
        return ada_augment(input, ada, self.value_range, compensate_phase=self.compensate_phase, m_inv=m_inv)

    def apply_transform_mask(self, input, params, flags, transform=None):
        # Masks follow the geometry only (no colour), read from the nearest pixel unless the call's
        # ``extra_args[DataKey.MASK]["resample"]`` asks to interpolate (then the image's own resampling).
        mats = self._matrices(params, input, _compute_dtype(input))
        if mats is None:
            return input
        nearest = resample_flag(flags, 0) == 0
        return ada_geometry(input, self._ada_params(params), nearest=nearest, m_inv=mats[1],
                            compensate_phase=self.compensate_phase)

    def inverse_transform(self, input, flags, transform=None, size=None):
        if transform is None:
            raise ValueError("inverse of ADAPipeline needs the forward transform matrix")
        # ``transform`` is the inverse map (output -> input pixels); resampling needs its inverse, the forward map.
        forward = torch.linalg.inv(transform.to(torch.float64))
        nearest = resample_flag(flags, 1) == 0  # masks (see inverse_masks), unless extra_args asks to interpolate
        return ada_resample(input, forward, exact_only=nearest, compensate_phase=self.compensate_phase)

    def inverse_masks(self, input, params, flags, transform=None, **kwargs):
        kwargs.setdefault("resample", "nearest")  # as the forward mask path; extra_args may say otherwise
        return super().inverse_masks(input, params, flags, transform, **kwargs)

    def config(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "p": float(self._buffers["p"]),  # type: ignore[arg-type]
            "value_range": self.value_range,
            **self.strengths,
            **self.constants,
            "imgfilter_bands": self.imgfilter_bands,
            "compensate_phase": self.compensate_phase,
            "same_on_batch": self.same_on_batch,
        }

    def __repr__(self) -> str:
        on = ",".join(k for k in ADA_OPS if self.strengths[k] > 0) or "none"
        p = self.config()["p"]
        return f"ADAPipeline(preset={self.preset!r}, ops={on}, p={p:.4g}, value_range={self.value_range})"

