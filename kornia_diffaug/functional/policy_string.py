"""The parser of policy strings such as ``"color,translation,cutout"``, shared by DiffAugment and the
learned/learnable policies (``nn/``).

Names are comma-separated, whitespace around them is ignored, and they are applied in the written order.
A group name (e.g. ``"color"`` in :data:`COLOR_GROUP`) expands to its operations when they are all allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["COLOR_GROUP", "parse_policy"]

# DiffAugment's "color", split into the colour operations the learned and learnable policies name one by one.
COLOR_GROUP: Mapping[str, tuple[str, ...]] = {"color": ("brightness", "saturation", "contrast")}


def parse_policy(
    policy: object,
    allowed: Sequence[str],
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    unique: bool = False,
    nonempty: bool = False,
) -> list[str]:
    """Split ``policy`` into operation names from ``allowed``, expanding ``groups``, in the written order.

    Args:
        policy: the comma-separated string.
        allowed: the operation names the caller implements.
        groups: names that stand for several operations; a group is valid when all its operations are allowed.
        unique: drop repeats (keep the first); otherwise a name written twice is applied twice.
        nonempty: an empty policy raises instead of returning ``[]``.

    Raises ``TypeError`` unless ``policy`` is a string, ``ValueError`` naming an unknown operation and the
    valid names.

    Example:
        >>> parse_policy("color, cutout", ("brightness", "saturation", "contrast", "cutout"), groups=COLOR_GROUP)
        ['brightness', 'saturation', 'contrast', 'cutout']
    """
    if not isinstance(policy, str):
        raise TypeError(f"policy must be a comma-separated string, got {type(policy).__name__}")
    usable = {g: tuple(ops) for g, ops in (groups or {}).items() if set(ops) <= set(allowed)}
    valid = ", ".join([*usable, *allowed])
    names: list[str] = []
    for part in (p.strip() for p in policy.split(",")):
        if not part:
            continue
        if part not in usable and part not in allowed:
            raise ValueError(f"policy: unknown operation {part!r}; valid names: {valid}")
        names += [op for op in usable.get(part, (part,)) if not (unique and op in names)]
    if nonempty and not names:
        raise ValueError(f"policy must name at least one operation of: {valid}")
    return names
