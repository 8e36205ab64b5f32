"""One call from a name to a pipeline: a registered policy or an Albumentations config file.

Tools and scripts take a ``--policy``/``--aug`` string that may be either; :func:`build_pipeline` decides
which, and passes ``value_range`` only to policies whose constructor takes it (by its signature).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from torch import nn

from .._validate import check_value_range
from .registry import list_policies, policy_info

__all__ = ["build_pipeline"]

_UNIT = (0.0, 1.0)


def build_pipeline(
    spec: str | os.PathLike[str], *, value_range: Sequence[float] = _UNIT, **kwargs
) -> nn.Module:
    """Build the policy registered as ``spec``, or load the Albumentations config file at path ``spec``.

    Args:
        spec: a name of :func:`list_policies` (it wins over a file of the same name) or the path of a JSON or
            YAML Albumentations config (loaded by :func:`kornia_diffaug.from_albumentations`).
        value_range: ``(lo, hi)`` of the images the pipeline will see. Passed to policies that take it
            (DiffAugment, ADA, the learned policies); the others (the SSL views, ``noise_field``, configs)
            work on [0, 1] images and accept only ``(0, 1)``.
        kwargs: further constructor arguments (for a config: those of ``from_albumentations``).

    Raises:
        TypeError: ``spec`` is not a string or path, or the policy does not take one of ``kwargs``.
        ValueError: ``spec`` is neither a registered name nor an existing file, or ``value_range`` is not
            ``(0, 1)`` for a pipeline that works on [0, 1] only.

    Example:
        >>> aug = build_pipeline("diffaugment", policy="translation,cutout", value_range=(-1.0, 1.0))
        >>> views = build_pipeline("ssl:simclr", size=32)
    """
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"spec must be a policy name or a config file path, got {type(spec).__name__}")
    lo_hi = check_value_range(value_range)
    if isinstance(spec, str) and spec in list_policies():
        entry = policy_info(spec)
        params = entry.parameters()
        if params is not None:
            unknown = [k for k in kwargs if k not in params]
            if unknown:
                raise TypeError(f"policy {spec!r} does not take {', '.join(unknown)}; it takes: {', '.join(params)}")
        if entry.accepts("value_range"):
            return entry.factory(value_range=lo_hi, **kwargs)
        _require_unit(f"policy {spec!r}", lo_hi)
        return entry.factory(**kwargs)
    if os.path.isfile(spec):
        from ..adapters.albumentations import from_albumentations  # adapters import policies: resolve late

        _require_unit(f"the Albumentations config {os.fspath(spec)!r}", lo_hi)
        return from_albumentations(os.fspath(spec), **kwargs)
    raise ValueError(
        f"{os.fspath(spec)!r} is neither a registered policy ({', '.join(list_policies())}) nor an existing file"
    )


def _require_unit(what: str, value_range: tuple[float, float]) -> None:
    if value_range != _UNIT:
        raise ValueError(
            f"{what} works on images in [0, 1] and takes no value_range; got value_range={value_range} "
            "(map the images to [0, 1] first)"
        )
