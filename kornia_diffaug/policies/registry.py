"""Name -> constructor registry for augmentation policies (as timm's ``register_model``/``create_model``).

Names are unique: registering a name twice raises instead of silently replacing the first entry.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

__all__ = ["register_policy", "make_policy", "list_policies", "policy_info"]


@dataclass(frozen=True)
class PolicyEntry:
    name: str
    factory: Callable[..., nn.Module]
    description: str

    def parameters(self) -> dict[str, inspect.Parameter] | None:
        """The factory's keyword parameters, or ``None`` when it takes any (``**kwargs``) or has no signature."""
        try:
            params = inspect.signature(self.factory).parameters
        except (TypeError, ValueError):
            return None
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return None
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        return {n: p for n, p in params.items() if p.kind in kinds}

    def accepts(self, keyword: str) -> bool:
        """Whether the factory takes ``keyword`` (e.g. ``"value_range"``), by its signature."""
        params = self.parameters()
        return params is None or keyword in params


_REGISTRY: dict[str, PolicyEntry] = {}


def register_policy(name: str, factory: Callable[..., nn.Module] | None = None, *, description: str = ""):
    """Register ``factory`` under ``name``; usable as ``register_policy(name, f)`` or as a decorator."""
    if not isinstance(name, str):
        raise TypeError(f"policy name must be a non-empty string, got {type(name).__name__}")
    if not name:
        raise ValueError("policy name must be a non-empty string, got ''")

    def add(f: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"policy {name!r} is already registered")
        _REGISTRY[name] = PolicyEntry(name, f, description or (f.__doc__ or "").strip().split("\n")[0])
        return f

    return add(factory) if factory is not None else add


def list_policies(pattern: str | None = None) -> list[str]:
    """Registered policy names, sorted; ``pattern`` keeps those containing it (e.g. ``"ada:"``)."""
    return sorted(n for n in _REGISTRY if pattern is None or pattern in n)


def policy_info(name: str) -> PolicyEntry:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; registered policies: {', '.join(list_policies())}") from None


def make_policy(name: str, **kwargs) -> nn.Module:
    """Build the policy registered as ``name`` with ``kwargs`` passed to its constructor.

    Example:
        >>> aug = make_policy("diffaugment", policy="translation,cutout", value_range=(0.0, 1.0))
    """
    return policy_info(name).factory(**kwargs)
