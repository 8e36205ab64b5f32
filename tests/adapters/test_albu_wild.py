"""The adapter on real configs: every file of ``tests/adapters/wild/`` (sources in its ``SOURCES.md``).

a. Loading: each file loads with ``strict=True`` or is listed in :data:`EXPECTED_REFUSALS` with a substring of
   its ``UnsupportedTransformError`` (which names the config path); a listed file that loads fails, so the list
   stays honest. ``strict=False`` never raises. At most 10% of the corpus may be refused.
b. Running: each loaded pipeline runs on a batch with its data keys (``tools/wild_corpus.py``) and returns the
   documented shapes and dtypes.
c. Ops in turn: a pipeline's output equals its own top-level ops applied one after another, each replaying the
   parameters the pipeline recorded (``pipe._params``), for images, masks, boxes and keypoints.
d. Parity: configs that are deterministic (with every ``p`` set to 1) equal Albumentations itself on a real photo,
   within the parity bounds of the mapping table (``docs/albumentations.md``).
"""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest
import torch
from kornia_diffaug.adapters.albumentations import (
    TABLE,
    AlbumentationsPipeline,
    UnsupportedTransformError,
    boxes_from_pixels,
    from_albumentations,
    to_albumentations,
)
from wild_corpus import corpus, leaves, make_batch, read_config, run

ENTRIES = corpus()
BY_NAME = {e.name: e for e in ENTRIES}

# file -> a substring of the UnsupportedTransformError that strict=True raises on it today. Shrink it as mappings
# land; a file listed here that loads fails test_strict_load.
EXPECTED_REFUSALS: dict[str, str] = {
    "ccpd_default_det_kp.json": "ShiftScaleRotate: border_mode=4 with bbox_params and",
    "effhandegonet_kp.json": "OneOf: leaves images of different sizes (a per-sample draw",
    "mmdet_albu_example_det.json": "ShiftScaleRotate: border_mode=4 with bbox_params",
}

LOADED = [e for e in ENTRIES if e.name not in EXPECTED_REFUSALS]
PATH_PREFIX = re.compile(r"^transform(\.transforms\[\d+\])*(\.bbox_params|\.keypoint_params)?: ")


def _load(entry, strict: bool = True, seed: int = 0) -> AlbumentationsPipeline:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_albumentations(entry.path, strict=strict, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------------------------------- the corpus
def test_corpus_is_broad():
    """At least 60 files from 35 repositories (so 50 and 30 survive a de-duplication), every task and era."""
    assert len(ENTRIES) >= 60
    assert len({e.repo for e in ENTRIES}) >= 35
    tasks = {t for e in ENTRIES for t in e.task.split("+")}
    assert tasks == {"cls", "seg", "det", "kp"}
    eras = {e.era.split(".")[0].split("/")[0] for e in ENTRIES}
    assert {"0", "1", "2"} <= {era[0] for era in eras}
    assert set(EXPECTED_REFUSALS) <= set(BY_NAME), sorted(set(EXPECTED_REFUSALS) - set(BY_NAME))


# --------------------------------------------------------------------------------------------------- a. loading
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_strict_load(entry):
    expected = EXPECTED_REFUSALS.get(entry.name)
    if expected is None:
        assert isinstance(_load(entry), AlbumentationsPipeline)
        return
    # Any other exception type propagates and fails the test: a refusal is an UnsupportedTransformError.
    with pytest.raises(UnsupportedTransformError) as info:
        _load(entry)
    msg = str(info.value)
    assert expected in msg, f"{entry.name}: refused for another reason now: {msg}"
    assert PATH_PREFIX.match(msg), f"{entry.name}: the refusal does not start with the config path: {msg}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_non_strict_load_never_raises(entry):
    """``strict=False`` drops what it cannot map, each drop named by its path; nothing raises."""
    pipe = _load(entry, strict=False)
    for d in pipe.albumentations_dropped:
        assert PATH_PREFIX.match(d), d
    assert bool(pipe.albumentations_dropped) == (entry.name in EXPECTED_REFUSALS)


def test_at_most_ten_percent_refused():
    """The issue's bar: >= 90% of the corpus loads with strict=True."""
    refused, total = len(EXPECTED_REFUSALS), len(ENTRIES)
    assert refused <= 0.10 * total, f"{refused} of {total} files refused: {sorted(EXPECTED_REFUSALS)}"


# --------------------------------------------------------------------------------------------------- b. running
def _check_outputs(entry, pipe, batch, out):
    assert len(out) == len(batch.args)
    img = out[0]
    b, c = batch.args[0].shape[:2]
    assert img.dtype == torch.float32 and img.ndim == 4 and img.shape[:2] == (b, c), tuple(img.shape)
    assert torch.isfinite(img).all()
    h, w = img.shape[-2:]
    for kind, x, y in zip(batch.kinds, batch.args, out, strict=True):
        if kind == "mask":
            assert y.shape == (b, 1, h, w) and y.dtype == torch.float32
            # nearest: labels stay labels; a constant border writes the config's mask fill label
            fills = {float(m.fill_mask) for m in pipe.modules()
                     if isinstance(getattr(m, "fill_mask", None), (int, float))}
            assert set(y.unique().tolist()) <= set(x.unique().tolist()) | fills
        elif kind == "boxes":
            valid = pipe.albumentations_valid["bboxes"]
            assert y.shape == x.shape and y.dtype == torch.float32
            assert valid.shape == x.shape[:2] and valid.dtype == torch.bool
            assert not valid[1, 2]  # the zero row that pads image 1 stays padding
            fmt = batch.box_format  # pascal_voc, yolo, albumentations: pixel xyxy out; coco: pixel xywh
            px = torch.cat([y[..., :2], y[..., :2] + y[..., 2:]], -1) if fmt == "coco" else y
            if fmt in ("yolo", "albumentations"):  # back to the config's format, as the adapter documents
                native = boxes_from_pixels(px, fmt, (h, w))[valid]
                assert ((native >= -1e-6) & (native <= 1 + 1e-6)).all(), native
            kept = px[valid]
            assert (kept[:, 0] >= 0).all() and (kept[:, 2] <= w).all() and (kept[:, 1] >= 0).all()
            assert (kept[:, 3] <= h).all() and (kept[:, 2] > kept[:, 0]).all() and (kept[:, 3] > kept[:, 1]).all()
            assert (y[~valid] == 0).all()
        elif kind == "keypoints":
            valid = pipe.albumentations_valid["keypoints"]
            assert y.shape == x.shape and valid.shape == x.shape[:2] and valid.dtype == torch.bool
            assert not valid[1, 2]  # the NaN row stays invalid
            assert torch.isnan(y[~valid]).all() and torch.isfinite(y[valid]).all()
            if pipe.keypoint_rules.remove_invisible:
                k = y[valid]
                assert ((k[:, 0] >= 0) & (k[:, 0] < w) & (k[:, 1] >= 0) & (k[:, 1] < h)).all()


@pytest.mark.parametrize("entry", LOADED, ids=lambda e: e.name)
def test_runs_with_its_data_keys(entry):
    """The pipeline runs on a batch with the config's data keys (images, masks for segmentation configs, boxes in
    its ``bbox_params`` format, ``xy`` keypoints) and returns them with the documented shapes and dtypes.
    (``tools/wild_report.py`` also runs what ``strict=False`` keeps of the refused files.)"""
    pipe = _load(entry)
    batch = make_batch(pipe, read_config(entry.path), entry.task)
    with torch.no_grad():
        out = run(pipe, batch)
    _check_outputs(entry, pipe, batch, out)


@pytest.mark.parametrize("entry", LOADED, ids=lambda e: e.name)
def test_the_generator_alone_decides_the_draws(entry):
    """Two loads with the same ``generator`` seed give the same output, whatever torch's global RNG holds (Kornia's
    own flips, grayscale, channel shuffle and invert draw from the generator too)."""
    outs = []
    for global_seed in (1, 2):
        pipe = _load(entry, seed=5)
        batch = make_batch(pipe, read_config(entry.path), entry.task)
        torch.manual_seed(global_seed)
        with torch.no_grad():
            outs.append(run(pipe, batch))
    for kind, a, b in zip(batch.kinds, *outs, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True, msg=f"{entry.name}: {kind}")


# file -> a substring of the UnsupportedTransformError that to_albumentations raises on its pipeline: what 1.x
# meant under a name that 2.0.8 computes differently, with no 2.0.8 transform that says it.
EXPECTED_EXPORT_REFUSALS: dict[str, str] = {
    "albu_tests_transform_serialization_v2_without_totensor.json": "computes 1.x's ElasticTransform",
    "albu_tests_transform_v0.4.6_without_totensor.json": "computes 1.x's ElasticTransform",
    "camvid_train_seg.json": "computes 1.x's ElasticTransform",
    "deepblueprint_crop_elastic_seg.json": "computes 1.x's ElasticTransform",
    "nilansh_salt_seg.json": "computes 1.x's ElasticTransform",
    "centertrack_photometric.json": "GaussNoise with var_range",
    "signlang_train_cls.json": "GaussNoise with var_range",
    "sivl_triplet_cls.json": "GaussNoise with var_range",
    "ultradino_gray_seg.json": "GaussNoise with var_range",
    "doctorcyclop_train_seg.json": "1.x Cutout places holes by their centre",
}
# file -> why its export, loaded back, draws otherwise (same distributions, another structure)
EXPORT_REDRAWS: dict[str, str] = {
    "deepblueprint_crop_rotate_seg.json": "1.x Flip is exported as a OneOf of the three flips 2.0.8 has",
}


@pytest.mark.parametrize("entry", LOADED, ids=lambda e: e.name)
def test_export_loads_back_into_the_same_pipeline(entry):
    """``to_albumentations`` of the loaded pipeline: Albumentations 2.0.8 reads it, and our loader reads it back into
    a pipeline that, from the same seed, gives the same outputs (and exports to the same config); or the export is
    refused naming the transform's path."""
    pipe = _load(entry, seed=3)
    refusal = EXPECTED_EXPORT_REFUSALS.get(entry.name)
    if refusal is not None:
        with pytest.raises(UnsupportedTransformError) as info:
            to_albumentations(pipe)
        assert refusal in str(info.value) and re.match(r"^transforms(\[\d+\])(\.transforms\[\d+\])*: ", str(info.value))
        return
    cfg = to_albumentations(pipe)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        A = pytest.importorskip("albumentations")
        A.from_dict(cfg)
        back = from_albumentations(cfg, generator=torch.Generator().manual_seed(3))
    assert to_albumentations(back) == cfg
    if entry.name in EXPORT_REDRAWS:
        return
    batch = make_batch(pipe, read_config(entry.path), entry.task)
    with torch.no_grad():
        a, b = run(pipe, batch), run(back, batch)
    for kind, u, v in zip(batch.kinds, a, b, strict=True):
        torch.testing.assert_close(u, v, rtol=0, atol=1e-6, equal_nan=True, msg=f"{entry.name}: {kind}")


# --------------------------------------------------------------------------------------------------- c. in turn
def _one_op(pipe: AlbumentationsPipeline, child: torch.nn.Module) -> AlbumentationsPipeline:
    """A pipeline of the single top-level op ``child`` with the same data keys and box/keypoint rules."""
    return AlbumentationsPipeline(child, data_keys=list(pipe.data_keys), bbox_rules=pipe.bbox_rules,
                                  keypoint_rules=pipe.keypoint_rules)


def _drawn_size(data) -> tuple[int, int] | None:
    """The ``(H, W)`` a leaf op's parameters were drawn for (Kornia records ``forward_input_shape``); for a
    container, its first child's."""
    if isinstance(data, dict) and "forward_input_shape" in data:
        s = data["forward_input_shape"].tolist()
        return int(s[-2]), int(s[-1])
    if isinstance(data, list) and data:
        return _drawn_size(data[0].data)
    return None


@pytest.mark.parametrize("entry", LOADED, ids=lambda e: e.name)
def test_equals_its_ops_in_turn(entry):
    """``pipe(x)`` equals its top-level ops applied one after another, each replaying the parameters ``pipe``
    recorded: Kornia's ``params=`` replay, one op at a time, with the box/keypoint checks between them. The image
    of a leaf op is also checked against the op itself, ``op(x, params=...)``, and each op's parameters must have
    been drawn for the size of the image it receives (a replay alone would repeat a draw made for the wrong size).
    """
    pipe = _load(entry)
    batch = make_batch(pipe, read_config(entry.path), entry.task)
    with torch.no_grad():
        out = run(pipe, batch)
        valid = {k: v.clone() for k, v in pipe.albumentations_valid.items()}
        params = list(pipe._params)
        assert len(params) == len(list(pipe.children()))
        args = list(batch.args)
        for item in params:
            # Sizes flow: the op drew its parameters for the image it receives, not for the pipeline's input.
            drawn_for = _drawn_size(item.data)
            if drawn_for is not None:
                assert drawn_for == tuple(args[0].shape[-2:]), (
                    f"{entry.name}: {item.name} drew its parameters for a {drawn_for} image but receives "
                    f"{tuple(args[0].shape[-2:])}")
            child = pipe.get_submodule(item.name)
            one = _one_op(pipe, child)
            mine = type(item)(next(iter(dict(one.named_children()))), item.data)
            step = run(one, type(batch)(args, batch.data_keys, batch.size, batch.box_format, batch.kinds),
                       params=[mine])
            if not isinstance(child, torch.nn.Sequential) and isinstance(item.data, dict):
                alone = child(args[0], params=item.data)
                torch.testing.assert_close(alone, step[0], rtol=0, atol=1e-6, msg=f"{item.name} alone")
            args = step
            chained_valid = dict(one.albumentations_valid)
    for kind, a, b in zip(batch.kinds, out, args, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5, equal_nan=True, msg=f"{entry.name}: {kind}")
    for k, v in valid.items():
        assert torch.equal(v, chained_valid[k]), f"{entry.name}: kept {k}"


# --------------------------------------------------------------------------------------------------- d. parity
DETERMINISTIC_LEAVES = {"Resize", "LongestMaxSize", "SmallestMaxSize", "PadIfNeeded", "CenterCrop", "Crop",
                        "Normalize", "ToTensorV2", "ToTensor", "NoOp", "ToFloat", "HorizontalFlip", "VerticalFlip",
                        "Transpose", "ToGray", "ToSepia", "InvertImg"}
LAYOUT_ONLY = {"ToTensorV2", "ToTensor"}  # CHW layout (and 0.x ToTensor's uint8 / 255: our unit); no value change
RESAMPLE = {"Resize", "LongestMaxSize", "SmallestMaxSize"}
MARGIN = 4


def _short(node) -> str:
    return str(node.get("__class_fullname__", "")).split(".")[-1]


def _deterministic(cfg) -> bool:
    def containers_ok(node) -> bool:
        ts = node.get("transforms")
        if ts is None:
            return True
        return _short(node) in ("Compose", "Sequential") and all(containers_ok(t) for t in ts)

    return containers_ok(cfg) and all(_short(t) in DETERMINISTIC_LEAVES for t in leaves(cfg))


def _forced(cfg):
    """``cfg`` with every ``p`` 1 and the layout-only transforms removed (the reference's input to from_dict)."""
    cfg = copy.deepcopy(cfg)

    def walk(node):
        node["p"] = 1.0
        if "transforms" in node:
            node["transforms"] = [walk(t) for t in node["transforms"] if _short(t) not in LAYOUT_ONLY]
        return node

    return walk(cfg)


PARITY = [e for e in LOADED if _deterministic(read_config(e.path))]


def _photo(h: int, w: int, c: int) -> np.ndarray:
    import cv2
    from skimage import data

    u = cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(u, cv2.COLOR_RGB2GRAY)[..., None] if c == 1 else u


def test_parity_corpus_is_not_empty():
    assert len(PARITY) >= 5, [e.name for e in PARITY]


def _albu_targets(cfg, size):
    """Boxes (in the config's format) and keypoints for Albumentations, with a label for every ``label_fields``
    name; the same values as pixel tensors for the pipeline."""
    h, w = size
    px = torch.tensor([[0.1, 0.15, 0.45, 0.6], [0.5, 0.3, 0.9, 0.85]]) * torch.tensor([w, h, w, h])
    kps = torch.tensor([[10.0, 20.0], [w / 2, h / 2], [w - 5.0, h - 3.0]])
    kw, ours = {}, {}
    bp, kp = cfg.get("bbox_params"), cfg.get("keypoint_params")
    if bp:
        kw["bboxes"] = boxes_from_pixels(px, bp["format"], (h, w)).tolist()
        ours["boxes"] = boxes_from_pixels(px, "coco", (h, w)) if bp["format"] == "coco" else px
    if kp:
        kw["keypoints"] = kps.tolist()
        ours["keypoints"] = kps
    for params in (bp, kp):
        for name in (params or {}).get("label_fields") or []:
            kw[name] = [0] * (len(kw["bboxes"]) if params is bp else len(kps))
    return kw, ours


@pytest.mark.parametrize("entry", PARITY, ids=lambda e: e.name)
def test_deterministic_config_equals_albumentations(entry):
    """Images within the table's parity bounds (uint8 levels); the boxes and keypoints Albumentations keeps are the
    ones kept here, within 1e-3 (pixels, or the normalised units of ``yolo``/``albumentations``)."""
    A = pytest.importorskip("albumentations")
    cfg = _forced(read_config(entry.path))
    names = [_short(t) for t in leaves(cfg)]
    pipe = from_albumentations({"transform": cfg})
    h, w = make_batch(pipe, cfg, "cls").size
    c = 1 if any(_short(t) == "Normalize" and len(t.get("mean") or [0, 0, 0]) == 1 for t in leaves(cfg)) else 3
    u = _photo(h, w, c)
    kw, targets = _albu_targets(cfg, (h, w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = A.from_dict({"transform": cfg})(image=u if c == 3 else u[..., 0], **kw)
    ref = np.asarray(res["image"], dtype=np.float64)
    ref = ref.reshape(ref.shape[0], ref.shape[1], -1)
    x = torch.from_numpy(u).permute(2, 0, 1).unsqueeze(0).float() / 255
    with torch.no_grad():
        got = pipe(x, *[t.unsqueeze(0) for t in targets.values()])
    got = [got] if isinstance(got, torch.Tensor) else list(got)
    ours = got[0][0].permute(1, 2, 0).double().numpy()
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    for kind, value in zip(targets, got[1:], strict=True):
        expect = np.asarray(res["bboxes" if kind == "boxes" else "keypoints"], dtype=np.float64)[:, :value.shape[-1]]
        mine = value[0].double().numpy()
        if kind == "boxes" and cfg["bbox_params"]["format"] in ("yolo", "albumentations"):
            mine = boxes_from_pixels(value[0], cfg["bbox_params"]["format"], ours.shape[:2]).double().numpy()
        mine = mine[pipe.albumentations_valid["bboxes" if kind == "boxes" else "keypoints"][0].numpy()]
        np.testing.assert_allclose(mine, expect, rtol=0, atol=1e-3, err_msg=f"{entry.name}: {kind}")
    norms = [t for t in leaves(cfg) if _short(t) == "Normalize"]
    if norms:  # float output: an error of d in normalised units is d * std * 255 uint8 levels
        std = np.asarray(norms[-1].get("std") or (0.229, 0.224, 0.225), dtype=np.float64).reshape(1, 1, -1)
        err = np.abs(ours - ref) * std * 255
    elif "ToFloat" in names:  # float output in [0, 1]
        err = np.abs(ours - ref) * 255
    else:  # uint8 output
        err = np.abs(ours * 255 - ref)
    bounds = [TABLE[n].parity["bound"] for n in names if n in TABLE]
    bound = max(bounds, default=0.0)
    if any(n in RESAMPLE for n in names):
        inner = err[MARGIN:-MARGIN, MARGIN:-MARGIN] if min(err.shape[:2]) > 2 * MARGIN else err
        assert inner.mean() <= bound, f"{entry.name}: mean error {inner.mean():.3f} levels (bound {bound})"
    else:
        assert err.max() <= bound + 0.5 + 1e-6, f"{entry.name}: max error {err.max():.3f} levels (bound {bound})"


# --------------------------------------------------------------------------------------------------- the helpers
def test_batch_sizes_fit_the_configs_crops():
    from wild_corpus import input_size

    assert input_size(read_config(BY_NAME["vggnet_train_cls.json"].path)) == (224, 224)  # RandomCrop(224, 224)
    assert input_size(read_config(BY_NAME["effhandegonet_kp.json"].path)) == (720, 720)  # RandomSizedCrop(.., 720)
    assert input_size(read_config(BY_NAME["ear_val_seg.json"].path)) == (96, 128)  # no crop: the default
    assert input_size(read_config(BY_NAME["msai_train_cls.json"].path)) == (128, 128)  # RandomRotate90: square


def test_refusal_key_names_transform_and_parameter():
    from wild_corpus import refusal_key

    assert refusal_key("transform.transforms[1]: Rotate: parameter mask_value=None is not supported") == \
        "Rotate.mask_value"
    assert refusal_key("transform.transforms[0]: ShiftScaleRotate: border_mode=4 with bbox_params (why)") == \
        "ShiftScaleRotate.border_mode"
    assert refusal_key("transform.transforms[2].transforms[0]: IAASharpen") == "IAASharpen"
