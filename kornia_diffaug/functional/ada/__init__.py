"""The StyleGAN2-ADA augmentation pipeline (Karras et al., NeurIPS 2020) as a pure function of explicit params.

``ada_augment(x, params)`` runs, in the paper's order: all geometric ops fused into one 3x3 matrix and one
resampling, all colour ops fused into one affine colour matrix applied once, the 4-band image filter,
additive noise and cutout. ``params`` holds per-sample tensors in the paper's units (see
:func:`~kornia_diffaug.functional.ada.geometry.geometry_matrices`,
:func:`~kornia_diffaug.functional.ada.color.color_matrix` and :data:`ADA_PARAM_DOC`); an op whose key is
absent is skipped, and a sample whose parameters are the identity comes back bit-for-bit unchanged.

The kernels it composes: :mod:`.geometry` (the fused 3x3 matrices), :mod:`.resample` (the one anti-aliased
or exact resampling), :mod:`.color` (the colour matrix, the image filter, noise and cutout). The op that
samples ``params`` is :class:`kornia_diffaug.ops.ADAPipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from ..._host import host_reads_free
from ..._validate import check_image
from .color import (
    COLOR_KEYS,
    ada_cutout,
    ada_noise,
    apply_color_matrix,
    color_matrix,
    embed_color_matrix,
    imgfilter,
    imgfilter_gains,
)
from .geometry import GEOMETRY_KEYS, PIXEL_EXACT_KEYS, geometry_matrices
from .resample import resample_antialiased, resample_nearest

__all__ = ["ADA_PARAM_DOC", "ada_augment", "ada_geometry", "ada_resample"]

ADA_PARAM_DOC = {
    "xflip": "(B,) in {0, 1}: mirror horizontally",
    "rotate90": "(B,) in {0, 1, 2, 3}: quarter turns",
    "xint": "(B, 2) integer translation (tx, ty) in pixels",
    "scale": "(B,) isotropic scale factor",
    "rotate_pre": "(B,) rotation before aniso, radians",
    "aniso": "(B,) anisotropic scale diag(s, 1/s)",
    "rotate_post": "(B,) rotation after aniso, radians",
    "xfrac": "(B, 2) fractional translation in pixels",
    "brightness": "(B,) offset, in half-range units",
    "contrast": "(B,) factor about mid",
    "lumaflip": "(B,) in {0, 1}: invert luma",
    "hue": "(B,) rotation about the luma axis, radians (RGB only)",
    "saturation": "(B,) factor orthogonal to the luma axis",
    "imgfilter": "(B, 4) raw band amplifications (1 = unchanged)",
    "noise": "(B,) standard deviation, in half-range units",
    "noise_field": "(B, C, H, W) standard normal field scaled by noise",
    "cutout": "(B,) side as a fraction of the image side (0 = none)",
    "cutout_center": "(B, 2) centre as fractions of (W, H)",
}


def _select(active: torch.Tensor, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """``new`` where a sample is ``active``, else ``old``; on CPU (a free host read) just ``new`` when all are."""
    if host_reads_free(active, new) and bool(active.all()):
        return new
    return torch.where(active.view(-1, 1, 1, 1).to(new.device), new, old)


def ada_resample(
    x: torch.Tensor,
    m_inv: torch.Tensor,
    exact_only: bool = False,
    compact: bool | None = None,
    *,
    compensate_phase: bool = True,
) -> torch.Tensor:
    """Resample each sample once under ``m_inv`` (output-to-input pixel matrices).

    Samples whose matrix is integer-valued (only flips, quarter turns and integer shifts, or nothing) map
    pixels onto pixels and are gathered exactly; the others go through
    :func:`~kornia_diffaug.functional.ada.resample.resample_antialiased` (on accelerators all samples are
    computed and selected with ``torch.where``, no host sync; on CPU only those samples are resampled). With
    ``exact_only`` every sample is gathered (the caller knows that the matrices are integer). ``compact``
    forces (``True``) or forbids (``False``) resampling only the selected samples; ``None``: on CPU only.
    ``compensate_phase=False`` samples at the paper's release positions (see ``resample_antialiased``).
    """
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    m_inv = m_inv.to(device=x.device, dtype=cdt)
    if exact_only:
        return resample_nearest(x, m_inv)
    pixel_aligned = ((m_inv - m_inv.round()).abs() < 1e-6).flatten(1).all(dim=1)
    if compact or (compact is None and host_reads_free(x, m_inv)):
        # No device to wait for on CPU: each sample goes through just the sampler it needs (at p = 0.2 about
        # 40% are pixel-aligned, at p = 1 almost none).
        idx = torch.nonzero(~pixel_aligned).flatten()
        if idx.numel() == 0:
            return resample_nearest(x, m_inv)
        if idx.numel() == x.shape[0]:
            return resample_antialiased(x, m_inv, compensate_phase=compensate_phase)
        sub = resample_antialiased(
            x.index_select(0, idx), m_inv.index_select(0, idx), compensate_phase=compensate_phase
        )
        keep = torch.nonzero(pixel_aligned).flatten()
        exact = resample_nearest(x.index_select(0, keep), m_inv.index_select(0, keep))
        return torch.cat([exact, sub]).index_select(0, torch.argsort(torch.cat([keep, idx])))
    exact = resample_nearest(x, m_inv)
    return _select(pixel_aligned, exact, resample_antialiased(x, m_inv, compensate_phase=compensate_phase))


def ada_geometry(
    x: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    nearest: bool = False,
    *,
    compensate_phase: bool = True,
    m_inv: torch.Tensor | None = None,
) -> torch.Tensor:
    """The geometric part of :func:`ada_augment` alone (``nearest=True``: label masks, no interpolation).

    ``m_inv``: the ``(B, 3, 3)`` output-to-input matrices of ``params``' geometry when the caller already has
    them (``geometry_matrices(params, (H, W), dtype)[1]``, ``dtype`` float64 for float64 images, else float32);
    computed here otherwise.
    """
    if m_inv is None:
        cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
        mats = geometry_matrices(params, tuple(x.shape[-2:]), cdt, x.device)
        if mats is None:
            return x
        m_inv = mats[1]
    exact_only = nearest or all(k in PIXEL_EXACT_KEYS for k in GEOMETRY_KEYS if k in params)
    return ada_resample(x, m_inv, exact_only=exact_only, compensate_phase=compensate_phase)


def ada_augment(
    x: torch.Tensor,
    params: Mapping[str, torch.Tensor],
    value_range: Sequence[float] = (-1.0, 1.0),
    *,
    compensate_phase: bool = True,
    color_channels: int | None = None,
    m_inv: torch.Tensor | None = None,
) -> torch.Tensor:
    """Apply the ADA pipeline with explicit per-sample ``params`` (keys of :data:`ADA_PARAM_DOC`).

    Args:
        x: images ``(B, C, H, W)`` in ``value_range``, any float dtype. Colour ops need no particular ``C``
            (hue acts on RGB only).
        params: per-sample parameters; absent keys are skipped. Samples whose parameters of an op are the
            identity are passed through that op unchanged (``torch.where``, no host sync).
        value_range: ``(lo, hi)`` of the images; colour, noise and cutout magnitudes are in half-range units.
        compensate_phase: the image follows the geometry matrix exactly (default) or is sampled at the
            paper's release positions, up to 0.14 px off it (see ``resample_antialiased``).
        color_channels: colour ops act on the first ``color_channels`` channels only, the others pass through
            them unchanged (StyleGAN3's RGBA: ``3``, alpha kept); ``None``: all channels.
        m_inv: the geometry's output-to-input matrices if already computed (see :func:`ada_geometry`).

    Example:
        >>> x = torch.zeros(2, 3, 8, 8)
        >>> ada_augment(x, {"brightness": torch.tensor([0.5, 0.0])})[:, 0, 0, 0]
        tensor([0.5000, 0.0000])
    """
    check_image(x)
    b, c = x.shape[:2]
    y = ada_geometry(x, params, compensate_phase=compensate_phase, m_inv=m_inv)
    cdt = torch.float64 if x.dtype == torch.float64 else torch.float32
    cc = c if color_channels is None else color_channels
    if not 1 <= cc <= c:
        raise ValueError(f"color_channels must be in [1, {c}] for {c} channels, got {color_channels}")
    cm = color_matrix(params, cc, cdt, x.device)
    if cm is not None and cc < c:
        cm = embed_color_matrix(cm, c)
    if cm is not None:
        active = ~(cm == torch.eye(c + 1, dtype=cdt, device=x.device)).flatten(1).all(dim=1)
        y = _select(active, apply_color_matrix(y, cm, value_range), y)
    if "imgfilter" in params:
        t = params["imgfilter"].to(device=x.device, dtype=cdt)
        active = (t != 1).any(dim=1)
        y = _select(active, imgfilter(y, imgfilter_gains(t), value_range), y)
    if "noise" in params:
        sigma = params["noise"]
        y = _select(sigma.to(x.device) != 0, ada_noise(y, sigma, params["noise_field"], value_range), y)
    if "cutout" in params:
        y = ada_cutout(y, params["cutout"], params["cutout_center"], value_range)
    return y


# Keys in the order the pipeline applies them (used to validate params).
ADA_KEYS = (*GEOMETRY_KEYS, *COLOR_KEYS, "imgfilter", "noise", "cutout")
