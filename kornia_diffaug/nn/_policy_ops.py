"""Names and ranges of the differentiable operations shared by the learned and learnable policies."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["parse_ops"]

# "color" is DiffAugment's group; the finer names select one colour operation.
GROUPS = {"color": ("brightness", "saturation", "contrast")}


def parse_ops(policy: object, allowed: Sequence[str]) -> list[str]:
    """Expand ``"color,translation"`` into operation names, keeping the written order."""
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a comma-separated string, got {type(policy).__name__}")
    names: list[str] = []
    valid = sorted({*allowed, *(g for g, ops in GROUPS.items() if set(ops) <= set(allowed))})
    for part in (p.strip() for p in policy.split(",")):
        if not part:
            continue
        ops = GROUPS.get(part, (part,))
        if any(op not in allowed for op in ops):
            raise ValueError(f"policy: unknown operation {part!r}; valid names: {', '.join(valid)}")
        names += [op for op in ops if op not in names]
    if not names:
        raise ValueError(f"policy must name at least one operation of: {', '.join(valid)}")
    return names
