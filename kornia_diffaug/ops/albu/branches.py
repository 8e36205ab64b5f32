"""``PerSampleBranches``: a segment of a pipeline in which samples take different size paths.

Albumentations draws each transform for the image it receives, so a skipped crop, or a ``OneOf`` between a crop
and a resize, leaves some images at one size and some at another until a later transform brings them to one size
again. A batch holds one size. This container runs such a segment (from the first transform whose size depends on
a per-sample decision to the first one after which every path ends at the same size) on groups of samples: first
every decision (each op's ``p``, each container's choice) is drawn for the whole batch as the ops and containers
draw them; samples that apply the same size-changing ops form a group; each group's parameters are then drawn
for the sizes that group's images have, with the decisions kept; at run time each group goes through the segment
on its own and the outputs are put back in batch order. One group (every sample on the same path) costs nothing
extra. Images, masks, boxes and keypoints follow the same groups, and the params replay.

Reading the decisions to form groups is a host read (a device sync on accelerators), as Kornia's own shape
bookkeeping of size-changing ops is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from kornia.augmentation import ImageSequential
from kornia.augmentation.container.params import ParamItem
from kornia.geometry.boxes import Boxes
from kornia.geometry.keypoints import Keypoints

from .._base import allow_per_sample_gating, is_kornia_augmentation, next_batch_shape, own_gate
from .containers import _PerSample

__all__ = ["PerSampleBranches", "changes_size", "merge_rows", "take_rows"]


def changes_size(module: torch.nn.Module) -> bool:
    """``module`` is a leaf op whose output size can differ from its input's."""
    return bool(getattr(module, "resizes", False)) and is_kornia_augmentation(module)


def _decide(m: torch.nn.Module, b: int, outer: torch.Tensor | None, forced: bool, out: dict[int, torch.Tensor]):
    """Every leaf's ``(B,)`` float gate in ``out`` (by ``id``; at ``-id`` the size-deciding draw of ops whose
    output size is drawn per sample), drawn as the containers and ops draw them."""
    if isinstance(m, _PerSample):
        masks = m.decide(b, outer, forced)
        for i, c in enumerate(m.children()):
            _decide(c, b, masks[:, i], m.forces_children, out)
    elif isinstance(m, PerSampleBranches):
        for c in m.children():
            _decide(c, b, outer, False, out)
    elif is_kornia_augmentation(m):
        gate = torch.ones(b) if forced else own_gate(m, torch.Size((b,)))
        if outer is not None:
            gate = gate.to(outer.device) * outer.to(gate.dtype)
        out[id(m)] = gate
        if getattr(m, "variable_size", False):  # the draw that decides its output size, per sample
            out[-id(m)] = m.draw_size(b, m.generator, gate.device)


def _leaves(m: torch.nn.Module) -> list[torch.nn.Module]:
    return [c for c in m.modules() if changes_size(c)]


def _groups(leaves: list[torch.nn.Module], gates: dict[int, torch.Tensor], rows: torch.Tensor,
            size: tuple[int, int]) -> list[torch.Tensor]:
    """Positions in ``rows`` grouped by their size path: which of ``leaves`` (in the order they run) they apply,
    and the size after each, from inputs of ``size``."""
    if not leaves or rows.numel() == 0:
        return [torch.arange(rows.numel())]
    applied = torch.stack([gates[id(leaf)].cpu()[rows] > 0.5 for leaf in leaves], 1).tolist()
    drawn = {id(leaf): gates[-id(leaf)].cpu()[rows].tolist() for leaf in leaves if -id(leaf) in gates}
    paths: dict[tuple, list[int]] = {}
    for i, flags in enumerate(applied):
        hw, path = size, []
        for leaf, on in zip(leaves, flags, strict=True):
            if on:
                hw = leaf.size_from(hw, drawn[id(leaf)][i]) if id(leaf) in drawn else tuple(leaf.output_size(hw))
            path.append((on, hw))
        paths.setdefault(tuple(path), []).append(i)
    return [torch.tensor(v) for v in paths.values()]


def _params(name: str, m: torch.nn.Module, shape: torch.Size, gates: dict[int, torch.Tensor],
            rows: torch.Tensor) -> ParamItem:
    """``m``'s parameters for the samples ``rows`` (images of ``shape``), with their decisions from ``gates``."""
    if isinstance(m, PerSampleBranches):
        return ParamItem(name, m.group_params(shape, gates, rows))
    if isinstance(m, _PerSample):
        items = []
        for child_name, child in m.named_children():
            item = _params(child_name, child, shape, gates, rows)
            shape = next_batch_shape(item, shape, child)
            items.append(item)
        return ParamItem(name, items)
    if not is_kornia_augmentation(m):
        return ParamItem(name, None)
    if getattr(m, "variable_size", False):
        on = gates[id(m)].cpu()[rows] > 0.5
        drawn = gates[-id(m)].cpu()[rows]
        data = m.forward_parameters_given(shape, drawn if bool(on.all()) else torch.ones_like(drawn))
    else:
        data = m.forward_parameters(shape)
    prob = data["batch_prob"]
    data["batch_prob"] = gates[id(m)].cpu()[rows].to(device=prob.device, dtype=prob.dtype)
    return ParamItem(name, data)


def take_rows(x: Any, rows: torch.Tensor) -> Any:
    """The samples ``rows`` of an image, mask, ``Boxes`` or ``Keypoints`` batch."""
    if isinstance(x, Boxes):
        return Boxes(x.data.index_select(0, rows.to(x.data.device)), mode=x.mode)
    if isinstance(x, Keypoints):
        return Keypoints(x.data.index_select(0, rows.to(x.data.device)))
    return x.index_select(0, rows.to(x.device))


def merge_rows(parts: list[Any], rows: list[torch.Tensor]) -> Any:
    """The groups' outputs back in batch order."""
    first = parts[0]
    data = [p.data if isinstance(p, (Boxes, Keypoints)) else p for p in parts]
    shapes = {tuple(d.shape[1:]) for d in data}
    if len(shapes) > 1:
        raise ValueError(f"the groups of samples end at different shapes {sorted(shapes)}; a batch holds one")
    order = torch.cat(rows).argsort().to(data[0].device)
    merged = torch.cat(data).index_select(0, order)
    if isinstance(first, Boxes):
        return Boxes(merged, mode=first.mode)
    if isinstance(first, Keypoints):
        return Keypoints(merged)
    return merged


def _per_group(name: str) -> Callable[..., Any]:
    """``ImageSequential``'s pass ``name`` (``transform_inputs``, ``inverse_masks``, ...) run on each group."""
    base = getattr(ImageSequential, name)

    def run(self: PerSampleBranches, input: Any, params: list[ParamItem], extra_args: Any = None) -> Any:
        return self.each_group(input, params, lambda x, ps: base(self, x, ps, extra_args=extra_args))

    run.__name__ = run.__qualname__ = name
    return run


class PerSampleBranches(ImageSequential):
    """Run ``children`` in turn on groups of samples that take the same size path (see the module docstring).

    The children's own ``p`` and the containers' choices are drawn per sample as usual; the output has one size
    for every sample, or the call raises ``ValueError`` naming the sizes. ``inverse`` undoes each group by its
    own path (all groups started from the segment's one input size) and merges the rows back.

    Example:
        >>> from kornia_diffaug.ops.albu import AlbuRandomCrop, AlbuResize
        >>> seg = PerSampleBranches(AlbuRandomCrop(24, 24, p=0.5), AlbuResize(16, 16))
        >>> y = seg(torch.rand(4, 3, 32, 32))  # (4, 3, 16, 16), half of them cropped first
    """

    def __init__(self, *children: torch.nn.Module):
        if not children:
            raise ValueError("PerSampleBranches needs at least one transform")
        super().__init__(*[allow_per_sample_gating(c) for c in children])

    def forward_parameters(self, batch_shape: torch.Size) -> list[ParamItem]:
        return self.forward_parameters_masked(batch_shape, None)

    def forward_parameters_masked(self, batch_shape: torch.Size, outer: torch.Tensor | None,
                                  forced: bool = False) -> list[ParamItem]:
        """As :meth:`forward_parameters`, inside an enclosing container whose decision is ``outer`` (B,)
        (``forced`` is moot: this container has no ``p`` of its own)."""
        b = int(batch_shape[0])
        gates: dict[int, torch.Tensor] = {}
        for c in self.children():
            _decide(c, b, outer, False, gates)
        return self.group_params(batch_shape, gates, torch.arange(b))

    def group_params(self, batch_shape: torch.Size, gates: dict[int, torch.Tensor],
                     rows: torch.Tensor) -> list[ParamItem]:
        """One ``ParamItem`` per group: ``rows`` (positions in this call's batch), the children's ``params`` for
        them, and the group's ``output_size`` (so Kornia's shape bookkeeping sees the segment's output size)."""
        out = []
        size = (int(batch_shape[-2]), int(batch_shape[-1]))
        for k, pos in enumerate(_groups(_leaves(self), gates, rows, size)):
            shape = torch.Size((pos.numel(), *batch_shape[1:]))
            items = []
            for name, c in self.named_children():
                item = _params(name, c, shape, gates, rows[pos])
                shape = next_batch_shape(item, shape, c)
                items.append(item)
            out.append(ParamItem(f"group{k}", {"rows": pos, "params": items, "batch_prob": torch.ones(1),
                                               "output_size": torch.tensor([[shape[-2], shape[-1]]])}))
        sizes = {tuple(g.data["output_size"][0].tolist()) for g in out}
        if len(sizes) > 1:
            raise ValueError(f"{type(self).__name__}: the samples' paths end at different sizes {sorted(sizes)}; "
                             "a batch holds one size")
        return out

    def each_group(self, x: Any, params: list[ParamItem], run: Callable[[Any, list[ParamItem]], Any]) -> Any:
        """``run(rows of x, group params)`` for every group, merged back in batch order."""
        if len(params) == 1:
            return run(x, params[0].data["params"])
        parts = [run(take_rows(x, g.data["rows"]), g.data["params"]) for g in params]
        return merge_rows(parts, [g.data["rows"] for g in params])

    # Each of Kornia's per-data-key passes runs per group; every group came from the segment's one input size, so
    # each also inverts on its own and the rows merge back.
    transform_inputs = _per_group("transform_inputs")
    transform_masks = _per_group("transform_masks")
    transform_boxes = _per_group("transform_boxes")
    transform_keypoints = _per_group("transform_keypoints")
    inverse_inputs = _per_group("inverse_inputs")
    inverse_masks = _per_group("inverse_masks")
    inverse_boxes = _per_group("inverse_boxes")
    inverse_keypoints = _per_group("inverse_keypoints")
