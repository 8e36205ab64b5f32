"""Image sizes through a loaded pipeline, decided at load time where they are static.

Albumentations draws every transform for the image it receives. In a batch that is exact as long as every image
takes the same size path; where a per-sample decision (a size-changing transform with ``p < 1``, or a ``OneOf`` /
``SomeOf`` whose branches change the size) can send images to different sizes, the segment from that transform up
to the first transform after which every path has one size again is wrapped in :class:`PerSampleBranches`, which
runs each group of samples on its own. A path that never comes back to one size, whatever the input size, cannot
be a batch: refused here, at load time, naming the transform. Where the paths meet for some input sizes only (a
crop with ``p < 1`` to the size the author's images already have), :func:`check_sizes` checks the input size given
at call time and raises, naming the transform, where they do not meet.

A size outcome is a function of the input size: ``("fixed", h, w)`` (whatever the input), or ``("in", ops)``,
the input size passed through the size-changing ``ops`` in turn (``("in", ())``: unchanged).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

from torch import nn

from kornia_diffaug.ops.albu import (
    PerSampleBranches,
    PerSampleOneOf,
    PerSampleSequential,
    PerSampleSomeOf,
    changes_size,
)

from .parse import Ctx

__all__ = ["check_sizes", "group_by_size", "outcomes", "required_input_size"]

Outcome = tuple
SAME: Outcome = ("in", ())
VAR: Outcome = ("var",)
_MAX_OUTCOMES = 256


def _after(a: Outcome, b: Outcome) -> Outcome:
    """Outcome ``a`` followed by the relative outcome ``b`` (``("var",)``: a size drawn per sample)."""
    if b[0] == "fixed":
        return b
    if b == SAME:
        return a
    if VAR in (a, b):
        return VAR
    if a[0] == "fixed":
        h, w = a[1], a[2]
        for op in b[1]:
            h, w = op.output_size((h, w))
        return ("fixed", int(h), int(w))
    return ("in", a[1] + b[1])


def _leaf(m: nn.Module) -> Outcome:
    if getattr(m, "variable_size", False):
        return VAR
    fixed = getattr(m, "fixed_size", None)
    return ("fixed", *fixed) if fixed is not None else ("in", (m,))


def _seq(children: list[nn.Module], optional: bool = False) -> frozenset[Outcome] | None:
    """The outcomes of ``children`` run in turn (``optional``: each may also not run)."""
    acc = {SAME}
    for c in children:
        o = outcomes(c)
        if o is None:
            return None
        if optional:
            o = o | {SAME}
        acc = {_after(a, b) for a in acc for b in o}
        if len(acc) > _MAX_OUTCOMES:
            return None
    return frozenset(acc)


def outcomes(m: nn.Module, forced: bool = False) -> frozenset[Outcome] | None:
    """The size outcomes ``m`` can give a sample (``forced``: it runs whatever its own ``p``, as a ``OneOf``'s
    chosen child); ``None`` when there are too many to list."""
    skip = {SAME} if getattr(m, "p", 1.0) < 1 and not forced else set()
    if isinstance(m, PerSampleBranches):
        return _seq(list(m.children()))
    if isinstance(m, PerSampleOneOf):
        parts = [outcomes(c, forced=True) for c in m.children()]
        o = None if any(x is None for x in parts) else frozenset().union(*parts)
    elif isinstance(m, PerSampleSomeOf):
        o = _some_of(m)
    elif isinstance(m, nn.Sequential):  # after OneOf/SomeOf: Kornia's containers are nn.Sequentials too
        o = _seq(list(m.children()))
    elif changes_size(m):
        o = frozenset({_leaf(m)})
    else:
        return frozenset({SAME})
    return None if o is None else frozenset(o | skip)


def _some_of(m: PerSampleSomeOf) -> frozenset[Outcome] | None:
    kids = list(m.children())
    if m.replace:  # each copy may run or not: a superset of what can happen
        return _seq(kids, optional=True) if len(kids) <= 8 else None
    if math.comb(len(kids), m.n) > _MAX_OUTCOMES:
        return None
    out: set[Outcome] = set()
    for combo in itertools.combinations(kids, m.n):
        o = _seq(list(combo))
        if o is None:
            return None
        out |= o
    return frozenset(out)


def _varies(m: nn.Module) -> bool:
    """A per-sample decision inside ``m`` chooses whether a size-changing op runs."""
    if changes_size(m):
        return getattr(m, "p", 1.0) < 1 or getattr(m, "variable_size", False)
    if isinstance(m, PerSampleBranches):
        return False
    kids = list(m.children())
    if isinstance(m, (PerSampleOneOf, PerSampleSomeOf)) or (isinstance(m, PerSampleSequential) and m.p < 1):
        return any(changes_size(c) for k in kids for c in k.modules())
    return any(_varies(k) for k in kids)


def group_by_size(mods: list[nn.Module], ctx: Ctx, top: bool) -> list[nn.Module]:
    """``mods`` (one list of siblings) with every segment whose samples can take different size paths wrapped in
    :class:`PerSampleBranches`, up to the first sibling after which the paths have one size again. At the top
    level (``top``) a segment that never does is refused (``strict``) or its first transform dropped; inside a
    container it is left for the enclosing list to close."""
    out: list[nn.Module] = []
    i = 0
    while i < len(mods):
        if not _varies(mods[i]):
            out.append(mods[i])
            i += 1
            continue
        end = next((j for j in range(i, len(mods)) if _one_size(_seq(mods[i : j + 1]))), None)
        if end is None:
            if not top:
                out.extend(mods[i:])
                break
            rest = _seq(mods[i:])
            fixed = {o for o in rest or () if o[0] == "fixed"}
            if rest is not None and VAR not in rest and len(fixed) <= 1 and any(o[0] == "in" for o in rest):
                # The paths meet or not depending on the input size (a crop to the size the author's images
                # have): checked for each input size at call time (``check_sizes``), naming this transform.
                seg = PerSampleBranches(*mods[i:])
                seg._albumentations_path = getattr(mods[i], "_albumentations_path", ctx.path)
                seg._albumentations_name = _name(mods[i])
                seg._sizes_checked_at_call = True
                out.append(seg)
                break
            dataclasses.replace(ctx, path=getattr(mods[i], "_albumentations_path", ctx.path)).unsupported(
                f"{_name(mods[i])}: leaves images of different sizes (a per-sample draw decides the size) and no "
                "later transform brings them back to one size, whatever the input size; a batch holds one size")
            i += 1
            continue
        out.append(PerSampleBranches(*mods[i : end + 1]))
        i = end + 1
    return out


def _one_size(o: frozenset[Outcome] | None) -> bool:
    return o is not None and len(o) == 1 and VAR not in o


def _name(m: nn.Module) -> str:
    cfg = getattr(m, "_albumentations", None)
    if isinstance(cfg, dict):
        return cfg["__class_fullname__"]
    return getattr(m, "_albumentations_name", type(m).__name__)


def check_sizes(mods: list[nn.Module], size: tuple[int, int]) -> None:
    """Raise Albumentations' error, naming the transform's config path, where a crop is larger than an image it
    can receive from an input of ``size``."""
    _check_seq(mods, {(int(size[0]), int(size[1]))})


def required_input_size(mods: list[nn.Module]) -> tuple[int, int] | None:
    """The input ``(H, W)`` a pipeline needs where its first size-conditional segment keeps one size only for
    inputs of one size (a crop with ``p < 1`` to the size of the author's images, nothing resized before it);
    else None."""
    for i, m in enumerate(mods):
        if getattr(m, "_sizes_checked_at_call", False):
            return _meeting_size(m) if _seq(mods[:i]) == frozenset({SAME}) else None
    return None


def _meeting_size(m: nn.Module) -> tuple[int, int] | None:
    """The one input size for which every path of ``m`` ends at that same size (its one fixed outcome), if any."""
    o = _seq(list(m.children())) or frozenset()
    fixed = [x for x in o if x[0] == "fixed"]
    if len(fixed) != 1 or VAR in o:
        return None
    hw = fixed[0]
    return (hw[1], hw[2]) if all(_after(hw, x) == hw for x in o) else None


def _hw(sizes: set[tuple[int, int]]) -> str:
    return ", ".join(f"{h}x{w}" for h, w in sorted(sizes))


def _meets(m: nn.Module) -> str:
    """`` (one size for HxW inputs)`` where that input size is the one for which the paths meet."""
    hw = _meeting_size(m)
    return f" (one size for {hw[0]}x{hw[1]} inputs)" if hw else ""


def _check_seq(mods: Any, sizes: set[tuple[int, int]]) -> set[tuple[int, int]]:
    for m in mods:
        sizes = _check(m, sizes)
    return sizes


def _check(m: nn.Module, sizes: set[tuple[int, int]]) -> set[tuple[int, int]]:
    skip = sizes if getattr(m, "p", 1.0) < 1 else set()
    if isinstance(m, PerSampleOneOf):
        return set().union(*[_check(c, sizes) for c in m.children()]) | skip
    if isinstance(m, PerSampleSomeOf):  # each child may run or not, in order: a superset
        for c in m.children():
            sizes = sizes | _check(c, sizes)
        return sizes
    if isinstance(m, PerSampleBranches) and getattr(m, "_sizes_checked_at_call", False):
        out = _check_seq(m.children(), sizes)
        if len(out) > 1:
            where = getattr(m, "_albumentations_path", "transform")
            raise ValueError(f"{where}: {_name(m)}: for {_hw(sizes)} inputs the samples end at different sizes "
                             f"{sorted(out)} (as Albumentations would give them); a batch holds one size, so this "
                             f"config needs inputs for which its paths meet{_meets(m)}")
        return out
    if isinstance(m, (PerSampleSequential, PerSampleBranches, nn.Sequential)):
        return _check_seq(m.children(), sizes) | skip
    if not changes_size(m):
        return sizes
    need = getattr(m, "min_input_size", None)
    for h, w in sizes:
        if need is not None and (need[0] > h or need[1] > w):
            where = getattr(m, "_albumentations_path", "transform")
            raise ValueError(f"{where}: {_name(m)}: crop size {tuple(need)} is larger than the image it receives "
                             f"{(h, w)} (Albumentations raises CropSizeError)")
    if getattr(m, "variable_size", False):
        return set().union(*[m.extreme_sizes(hw) for hw in sizes]) | skip
    return {tuple(int(v) for v in m.output_size((h, w))) for h, w in sizes} | skip
