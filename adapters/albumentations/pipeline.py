"""The pipeline :func:`~.load.from_albumentations` returns: an ``AugmentationSequential`` that runs the box and
keypoint checks of ``targets.py`` before every transform (and between the children of ``OneOf``/``SomeOf``/
``Sequential``), as Albumentations' ``Compose`` runs them, and moves boxes by each op's matrix with the
convention Albumentations moves them by; its ``inverse`` undoes every step with the same conventions. A crop drawn
from the data (``RandomSizedBBoxSafeCrop``, ``CropNonEmptyMaskIfExists``) draws its window from the mask and boxes
as they reach it; a container that holds one runs its children one at a time on every argument for that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from kornia.augmentation import AugmentationSequential, GeometricAugmentationBase2D
from kornia.augmentation.container.base import ImageSequentialBase
from kornia.augmentation.container.ops import AugmentationSequentialOps, BoxSequentialOps
from kornia.constants import DataKey
from kornia.geometry.boxes import Boxes

from kornia_diffaug._host import host_reads_free
from kornia_diffaug.ops._alloc import writable_batch
from kornia_diffaug.ops.albu import (
    AlbuAffine,
    AlbuCoarseDropout,
    AlbuCrop,
    AlbuCropNonEmptyMaskIfExists,
    AlbuElasticTransform,
    AlbuGridDistortion,
    AlbuGridDropout,
    AlbuLongestMaxSize,
    AlbuOpticalDistortion,
    AlbuPadIfNeeded,
    AlbuPerspective,
    AlbuPiecewiseAffine,
    AlbuPiecewiseAffineMesh,
    AlbuRandomCrop,
    AlbuRandomCropFromBorders,
    AlbuRandomResizedCrop,
    AlbuRandomScale,
    AlbuRandomSizedBBoxSafeCrop,
    AlbuRandomSizedCrop,
    AlbuResize,
    AlbuSafeRotate,
    AlbuSmallestMaxSize,
    PerSampleBranches,
    merge_rows,
    take_rows,
)
from kornia_diffaug.ops.albu.containers import _PerSample  # our per-sample containers: may be lent a batch

from .sizes import check_sizes
from .targets import (
    BoxRules,
    KeypointRules,
    boxes_after_holes,
    clip_boxes,
    filter_boxes,
    keypoints_outside_holes,
    visible_keypoints,
)

__all__ = ["AlbumentationsPipeline"]

_BOX_KEYS = (DataKey.BBOX_XYXY, DataKey.BBOX_XYWH)

# How each op's 3x3 matrix moves box edges the way Albumentations moves boxes. Our matrices map pixel centres as
# Albumentations maps keypoints. Albumentations moves boxes (edges, between pixels) by the same transform about
# the centre (W/2, H/2) for flips, rotations and affines: the matrix conjugated by a half-pixel shift (pre -0.5,
# post +0.5); by the keypoint matrix itself for resizes, resized crops and perspective (no shift); and, for
# SafeRotate, by its matrix applied to the edges shifted by -0.5 and not shifted back (Albumentations' bbox matrix).
# The distortions move the edges themselves (their apply_transform_box reads them as pixel edges).
# Translations (crops, padding) are the same either way. Unlisted rigid ops (Kornia's own) take the conjugation.
# Looked up by the op's exact class, as the conventions are the class's own.
_NO_SHIFT = (AlbuResize, AlbuLongestMaxSize, AlbuSmallestMaxSize, AlbuRandomResizedCrop, AlbuPerspective,
             AlbuRandomCrop, AlbuCrop, AlbuPadIfNeeded, AlbuRandomScale, AlbuRandomCropFromBorders, AlbuRandomSizedCrop,
             AlbuRandomSizedBBoxSafeCrop, AlbuCropNonEmptyMaskIfExists, AlbuElasticTransform, AlbuGridDistortion,
             AlbuOpticalDistortion, AlbuPiecewiseAffine, AlbuPiecewiseAffineMesh)
_SHIFTS = {**{c: (0.0, 0.0) for c in _NO_SHIFT}, AlbuSafeRotate: (-0.5, 0.0)}
_DROPS_OUTSIDE = (AlbuAffine, AlbuSafeRotate)  # fgeometric.bboxes_affine -> validate_bboxes
_HOLES = (AlbuCoarseDropout, AlbuGridDropout)  # BaseDropout: boxes and keypoints checked against the holes
# Crops whose box depends on the mask / the boxes they receive (``refine``): Kornia draws the parameters from the
# shape alone, so the box is drawn here, when the op's turn comes, from the data as it reaches the op.
_DATA_CROPS = (AlbuCropNonEmptyMaskIfExists, AlbuRandomSizedBBoxSafeCrop)


def _holds_data_crop(module: Any) -> bool:
    """``module`` is a container with a data crop among its descendants: its children then run one at a time on
    every argument, so the crop's box is drawn from the image, masks and boxes as the children before it left them
    (Albumentations' containers call their children in turn)."""
    return not isinstance(module, _DATA_CROPS) and any(isinstance(m, _DATA_CROPS) for m in module.modules())


class _Slot:
    """One box or keypoint argument of a call: its kind and the running mask of kept entries."""

    def __init__(self, kind: str, valid: torch.Tensor):
        self.kind, self.valid = kind, valid


class _State:
    def __init__(self, boxes: BoxRules, keypoints: KeypointRules, slots: dict[int, _Slot]):
        self.boxes, self.keypoints, self.slots = boxes, keypoints, slots
        self.started = False  # a transform has run: checks apply from now on (not to the input)


def _size_of(param: Any) -> tuple[int, int] | None:
    data = param.data if param is not None else None
    if isinstance(data, dict) and "forward_input_shape" in data:
        s = data["forward_input_shape"].tolist()  # a CPU tensor: no device sync
        return int(s[-2]), int(s[-1])
    if isinstance(data, list) and data:
        return _size_of(data[0])
    return None


def _box_xyxy(b: Boxes) -> torch.Tensor:
    return torch.cat([b.data.amin(-2), b.data.amax(-2)], -1)


def _as_boxes(xyxy: torch.Tensor) -> Boxes:
    """Axis-aligned boxes again (Albumentations keeps the box of the corners after every transform)."""
    return Boxes.from_tensor(xyxy, mode="xyxy_plus", validate_boxes=False)


def _shifted(b: Boxes, d: float) -> Boxes:
    return Boxes(b.data + d, mode=b.mode) if d else b


def _refine(module: Any, param: Any, args: list[Any], keys: list[Any], slots: list[_Slot | None]) -> None:
    """Draw a data-driven crop's box from the mask (``CropNonEmptyMaskIfExists``) or the kept boxes
    (``RandomSizedBBoxSafeCrop``) it receives. A replay without that target keeps the box drawn before."""
    data = param.data
    if module.needs == "mask":
        masks = [a for a, k in zip(args, keys, strict=True) if k == DataKey.MASK]
        if masks or not bool(data["refined"].all()):
            module.refine(data, mask=masks)
        return
    boxes = [(a, s) for a, s in zip(args, slots, strict=True) if s is not None and s.kind == "bboxes"]
    if boxes:
        module.refine(data, bboxes=(_box_xyxy(boxes[0][0]), boxes[0][1].valid))
    elif not bool(data["refined"].all()):
        module.refine(data, bboxes=None)


class _TargetOps(AugmentationSequentialOps):
    """Kornia's per-module dispatch, plus Albumentations' box/keypoint checks between transforms (and inside
    containers, between their children); while ``inverting``, boxes go back leaf by leaf with the shifts their
    forward step used."""

    state: _State | None = None
    inverting = False
    # During an image-only call (``source_ptr``: the caller's storage, else None): the batch the last child made in
    # this call, which the next child may overwrite (None: there is none).
    owned: torch.Tensor | None = None
    source_ptr: int | None = None

    def inverse(self, *arg, module, param, extra_args, data_keys=None):
        keys = self.preproc_datakeys(data_keys)
        if not self.inverting or not any(k in _BOX_KEYS for k in keys):
            return super().inverse(*arg, module=module, param=param, extra_args=extra_args, data_keys=data_keys)
        out = [self._inverse_boxes(a, module, param, extra_args.get(k, {})) if k in _BOX_KEYS else
               super(_TargetOps, self).inverse(a, module=module, param=param, extra_args=extra_args, data_keys=[k])
               for a, k in zip(arg, keys, strict=True)]
        return out[0] if len(out) == 1 else out

    def _inverse_boxes(self, b: Boxes, module, param, extra: dict[str, Any]) -> Boxes:
        """Undo ``module``'s forward step on boxes: ``b = M^-1 (b' - post) - pre`` with the step's shifts
        (see ``_SHIFTS``), then the axis-aligned box of the corners, as every forward step keeps."""
        if isinstance(module, PerSampleBranches):
            return module.each_group(b, param.data, lambda x, ps: self._inverse_chain(x, module, ps, extra))
        if isinstance(module, ImageSequentialBase) and isinstance(param.data, list):
            return self._inverse_chain(b, module, param.data, extra)
        if not isinstance(module, GeometricAugmentationBase2D):
            return b
        pre, post = _SHIFTS.get(type(module), (-0.5, 0.5))
        b = BoxSequentialOps.inverse(_shifted(b, -post), module, param, extra)
        return _as_boxes(_box_xyxy(_shifted(b, -pre)))

    def _inverse_chain(self, b: Boxes, module, params: list[Any], extra: dict[str, Any]) -> Boxes:
        for item in reversed(params):
            b = self._inverse_boxes(b, module.get_submodule(item.name), item, extra)
        return b

    def transform(self, *arg, module, param, extra_args, data_keys=None):
        if self.state is None:
            if isinstance(module, _DATA_CROPS):
                keys = self.preproc_datakeys(data_keys)
                _refine(module, param, list(arg), keys, [None] * len(arg))
            elif _holds_data_crop(module):  # no box or keypoint argument: no slot, so no check runs
                self.state = _State(BoxRules(), KeypointRules(), {})
                try:
                    out = self._step(list(arg), self.preproc_datakeys(data_keys), [None] * len(arg), module, param,
                                     extra_args)
                finally:
                    self.state = None
                return out[0] if len(out) == 1 else out
            return self._lent(arg, module, param, extra_args, data_keys)
        keys = self.preproc_datakeys(data_keys)
        slots = [self.state.slots.get(i) for i in range(len(arg))]
        out = self._step(list(arg), keys, slots, module, param, extra_args)
        return out[0] if len(out) == 1 else out

    def _lent(self, arg, module, param, extra_args, data_keys):
        """Kornia's dispatch of one child. In an image-only call, a leaf op or one of our per-sample containers
        may write into the batch the previous child made in this call (``writable_batch``): nothing else reads it.
        The batch this child returns is lendable next if it is that batch, or a new tensor (not a view, not the
        caller's storage)."""
        if self.source_ptr is None:
            return super().transform(*arg, module=module, param=param, extra_args=extra_args, data_keys=data_keys)
        x = arg[0] if len(arg) == 1 else None
        lend = x if (x is not None and x is self.owned and
                     (isinstance(module, _PerSample) or not isinstance(module, ImageSequentialBase))) else None
        with writable_batch(lend):
            out = super().transform(*arg, module=module, param=param, extra_args=extra_args, data_keys=data_keys)
        fresh = (isinstance(out, torch.Tensor) and out is not x and out._base is None
                 and out.untyped_storage().data_ptr() != self.source_ptr)
        self.owned = out if (out is lend and lend is not None) or fresh else None
        return out

    def _run(self, args, keys, module, param, extra_args) -> list[Any]:
        out = super().transform(*args, module=module, param=param, extra_args=extra_args, data_keys=keys)
        return [out] if len(args) == 1 else list(out)

    def _step(self, args, keys, slots, module, param, extra_args) -> list[Any]:
        st = self.state
        if isinstance(module, PerSampleBranches):
            return self._groups(args, keys, slots, module, param, extra_args)
        if isinstance(module, ImageSequentialBase) and isinstance(param.data, list) and _holds_data_crop(module):
            for child_param in param.data:  # every argument child by child: a data crop sees what reaches it
                args = self._step(args, keys, slots, module.get_submodule(child_param.name), child_param, extra_args)
            return args
        if isinstance(module, ImageSequentialBase) and isinstance(param.data, list):
            # The image (and masks) through the container at once; boxes and keypoints child by child, so each
            # leaf moves them with its own convention and the checks run between children as Albumentations'
            # containers run them.
            ann = [i for i, s in enumerate(slots) if s is not None]
            rest = [i for i, s in enumerate(slots) if s is None]
            if rest:
                done = self._run([args[i] for i in rest], [keys[i] for i in rest], module, param, extra_args)
                for i, v in zip(rest, done, strict=True):
                    args[i] = v
            sub = [args[i] for i in ann]
            for child_param in param.data:
                child = module.get_submodule(child_param.name)
                sub = self._step(sub, [keys[i] for i in ann], [slots[i] for i in ann], child, child_param,
                                 extra_args)
            for i, v in zip(ann, sub, strict=True):
                args[i] = v
            return args
        size = _size_of(param)
        if size is not None:
            for i, s in enumerate(slots):
                if s is not None:
                    args[i] = self._check(args[i], s, size, first=not st.started)
        if isinstance(module, _DATA_CROPS):
            _refine(module, param, args, keys, slots)
        pre, post = _SHIFTS.get(type(module), (-0.5, 0.5))
        for i, s in enumerate(slots):
            if s is not None and s.kind == "bboxes":
                args[i] = _shifted(args[i], pre)
        args = self._run(args, keys, module, param, extra_args)
        for i, s in enumerate(slots):
            if s is not None and s.kind == "bboxes":
                args[i] = _as_boxes(_box_xyxy(_shifted(args[i], post)))
                if type(module) in _DROPS_OUTSIDE and size is not None:
                    self._drop_outside(args[i], s, size, param)
        if isinstance(module, _HOLES) and size is not None:
            args = self._after_holes(args, slots, module, param, size)
        if size is not None:
            st.started = True
        return args

    def _groups(self, args, keys, slots, module, param, extra_args) -> list[Any]:
        """A :class:`PerSampleBranches` segment: each group of samples through its children (checks included),
        then every argument, and the kept-entry masks, back in batch order."""
        st = self.state
        started, parts = st.started, []
        one = len(param.data) == 1
        for g in param.data:
            rows = g.data["rows"]
            sub = list(args) if one else [take_rows(a, rows) for a in args]
            sub_slots = [None if s is None else _Slot(s.kind, s.valid if one else s.valid[rows.to(s.valid.device)])
                         for s in slots]
            st.started = started
            for item in g.data["params"]:
                sub = self._step(sub, keys, sub_slots, module.get_submodule(item.name), item, extra_args)
            parts.append((rows, sub, sub_slots))
        st.started = True if parts else started
        if len(parts) == 1:
            for s, new in zip(slots, parts[0][2], strict=True):
                if s is not None:
                    s.valid = new.valid
            return parts[0][1]
        rows = [r for r, _, _ in parts]
        out = [merge_rows([sub[i] for _, sub, _ in parts], rows) for i in range(len(args))]
        for i, s in enumerate(slots):
            if s is not None:
                s.valid = merge_rows([sl[i].valid for _, _, sl in parts], rows)
        return out

    def _check(self, arg, slot: _Slot, size: tuple[int, int], first: bool):
        """The check before a transform: on the input (``first``), ``clip`` and visibility of keypoints (which
        Albumentations validates); between transforms, ``filter_bboxes`` / ``filter_keypoints``."""
        st = self.state
        if slot.kind == "bboxes":
            if first and st.boxes.clip:
                xyxy, slot.valid = clip_boxes(_box_xyxy(arg), slot.valid, size)
                return _as_boxes(xyxy)
            if first or not st.boxes.check_each_transform:
                return arg
            xyxy, slot.valid = filter_boxes(_box_xyxy(arg), slot.valid, size, st.boxes)
            return _as_boxes(xyxy)
        if st.keypoints.remove_invisible and (first or st.keypoints.check_each_transform):
            slot.valid = slot.valid & visible_keypoints(arg.data, size)
        return arg

    def _after_holes(self, args, slots, module, param, size: tuple[int, int]) -> list[Any]:
        """A dropout's own box and keypoint rules (``BaseDropout.apply_to_bboxes`` / ``apply_to_keypoints``),
        on the samples where it ran: boxes filtered by their visible area and shrunk to it, keypoints inside a
        hole removed (with ``remove_invisible``)."""
        st = self.state
        holes = module.hole_mask(param.data, size)
        ran = param.data["batch_prob"] > 0.5
        for i, s in enumerate(slots):
            if s is None:
                continue
            if s.kind == "bboxes":
                xyxy, s.valid = boxes_after_holes(_box_xyxy(args[i]), s.valid, holes, ran, st.boxes)
                args[i] = _as_boxes(xyxy)
            elif st.keypoints.remove_invisible:
                s.valid = s.valid & keypoints_outside_holes(args[i].data, holes, ran)
        return args

    @staticmethod
    def _drop_outside(arg: Boxes, slot: _Slot, size: tuple[int, int], param: Any) -> None:
        """``validate_bboxes`` after an affine: boxes wholly outside the image are dropped where it ran."""
        h, w = size
        x1, y1, x2, y2 = _box_xyxy(arg).unbind(-1)
        outside = (x2 <= 0) | (y2 <= 0) | (x1 >= w) | (y1 >= h)
        ran = param.data.get("batch_prob") if isinstance(param.data, dict) else None
        if ran is not None:
            outside = outside & (ran.to(outside.device).view(-1, 1) > 0.5)
        slot.valid = slot.valid & ~outside


class AlbumentationsPipeline(AugmentationSequential):
    """The ``AugmentationSequential`` :func:`from_albumentations` returns: Kornia's call contract, with boxes and
    keypoints post-processed as the config's ``bbox_params``/``keypoint_params`` say.

    Box tensors use Albumentations' conventions, not Kornia's inclusive ``xyxy_plus``: ``bbox_xyxy`` holds pixel
    ``pascal_voc`` edges ``[x_min, y_min, x_max, y_max]`` (a box covering pixels 0..9 is ``[0, 10]``), and
    ``bbox_xywh`` pixel ``coco`` boxes. After a call, ``albumentations_valid`` maps ``"bboxes"`` and
    ``"keypoints"`` to the ``(B, N)`` bool masks of the entries kept; removed boxes are zeros, removed keypoints
    NaN. Input boxes with no area, inverted or non-finite (for example zero rows padding a batch) and NaN
    keypoints are padding: invalid from the start, where Albumentations would raise.
    """

    def __init__(self, *args: Any, data_keys: Sequence[str], bbox_rules: BoxRules | None = None,
                 keypoint_rules: KeypointRules | None = None):
        super().__init__(*args, data_keys=data_keys)
        self.bbox_rules = bbox_rules or BoxRules()
        self.keypoint_rules = keypoint_rules or KeypointRules()
        self.transform_op = _TargetOps(self.data_keys)
        self.albumentations_valid: dict[str, torch.Tensor] = {}
        self._last_output_size: tuple[int, int] | None = None
        self._checked_size: tuple[int, int] | None = None
        # The input (H, W) the config needs, where its size-conditional paths meet only for one input size.
        self.albumentations_input_size: tuple[int, int] | None = None

    def forward(self, *args: Any, params: Any = None, data_keys: Any = None) -> Any:
        keys = self.transform_op.preproc_datakeys(data_keys)
        pairs = enumerate(zip(args, keys, strict=False))
        picked = [(i, "bboxes" if k in _BOX_KEYS else "keypoints") for i, (a, k) in pairs
                  if isinstance(a, torch.Tensor) and (k in _BOX_KEYS or k == DataKey.KEYPOINTS)]
        self.albumentations_valid = {}
        if not picked or (len(args) == 1 and isinstance(args[0], dict)):
            return self._image_call(args, params, data_keys, keys)
        kinds = [k for _, k in picked]
        for kind in ("bboxes", "keypoints"):
            if kinds.count(kind) > 1:
                raise ValueError(f"one {kind} tensor per call (got {kinds.count(kind)}); call again for another")
        new_args, new_keys = list(args), list(keys)
        unbatched, valid, coco = {}, {}, {}
        for i, kind in picked:
            t = args[i]
            t = t if t.is_floating_point() else t.to(torch.get_default_dtype())
            unbatched[i] = t.ndim == 2
            t = t.unsqueeze(0) if unbatched[i] else t
            if kind == "bboxes":
                if t.ndim != 3 or t.shape[-1] != 4:
                    raise ValueError(f"boxes must have shape (B, N, 4) or (N, 4), got {tuple(args[i].shape)}")
                coco[i] = keys[i] == DataKey.BBOX_XYWH
                if coco[i]:
                    t = torch.cat([t[..., :2], t[..., :2] + t[..., 2:]], -1)
                ok = torch.isfinite(t).all(-1) & (t[..., 2] > t[..., 0]) & (t[..., 3] > t[..., 1])
                new_keys[i] = DataKey.BBOX_XYXY  # Kornia's xyxy_plus keeps the edges as the vertices
            else:
                if t.ndim != 3 or t.shape[-1] != 2:
                    raise ValueError(f"keypoints must have shape (B, M, 2) or (M, 2), got {tuple(args[i].shape)}")
                ok = torch.isfinite(t).all(-1)
            valid[i] = ok
            new_args[i] = t.masked_fill(~ok.unsqueeze(-1), 0.0)
        # Kornia processes the image first: the slots are indexed in that order.
        order = list(range(len(keys)))
        if DataKey.INPUT in keys:
            order.insert(0, order.pop(keys.index(DataKey.INPUT)))
        slots = {order.index(i): _Slot(kind, valid[i]) for i, kind in picked}
        replay_size = self._last_output_size if params is not None and params is self._params else None
        self.transform_op.state = _State(self.bbox_rules, self.keypoint_rules, slots)
        try:
            out = self._image_call(tuple(new_args), params, new_keys, keys)
        finally:
            self.transform_op.state = None
        out = [out] if len(keys) == 1 else list(out)
        if DataKey.INPUT in keys:
            size = tuple(out[keys.index(DataKey.INPUT)].shape[-2:])
        elif replay_size is not None:
            size = replay_size
        else:
            raise ValueError("replaying boxes or keypoints without the image needs the params of the pipeline's "
                             "last call with the image (pipe._params), whose output size is known")
        for i, kind in picked:
            s = slots[order.index(i)]
            t = out[i]
            if kind == "bboxes":
                t, s.valid = filter_boxes(t, s.valid, size, self.bbox_rules)
                if coco[i]:
                    t = torch.cat([t[..., :2], t[..., 2:] - t[..., :2]], -1)
            else:
                if self.keypoint_rules.remove_invisible:
                    s.valid = s.valid & visible_keypoints(t, size)
                t = t.masked_fill(~s.valid.unsqueeze(-1), float("nan"))
            out[i] = t.squeeze(0) if unbatched[i] else t
            self.albumentations_valid[kind] = s.valid.squeeze(0) if unbatched[i] else s.valid
        return out[0] if len(out) == 1 else out

    def inverse(self, *args: Any, params: Any = None, data_keys: Any = None) -> Any:
        """Map the outputs of a call back to its inputs' frame (test-time augmentation): images and masks are
        resampled back by each step's inverse matrix, keypoints move by it, and boxes (``pascal_voc`` or
        ``coco`` pixels, as the call took them) by it with the conventions of the forward step, each step
        ending at the axis-aligned box of the corners. Box rows with no area (removed or padding) stay zeros.
        Raises ``NotImplementedError`` for a step with no inverse (``ElasticTransform``, ``GridDistortion``)."""
        keys = self.transform_op.preproc_datakeys(data_keys)
        if len(args) == 1 and isinstance(args[0], dict):
            return super().inverse(*args, params=params, data_keys=data_keys)
        new_args, new_keys, fixes = list(args), list(keys), {}
        for i, (a, k) in enumerate(zip(args, keys, strict=False)):
            if k in _BOX_KEYS and isinstance(a, torch.Tensor):
                t = a if a.is_floating_point() else a.to(torch.get_default_dtype())
                if k == DataKey.BBOX_XYWH:
                    t = torch.cat([t[..., :2], t[..., :2] + t[..., 2:]], -1)
                ok = torch.isfinite(t).all(-1) & (t[..., 2] > t[..., 0]) & (t[..., 3] > t[..., 1])
                new_args[i], new_keys[i], fixes[i] = t.masked_fill(~ok.unsqueeze(-1), 0.0), DataKey.BBOX_XYXY, (k, ok)
        self.transform_op.inverting = True
        try:
            out = super().inverse(*new_args, params=params, data_keys=new_keys)
        finally:
            self.transform_op.inverting = False
        out = [out] if len(keys) == 1 else list(out)
        for i, (k, ok) in fixes.items():
            t = out[i].masked_fill(~ok.unsqueeze(-1), 0.0)
            out[i] = torch.cat([t[..., :2], t[..., 2:] - t[..., :2]], -1) if k == DataKey.BBOX_XYWH else t
        return out[0] if len(out) == 1 else out

    def forward_parameters(self, batch_shape: torch.Size) -> list[Any]:
        size = (int(batch_shape[-2]), int(batch_shape[-1]))
        if size != self._checked_size:  # crops that do not fit raise here, naming their config path
            check_sizes(list(self.children()), size)
            self._checked_size = size
        return super().forward_parameters(batch_shape)

    def _image_call(self, args, params, data_keys, keys):
        op = self.transform_op
        # Lending pays on the CPU's eager row paths only; compile, export and tracing see no storage identity.
        image_only = (len(args) == 1 and isinstance(args[0], torch.Tensor) and op.state is None
                      and host_reads_free(args[0]))
        op.owned, op.source_ptr = None, args[0].untyped_storage().data_ptr() if image_only else None
        try:
            out = super().forward(*args, params=params, data_keys=data_keys)
        finally:
            op.owned, op.source_ptr = None, None
        if DataKey.INPUT in keys:
            img = out if not isinstance(out, (list, tuple)) else out[keys.index(DataKey.INPUT)]
            self._last_output_size = tuple(img.shape[-2:])
        return out

