"""On the CPU, Albu* ops transform only the samples their gate (or container) selects; that fast path must give
exactly what the branch-free accelerator path (whole batch + ``torch.where``) gives, and replay its params."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

from kornia_diffaug.functional import albu as FC
from kornia_diffaug.functional.albu.filter import _median

CONFIGS = Path(__file__).resolve().parents[2] / "examples" / "configs"


def _branch_free(monkeypatch):
    # The CPU subset paths are skipped while compiling; that is how the accelerator path is forced on the CPU.
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)


def _t(name, **params):
    return {"__class_fullname__": name, **params}


NODES = [
    _t("OneOf", p=0.9, transforms=[_t("MotionBlur", p=0.5, blur_limit=(3, 7)),
                                   _t("MedianBlur", p=0.5, blur_limit=(3, 5)),
                                   _t("GaussianBlur", p=0.5, blur_limit=(3, 7), sigma_limit=(0.5, 3.0))]),
    _t("ColorJitter", p=0.7, brightness=(0.6, 1.4), contrast=(0.6, 1.4), saturation=(0.6, 1.4), hue=(-0.1, 0.1)),
    _t("HueSaturationValue", p=0.5, hue_shift_limit=(-10, 10), sat_shift_limit=(-20, 20), val_shift_limit=(-10, 10)),
    _t("Affine", p=0.5, rotate=(-15, 15), scale=(0.9, 1.1)),
    _t("GaussNoise", p=0.5, std_range=(0.02, 0.08)),
    _t("CoarseDropout", p=0.5, num_holes_range=(1, 4), hole_height_range=(0.05, 0.15),
       hole_width_range=(0.05, 0.15)),
    _t("SomeOf", n=2, p=0.8, transforms=[_t("Blur", p=0.7, blur_limit=(3, 5)), _t("Sharpen", p=0.6),
                                         _t("RandomBrightnessContrast", p=0.5)]),
    # Nested containers and Kornia's own ops (one at p=1, which ignores its gate unless the container folds it in):
    # the container's pass over the rows some child applies to.
    _t("OneOf", p=0.6, transforms=[
        _t("HorizontalFlip", p=1.0),
        _t("Sequential", p=0.7, transforms=[_t("GaussNoise", p=0.5, std_range=(0.02, 0.08)), _t("ToGray", p=0.5)]),
        _t("SomeOf", n=1, p=1.0, transforms=[_t("VerticalFlip", p=1.0), _t("RandomBrightnessContrast", p=1.0)])]),
]


def _pipe(config, seed):
    return from_albumentations(config, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("node", NODES, ids=[n["__class_fullname__"] for n in NODES])
def test_cpu_subset_path_matches_branch_free_path(node, monkeypatch):
    config = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [node]}}
    x = torch.rand(12, 3, 24, 20, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)  # Kornia's own ops draw from torch's global RNG
    fast = _pipe(config, 3)
    y_fast = fast(x)
    replay = fast(x, params=fast._params)
    _branch_free(monkeypatch)
    torch.manual_seed(0)
    y_ref = _pipe(config, 3)(x)
    assert torch.equal(y_fast, y_ref)
    assert torch.equal(replay, y_fast)
    assert not torch.equal(y_fast, x)


@pytest.mark.parametrize("name", ["classification", "simclr"])
def test_shipped_configs_cpu_subset_path_matches_branch_free_path(name, monkeypatch):
    x = torch.rand(16, 3, 48, 40, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(0)
    y_fast = _pipe(CONFIGS / f"{name}.json", 5)(x)
    _branch_free(monkeypatch)
    torch.manual_seed(0)
    y_ref = _pipe(CONFIGS / f"{name}.json", 5)(x)
    # Both configs start with RandomResizedCrop, whose CPU kernel (``F.interpolate`` of each crop) and accelerator
    # kernel (one ``grid_sample``) round differently: under 1e-4 of the [0, 1] range, 2e-3 after Normalize.
    torch.testing.assert_close(y_fast, y_ref, rtol=0, atol=2e-3)
    assert not torch.equal(y_fast, x)


def test_cpu_subset_path_keeps_gradients(monkeypatch):
    x = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(4), requires_grad=True)
    config = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [NODES[1], NODES[0]]}}
    pipe = _pipe(config, 6)
    pipe(x).square().sum().backward()
    g_fast = x.grad.clone()
    x.grad = None
    _branch_free(monkeypatch)
    pipe(x, params=pipe._params).square().sum().backward()
    torch.testing.assert_close(g_fast, x.grad)


@pytest.mark.parametrize("shape", [(3, 2, 9, 11), (2, 1, 1, 5), (2, 3, 2, 2)])
def test_median3_matches_sorting_the_window(shape):
    g = torch.Generator().manual_seed(0)
    for x in (torch.rand(shape, generator=g), (torch.rand(shape, generator=g) * 4).round() / 4):
        h, w = shape[-2:]
        xp = FC.pad2d(x, 1, "replicate")
        ref = torch.stack([xp[..., i:i + h, j:j + w] for i in range(3) for j in range(3)], -1).median(-1).values
        assert torch.equal(_median(x, 3), ref)


def test_pad2d_matches_opencv_border_indices():
    x = torch.rand(2, 3, 5, 7)
    for mode in ("reflect", "replicate"):
        for r in (1, 4, 6, 9):
            idx_h, idx_w = FC.border_index(5, r, mode, x.device), FC.border_index(7, r, mode, x.device)
            assert torch.equal(FC.pad2d(x, r, mode), x[..., idx_h.view(-1, 1), idx_w.view(1, -1)])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_saturate_fast_cpu_bounds_equal_the_general_form(dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 9, 9, generator=g).to(dtype)
    x[0, 0, 0, :2] = torch.tensor([0.0, 1.0], dtype=dtype)
    y = (torch.randn(4, 3, 9, 9, generator=g) * 2).to(dtype)
    general = torch.maximum(torch.minimum(y, x.clamp_min(1)), x.clamp_max(0))
    assert torch.equal(FC.saturate(y, x), general)
    x_out = x.clone()
    x_out[1, 1, 1, 1] = 1.5  # outside [0, 1]: the general form is used
    assert torch.equal(FC.saturate(y, x_out), torch.maximum(torch.minimum(y, x_out.clamp_min(1)), x_out.clamp_max(0)))


@pytest.mark.parametrize("k", [3, 5, 7, 9])
def test_median_matches_sorting_the_window_with_ties(k):
    g = torch.Generator().manual_seed(k)
    for x in (torch.rand(2, 2, 13, 11, generator=g), (torch.rand(2, 2, 13, 11, generator=g) * 3).round() / 3):
        h, w = x.shape[-2:]
        xp = FC.pad2d(x, k // 2, "replicate")
        taps = [xp[..., i:i + h, j:j + w] for i in range(k) for j in range(k)]
        assert torch.equal(_median(x, k), torch.stack(taps, -1).median(-1).values)


# Linear/cubic resized crops: the CPU path resizes each crop with ``F.interpolate``, the branch-free path resamples
# the batch with ``grid_sample`` (same half-pixel rule, other float32 rounding).
_RESIZED_CROPS = {"AlbuRandomResizedCrop", "AlbuRandomSizedCrop", "AlbuRandomSizedBBoxSafeCrop",
                  "AlbuCropNonEmptyMaskIfExists"}


def _albu_ops():
    import kornia_diffaug.ops  # noqa: F401  (registers every op)
    from kornia_diffaug.ops._registry import get_op_spec, list_ops
    from kornia_diffaug.ops.albu._base import _AlbuMixin

    return [n for n in list_ops() if issubclass(get_op_spec(n).cls, _AlbuMixin)]


def _albu_cases():
    """``(name, p)`` for every Albu op at p=0.6 and 1; size-changing ops only at p=1 (a batch has one size)."""
    from kornia_diffaug.ops._registry import get_op_spec

    return [(n, p) for n in _albu_ops() for p in (0.6, 1.0) if p == 1.0 or not get_op_spec(n).resizes]


@pytest.mark.parametrize("name, p", _albu_cases())
def test_every_albu_op_cpu_chunked_subset_path_matches_branch_free_path(name, p, monkeypatch):
    from kornia_diffaug.ops._registry import get_op_spec

    spec = get_op_spec(name)
    kwargs = {**spec.example, "p": p}
    x = torch.rand(19, 3, 20, 24, generator=torch.Generator().manual_seed(7))
    if spec.square:
        x = x[..., :20, :20]
    fast = spec.cls(**kwargs, generator=torch.Generator().manual_seed(8))
    y_fast = fast(x)
    _branch_free(monkeypatch)
    y_ref = spec.cls(**kwargs, generator=torch.Generator().manual_seed(8))(x)
    if name in _RESIZED_CROPS:  # the CPU resizes each crop with F.interpolate: other float32 rounding
        torch.testing.assert_close(y_fast, y_ref, rtol=0, atol=1e-4)
    else:
        assert torch.equal(y_fast, y_ref)



@pytest.mark.parametrize("interpolation", [1, 2])
def test_resized_crop_writes_into_the_batch_the_previous_op_made(interpolation, monkeypatch):
    """A resized crop to the input's size, after an op that made a new batch, writes its rows into that batch
    (each crop read before its row is written): same result as the branch-free path."""
    from kornia_diffaug.ops.albu import AlbuRandomResizedCrop

    calls = []
    into = AlbuRandomResizedCrop.apply_transform_into
    monkeypatch.setattr(AlbuRandomResizedCrop, "apply_transform_into",
                        lambda self, x, *a, **k: calls.append(x.data_ptr()) or into(self, x, *a, **k))
    config = {"transform": {"__class_fullname__": "Compose", "p": 1.0, "transforms": [
        _t("RandomBrightnessContrast", p=1.0),
        _t("RandomResizedCrop", p=1.0, size=(24, 20), scale=(0.2, 1.0), interpolation=interpolation)]}}
    x = torch.rand(9, 3, 24, 20, generator=torch.Generator().manual_seed(11))
    y_fast = _pipe(config, 4)(x)
    assert len(calls) == 1 and calls[0] == y_fast.data_ptr()
    _branch_free(monkeypatch)
    y_ref = _pipe(config, 4)(x)
    torch.testing.assert_close(y_fast, y_ref, rtol=0, atol=1e-4)
    assert y_fast.shape == x.shape and not torch.equal(y_fast, x)


def test_in_place_kernel_on_the_callers_batch_copies_it_first(monkeypatch):
    """At p=1 on a batch nobody lent it, an op with an in-place kernel copies a few rows at a time into one new
    batch and transforms them there: the caller's tensor is untouched and the result is the out-of-place one."""
    from kornia_diffaug.ops.albu import AlbuBrightnessContrast

    seen = []
    kernel = AlbuBrightnessContrast.apply_transform_
    monkeypatch.setattr(AlbuBrightnessContrast, "apply_transform_",
                        lambda self, x, *a: seen.append(x.shape[0]) or kernel(self, x, *a))
    x = torch.rand(19, 3, 12, 10, generator=torch.Generator().manual_seed(6))
    before = x.clone()
    op = AlbuBrightnessContrast(p=1.0, generator=torch.Generator().manual_seed(2))
    params = op.forward_parameters(x.shape)
    y = op(x, params=params)
    assert seen and sum(seen) == 19 and max(seen) <= 8
    assert torch.equal(x, before) and y.data_ptr() != x.data_ptr()
    assert torch.equal(y, op.apply_transform(x, params, op.flags))
