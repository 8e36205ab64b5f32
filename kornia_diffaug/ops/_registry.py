"""Registry of op classes, so tests and tools cover every op the day it is registered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OpSpec:
    """An op class plus the constructor kwargs that make it the identity and a typical instance."""

    cls: type
    identity: dict[str, Any]
    example: dict[str, Any] = field(default_factory=dict)
    geometric: bool = False


_OPS: dict[str, OpSpec] = {}


def register_op(
    *, identity: dict[str, Any], example: dict[str, Any] | None = None, geometric: bool = False
):
    """Class decorator: register an op under its class name. Duplicate names raise ``ValueError``."""

    def deco(cls: type) -> type:
        if cls.__name__ in _OPS:
            raise ValueError(f"op {cls.__name__!r} is already registered")
        _OPS[cls.__name__] = OpSpec(cls, dict(identity), dict(example or {}), geometric)
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
