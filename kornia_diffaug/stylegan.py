"""Drop-in for the ``AugmentPipe`` of NVIDIA's StyleGAN2-ADA and StyleGAN3 code bases (``training/augment.py``).

Swap ``from training.augment import AugmentPipe`` for ``from kornia_diffaug.stylegan import AugmentPipe`` (or
``class_name='kornia_diffaug.stylegan.AugmentPipe'`` in ``train.py``'s ``augment_kwargs``): the constructor
takes the same keywords with the same defaults, ``p`` is the same buffer that the training loop writes with
``augment_pipe.p.copy_(...)``, ``forward(images, debug_percentile=None)`` takes NCHW images in ``[-1, 1]``,
and :data:`augpipe_specs` holds ``train.py``'s presets. It is an :class:`~kornia_diffaug.ops.ADAPipeline`, so
it is also a Kornia augmentation (``AugmentationSequential``, data keys, replayable params); all sampling
and maths live there and in :mod:`kornia_diffaug.functional.ada`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from ._validate import check_number
from .functional.ada import ada_augment
from .functional.ada.color import imgfilter_bank
from .functional.ada.resample import lowpass_filter
from .functional.sampling import draw_device
from .ops.ada import _UPPER, ADA_CONSTANTS, ADA_OPS, ADA_PRESETS, ADAPipeline

__all__ = ["AugmentPipe", "augpipe_specs"]

# ``train.py``'s presets: every op of the preset with probability multiplier 1.
augpipe_specs: dict[str, dict[str, int]] = {name: dict.fromkeys(ops, 1) for name, ops in ADA_PRESETS.items()}

# Ops whose debug draw is ``erfinv(2 q - 1)`` (infinite at q = 0 and q = 1), and those whose debug draw
# ``floor(2 q)`` leaves {0, 1} at q = 1 (or, for noise, ``erfinv(q)`` becomes infinite there).
_NORMAL_DRAWS = ("scale", "aniso", "xfrac", "brightness", "contrast", "saturation", "imgfilter")
_BAD_AT_ONE = ("xflip", "lumaflip", "noise")
# Buffers of the original class: constants here, accepted (and checked) by ``load_state_dict``.
_FILTER_BUFFERS = ("Hz_geom", "Hz_fbank")


class AugmentPipe(ADAPipeline):
    """StyleGAN2-ADA's augmentation pipeline with the keywords, defaults and ``p`` of NVIDIA's ``AugmentPipe``.

    Each op ``k`` is applied to a sample with probability ``k * p`` (its multiplier times the buffer ``p``;
    ``rotate`` is split into a rotation before and one after ``aniso``, each with probability
    ``1 - sqrt(1 - rotate * p)``); ``p`` starts at 1, as in the original. Draws (images in ``[-1, 1]``):

    - ``xflip``: mirror with probability 1/2; ``rotate90``: ``k * 90`` degrees, ``k`` uniform in {0, 1, 2, 3};
    - ``xint``: ``round(U(-xint_max, xint_max) * side)`` pixels, ``xint_max`` a fraction of the side;
    - ``scale``: ``2 ** N(0, scale_std^2)``; ``aniso``: ``diag(s, 1/s)``, ``s = 2 ** N(0, aniso_std^2)``;
    - ``rotate``: ``U(-pi, pi) * rotate_max`` radians (``rotate_max = 1``: a full turn);
    - ``xfrac``: ``N(0, xfrac_std^2) * side`` pixels;
    - ``brightness``: ``+ N(0, brightness_std^2)``; ``contrast``: ``* 2 ** N(0, contrast_std^2)`` about 0;
    - ``lumaflip``: reflect about the grey plane with probability 1/2; ``hue``: rotate about the grey axis by
      ``U(-pi, pi) * hue_max``; ``saturation``: scale the part orthogonal to grey by ``2 ** N(0, saturation_std^2)``;
    - ``imgfilter``: each of 4 octave bands (band ``i`` with probability ``imgfilter * p * imgfilter_bands[i]``)
      amplified by ``2 ** N(0, imgfilter_std^2)``, the power of a 1/f image kept;
    - ``noise``: ``+ N(0, sigma^2)`` per pixel, ``sigma = |N(0, noise_std^2)|``;
    - ``cutout``: a square of side ``cutout_size`` (a fraction of the side) set to 0.

    Differences from the original (see ``docs/stylegan.md``): the geometry is resampled so that the image
    moves exactly by the matrix (``compensate_phase=True``; ``False`` samples where the release does), samples
    whose matrix is a blit are gathered exactly, the reflect padding is per sample (not batch-wide), images
    may have any size and any channel count (colour ops: RGB as the original, 1 channel as its grey
    reduction, 4 channels RGB with alpha kept as in StyleGAN3, other counts about the mean of all channels;
    ``hue`` needs 1, 3 or 4 channels), and float16/bfloat16/float64 images keep their dtype.

    Args:
        xflip, rotate90, xint, scale, rotate, aniso, xfrac, brightness, contrast, lumaflip, hue, saturation,
            imgfilter, noise, cutout: probability multipliers ``>= 0`` (``train.py`` uses 0 or 1).
        xint_max, scale_std, rotate_max, aniso_std, xfrac_std, brightness_std, contrast_std, hue_max,
            saturation_std, imgfilter_std, noise_std, cutout_size: the magnitudes above (``>= 0``;
            ``cutout_size <= 1``); the ``*_std`` of scalings are log2 standard deviations.
        imgfilter_bands: 4 probability multipliers ``>= 0``, one per band (lowest first).
        compensate_phase: see :class:`~kornia_diffaug.ops.ADAPipeline` (keyword only, not in the original).
        generator: a ``torch.Generator`` for every draw (keyword only, not in the original).

    Example:
        >>> pipe = AugmentPipe(**augpipe_specs["bgc"])
        >>> _ = pipe.p.copy_(torch.as_tensor(0.6))
        >>> pipe(torch.rand(4, 3, 32, 32) * 2 - 1).shape
        torch.Size([4, 3, 32, 32])
    """

    def __init__(
        self,
        xflip: float = 0, rotate90: float = 0, xint: float = 0, xint_max: float = 0.125,
        scale: float = 0, rotate: float = 0, aniso: float = 0, xfrac: float = 0, scale_std: float = 0.2,
        rotate_max: float = 1, aniso_std: float = 0.2, xfrac_std: float = 0.125,
        brightness: float = 0, contrast: float = 0, lumaflip: float = 0, hue: float = 0, saturation: float = 0,
        brightness_std: float = 0.2, contrast_std: float = 0.5, hue_max: float = 1, saturation_std: float = 1,
        imgfilter: float = 0, imgfilter_bands: Iterable[float] = (1, 1, 1, 1), imgfilter_std: float = 1,
        noise: float = 0, cutout: float = 0, noise_std: float = 0.1, cutout_size: float = 0.5,
        *,
        compensate_phase: bool = True,
        generator: torch.Generator | None = None,
    ) -> None:  # fmt: skip
        if isinstance(imgfilter_bands, (str, bytes)) or not isinstance(imgfilter_bands, Iterable):
            raise TypeError(f"imgfilter_bands must be 4 numbers, got {imgfilter_bands!r}")
        super().__init__(
            None, p=1.0, value_range=(-1.0, 1.0),
            xflip=xflip, rotate90=rotate90, xint=xint, scale=scale, rotate=rotate, aniso=aniso, xfrac=xfrac,
            brightness=brightness, contrast=contrast, lumaflip=lumaflip, hue=hue, saturation=saturation,
            imgfilter=imgfilter, noise=noise, cutout=cutout,
            xint_max=xint_max, scale_std=scale_std, rotate_max=rotate_max, aniso_std=aniso_std, xfrac_std=xfrac_std,
            brightness_std=brightness_std, contrast_std=contrast_std, hue_max=hue_max,
            saturation_std=saturation_std, imgfilter_std=imgfilter_std, imgfilter_bands=list(imgfilter_bands),
            noise_std=noise_std, cutout_size=cutout_size, compensate_phase=compensate_phase, generator=generator,
        )  # fmt: skip

    # -- the original's call -----------------------------------------------------------------------------------
    def forward(  # type: ignore[override]
        self,
        images: torch.Tensor,
        debug_percentile: float | torch.Tensor | None = None,
        params: dict[str, torch.Tensor] | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        """Augment ``images`` ``(B, C, H, W)`` in ``[-1, 1]``.

        ``debug_percentile = q`` in ``[0, 1]`` replaces every draw by a fixed one, as the original does, and
        applies every enabled op whatever ``p``: uniform draws become ``q`` (angles ``(2 q - 1) * pi * max``,
        flips and quarter turns ``floor(2 q)``, ``floor(4 q)``), normal draws ``erfinv(2 q - 1)`` (the
        original's stand-in: a normal quantile scaled by ``1 / sqrt(2)``), the rotation after ``aniso`` 0,
        the noise level ``erfinv(q) * noise_std`` (the noise itself stays random) and the cutout centre
        ``(q, q)``. Values of ``q`` where the original's draw is infinite or out of range (``0`` and ``1``
        for the normal draws, ``1`` for ``xflip``, ``lumaflip`` and ``noise``) raise ``ValueError``.
        ``params`` replays a previous call's ``_params`` (Kornia's way).
        """
        if debug_percentile is not None:
            if params is not None:
                raise ValueError("pass either debug_percentile or params, not both")
            shape = tuple(self.transform_tensor(images).shape)
            params = self.debug_parameters(shape, debug_percentile)
        return super().forward(images, params=params, **kwargs)

    def debug_parameters(
        self, batch_shape: tuple[int, ...], debug_percentile: float | torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The params of ``forward(x, debug_percentile=q)`` for ``x`` of ``batch_shape`` (see :meth:`forward`).

        Float32 tensors on ``p``'s device, computed in the original's order (so in float32 they are its
        values). The signs of ``rotate90`` and the angles are this package's: the original turns the other way.
        """
        q = check_number("debug_percentile", debug_percentile, 0, 1)
        on = [k for k in ADA_OPS if self.strengths[k] > 0]
        bad = [k for k in on if (k in _NORMAL_DRAWS and q in (0.0, 1.0)) or (k in _BAD_AT_ONE and q == 1.0)]
        if bad:
            raise ValueError(
                f"debug_percentile={q:g} has no finite draw for {', '.join(bad)} (the original returns NaN or "
                "out-of-range values there); use 0 < debug_percentile < 1"
            )
        b, c = int(batch_shape[0]), int(batch_shape[1])
        h, w = int(batch_shape[-2]), int(batch_shape[-1])
        dev = self._buffers["p"].device  # type: ignore[union-attr]
        k = self.constants
        qt = torch.tensor(q, dtype=torch.float32, device=dev)
        z = torch.erfinv(qt * 2 - 1)
        side = torch.tensor([w, h], dtype=torch.float32, device=dev)

        def fill(v: torch.Tensor, *shape: int) -> torch.Tensor:
            return v.to(torch.float32).expand(shape or (b,)).clone()

        out: dict[str, torch.Tensor] = {}
        if "xflip" in on:
            out["xflip"] = fill(torch.floor(qt * 2))
        if "rotate90" in on:
            out["rotate90"] = fill(torch.remainder(-torch.floor(qt * 4), 4))
        if "xint" in on:
            out["xint"] = fill(torch.round((qt * 2 - 1) * k["xint_max"] * side), b, 2)
        if "scale" in on:
            out["scale"] = fill(torch.exp2(z * k["scale_std"]))
        if "rotate" in on:
            out["rotate_pre"] = fill(-((qt * 2 - 1) * math.pi * k["rotate_max"]))
        if "aniso" in on:
            out["aniso"] = fill(torch.exp2(z * k["aniso_std"]))
        if "rotate" in on:
            out["rotate_post"] = fill(torch.zeros((), device=dev))
        if "xfrac" in on:
            out["xfrac"] = fill(z * k["xfrac_std"] * side, b, 2)
        if "brightness" in on:
            out["brightness"] = fill(z * k["brightness_std"])
        if "contrast" in on:
            out["contrast"] = fill(torch.exp2(z * k["contrast_std"]))
        if "lumaflip" in on:
            out["lumaflip"] = fill(torch.floor(qt * 2))
        if "hue" in on:
            out["hue"] = fill((qt * 2 - 1) * math.pi * k["hue_max"])
        if "saturation" in on:
            out["saturation"] = fill(torch.exp2(z * k["saturation_std"]))
        if "imgfilter" in on:
            enabled = torch.tensor([v > 0 for v in self.imgfilter_bands], device=dev)
            amp = torch.where(enabled, torch.exp2(z * k["imgfilter_std"]), torch.ones((), device=dev))
            out["imgfilter"] = fill(amp, b, 4)
        if "noise" in on:
            out["noise"] = fill(torch.erfinv(qt) * k["noise_std"])
            gen = self.generator
            field_dev = draw_device(gen, getattr(self, "device", None))
            out["noise_field"] = torch.randn(b, c, h, w, generator=gen, device=field_dev).to(dev)
        if "cutout" in on:
            out["cutout"] = fill(torch.full((), k["cutout_size"], device=dev))
            out["cutout_center"] = fill(qt, b, 2)
        out["batch_prob"] = torch.ones(b, device=dev)
        out["forward_input_shape"] = torch.tensor(tuple(batch_shape), dtype=torch.long)
        return out

    # -- channels ----------------------------------------------------------------------------------------------
    def apply_transform(self, input, params, flags, transform=None):
        c = input.shape[1]
        if self.strengths["hue"] > 0 and c not in (1, 3, 4):
            raise ValueError(
                f"AugmentPipe: hue rotates RGB about the grey axis, so images must have 1, 3 or 4 (RGBA) channels "
                f"when hue > 0, got {c} channels; set hue=0 for other channel counts"
            )
        ada = self._ada_params(params)
        if not ada:
            return input
        return ada_augment(input, ada, self.value_range, compensate_phase=self.compensate_phase,
                           color_channels=3 if c == 4 else None)  # fmt: skip

    # -- state -------------------------------------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):  # fmt: skip
        # A state_dict of the original class also holds its two fixed filters: accept them if they are the
        # ones it always builds (sym6 and the sym2 band bank), refuse anything else.
        for name in _FILTER_BUFFERS:
            key = prefix + name
            if key in state_dict:
                value = state_dict.pop(key)
                ref = lowpass_filter(torch.float64) if name == "Hz_geom" else imgfilter_bank(torch.float64)
                got = torch.as_tensor(value).detach().to("cpu", torch.float64)
                if got.shape != ref.shape or not torch.allclose(got, ref, atol=1e-6):
                    error_msgs.append(
                        f"{key}: AugmentPipe uses the fixed filters of the original (sym6, the sym2 band bank); "
                        f"the state_dict holds a different one of shape {tuple(got.shape)}"
                    )
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)  # fmt: skip

    def config(self) -> dict[str, Any]:
        """Constructor keywords (``AugmentPipe(**pipe.config())`` rebuilds it, ``p`` aside)."""
        return {
            **self.strengths,
            **self.constants,
            "imgfilter_bands": list(self.imgfilter_bands),
            "compensate_phase": self.compensate_phase,
        }

    def __repr__(self) -> str:
        on = ", ".join(f"{k}={self.strengths[k]:g}" for k in ADA_OPS if self.strengths[k] > 0)
        p = float(self._buffers["p"])  # type: ignore[arg-type]
        return f"AugmentPipe({on}{', ' if on else ''}p={p:.4g})"


def _attribute(name: str, table: str, upper: float = math.inf) -> property:
    """The original's public attribute ``name`` (a float), read from and written to ``self.<table>``."""

    def get(self: AugmentPipe) -> float:
        return getattr(self, table)[name]

    def set_(self: AugmentPipe, value: float) -> None:
        getattr(self, table)[name] = check_number(name, value, lower=0, upper=upper)

    return property(get, set_, doc=f"``{name}`` of the original class (settable; read at every call).")


for _name in ADA_OPS:
    setattr(AugmentPipe, _name, _attribute(_name, "strengths"))
for _name in ADA_CONSTANTS:
    setattr(AugmentPipe, _name, _attribute(_name, "constants", _UPPER.get(_name, math.inf)))
del _name
