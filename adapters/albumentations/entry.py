"""One row of the mapping table (:class:`Entry`) and the sets of harmless parameters rows share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from .parse import Args

__all__ = ["AFFINE_KEYS", "ANY", "CROP_KEYS", "DIST_KEYS", "MASK", "NO_BORDER", "PX", "Entry"]

ANY = ...  # an ignorable parameter whose every value is harmless
PX = "pointwise"


@dataclass(frozen=True)
class Entry:
    """One row of the mapping table: how an Albumentations transform becomes a Kornia module.

    ``op``: the class it becomes (one of ours, or Kornia's own); ``build(op, args)`` constructs it from the
    config's parameters. ``ignorable``: parameters that change nothing, mapped to their harmless values (``...``:
    any). ``parity``: the deterministic case the parity tests run (Albumentations parameters), the error kind
    (``exact`` / ``pointwise``: max abs error, ``resample``: mean abs error away from a border of ``margin``
    pixels) and the bound, in units of 1/255 of the range; ``note`` explains a figure in the generated docs.
    ``variant``: how the row uses ``op``, when other rows use it too (``"rotation"`` for ``Rotate`` as
    ``AlbuAffine``).
    """

    op: type[nn.Module]
    build: Callable[[type[nn.Module], Args], nn.Module]
    ignorable: dict[str, Any]
    parity: dict[str, Any]
    variant: str = ""

    @property
    def ours(self) -> bool:
        """``op`` is one of our ``Albu*`` ops (they name their transform in ``albu_name``), not one of Kornia's."""
        return getattr(self.op, "albu_name", None) is not None

    @property
    def kornia(self) -> str:
        """The module as the docs name it: ``"AlbuAffine (rotation)"``, ``"kornia.augmentation.RandomGrayscale"``."""
        name = self.op.__name__ if self.ours else f"kornia.augmentation.{self.op.__name__}"
        return f"{name} ({self.variant})" if self.variant else name


# Rows that can show a border read their mask fill in the builder (``builders.mask_fill``: honoured, or refused);
# rows that only sample inside the image never use one, so any value is harmless there (``NO_BORDER``).
MASK = {"mask_interpolation": (0,), "rotate_method": ("largest_box",)}
NO_BORDER = {**MASK, "fill_mask": ANY}
AFFINE_KEYS = {**MASK, "rotate": ANY, "scale": ANY, "shear": ANY, "translate_percent": ANY,
                "translate_px": ANY, "keep_ratio": ANY, "balanced_scale": ANY, "fit_output": ANY}
CROP_KEYS = {"border_mode": ANY, "fill": ANY, "fill_mask": ANY, "pad_position": ANY}

DIST_KEYS = {**MASK, "keypoint_remapping_method": ANY, "value": ANY}  # the remapping distortions
