"""Registry of op classes, so tests and tools cover every op the day it is registered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OpSpec:
    """An op class plus the constructor kwargs that make it the identity and a typical instance.

    ``geometric``: the example moves pixels exactly (no resampling), so a marked pixel must land under its
    keypoint. ``resizes``: the output size differs from the input's (crops, resizes, pads, transposes); such an
    op says its output size with ``output_size((H, W))``, runs with ``p=1`` in a batch and has no identity that
    holds for every input size (``identity`` is empty). ``min_size``: the smallest ``(H, W)`` the example accepts.
    ``square``: the op takes square images only.
    """

    cls: type
    identity: dict[str, Any]
    example: dict[str, Any] = field(default_factory=dict)
    geometric: bool = False
    resizes: bool = False
    min_size: tuple[int, int] = (1, 1)
    square: bool = False


_OPS: dict[str, OpSpec] = {}


def register_op(
    *,
    identity: dict[str, Any] | None,
    example: dict[str, Any] | None = None,
    geometric: bool = False,
    resizes: bool = False,
    min_size: tuple[int, int] = (1, 1),
    square: bool = False,
):
    """Class decorator: register an op under its class name (fields as :class:`OpSpec`). Duplicate names raise
    ``ValueError``; so does ``identity=None`` for an op that keeps the size."""

    def deco(cls: type) -> type:
        if cls.__name__ in _OPS:
            raise ValueError(f"op {cls.__name__!r} is already registered")
        if identity is None and not resizes:
            raise ValueError(f"op {cls.__name__!r} keeps the image size, so it needs identity kwargs")
        _OPS[cls.__name__] = OpSpec(cls, dict(identity or {}), dict(example or {}), geometric, resizes,
                                    tuple(min_size), square)
        return cls

    return deco


def list_ops() -> list[str]:
    """Names of all registered ops, sorted."""
    return sorted(_OPS)


def get_op_spec(name: str) -> OpSpec:
    try:
        return _OPS[name]
    except KeyError:
        raise ValueError(f"unknown op {name!r}; registered: {', '.join(list_ops())}") from None
