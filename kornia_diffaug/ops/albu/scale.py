"""Albumentations' resizes whose output size is drawn per sample (``RandomScale``).

A batch holds one size, so these ops draw their size-deciding numbers apart from the rest (``draw_size`` /
``size_from``): :class:`~kornia_diffaug.ops.albu.PerSampleBranches` reads them to group the samples that end at
the same size, and each group runs as one batch. Used alone on a batch, every sample must end at one size (one
scale, ``same_on_batch=True``, or a range narrow enough for the image size), else the call raises. Common
arguments (``p``, ``same_on_batch``, ``keepdim``, ``generator``) as in ``ops.albu.color``.
"""

from __future__ import annotations

import torch

from ...functional import albu as FA
from .._base import resample_flag
from .._registry import register_op
from ._base import AlbuGeometricBase, pair

__all__ = ["AlbuRandomScale"]


@register_op(identity=None, example={"scale_limit": (0.5, 0.5)}, resizes=True)
class AlbuRandomScale(AlbuGeometricBase):
    """``RandomScale``: resize by ``s ~ U(1 + lo, 1 + hi)`` to ``(int(H s), int(W s))`` (``cv2.resize``, half-pixel
    centres); keypoints and boxes are scaled by ``s`` itself, as Albumentations scales keypoints (its boxes, in
    normalised coordinates, scale by the size ratio ``int(W s) / W``: at most one pixel from ``s`` at the far edge).

    Args:
        scale_limit: ``(lo, hi)``, the scale's range minus 1 (Albumentations' convention), ``lo > -1``.
        interpolation: OpenCV flag 0 nearest, 1 linear, 2 cubic.

    Example:
        >>> op = AlbuRandomScale(scale_limit=(0.5, 0.5))
        >>> y = op(torch.rand(2, 3, 32, 32))  # (2, 3, 48, 48)
    """

    albu_name = "RandomScale"
    resizes = True

    @property
    def variable_size(self) -> bool:
        """The output size is drawn per sample (a scale range, not one scale)."""
        lo, hi = self._cfg["scale_limit"]
        return lo != hi

    def __init__(self, scale_limit=(-0.1, 0.1), interpolation=1, p=1.0, same_on_batch=False, keepdim=False,
                 generator=None):
        super().__init__(p, same_on_batch, keepdim, generator, scale_limit=pair("scale_limit", scale_limit, -1 + 1e-6),
                         interpolation=interpolation)
        self._check_modes(interpolation, 0, 0.0)

    def draw_size(self, n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
        """The ``(n,)`` scales ``s`` (float64), the only draw that decides the output size."""
        lo, hi = self._cfg["scale_limit"]
        u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
        return 1.0 + lo + (hi - lo) * u

    def size_from(self, size: tuple[int, int], s: float) -> tuple[int, int]:
        """The output ``(H, W)`` of an ``size`` image at scale ``s`` (``int`` truncates, as Albumentations)."""
        return int(size[0] * s), int(size[1] * s)

    def extreme_sizes(self, size: tuple[int, int]) -> set[tuple[int, int]]:
        lo, hi = self._cfg["scale_limit"]
        return {self.size_from(size, 1.0 + lo), self.size_from(size, 1.0 + hi)}

    def output_size(self, size):
        lo, hi = self._cfg["scale_limit"]
        return self.size_from(size, 1.0 + (lo + hi) / 2)

    def forward_parameters_given(self, batch_shape: torch.Size, scales: torch.Tensor) -> dict[str, torch.Tensor]:
        """:meth:`forward_parameters` with the scales drawn beforehand (``draw_size``), one per sample."""
        self._given = scales
        try:
            return self.forward_parameters(batch_shape)
        finally:
            self._given = None

    def sample(self, n, size, generator, device):
        given = getattr(self, "_given", None)
        s = self.draw_size(n, generator, device) if given is None else given.to(device, torch.float64)
        out = [self.size_from(size, float(v)) for v in s.cpu().tolist()]
        if len(set(out)) > 1:
            raise ValueError(f"RandomScale draws sizes {sorted(set(out))} for one batch; a batch holds one size "
                             "(in a loaded pipeline, PerSampleBranches groups the samples by size)")
        oh, ow = out[0] if out else self.output_size(size)
        box = torch.tensor([[0.0, 0.0, size[1], size[0]]], dtype=torch.float64, device=device).expand(n, 4)
        target = torch.eye(3, dtype=torch.float64, device=device).repeat(n, 1, 1)
        target[:, 0, 0] = target[:, 1, 1] = s
        return {"matrix": FA.crop_resize_matrix(box, (oh, ow)), "target": target, "scale": s,
                "output_size": torch.tensor([[oh, ow]], dtype=torch.long).expand(n, 2)}

    def _size(self, input: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[int, int]:
        o = params["output_size"]
        if o.shape[0] == 0:
            return self.output_size((input.shape[-2], input.shape[-1]))
        oh, ow = (int(v) for v in o[0].tolist())  # a CPU tensor: no device sync
        return oh, ow

    def apply_transform(self, input, params, flags, transform=None):
        return FA.resize(input, self._size(input, params), resample_flag(flags, self.interpolation))

    def apply_transform_mask(self, input, params, flags, transform=None):
        return FA.resize(input, self._size(input, params), resample_flag(flags, 0))

    def inverse_transform(self, input, flags, transform=None, size=None):
        """A resize back to the forward input's ``size`` (the exact inverse of the pixel matrix)."""
        return FA.resize(input, self._inverse_size(size), resample_flag(flags, self.interpolation))
