"""A loaded pipeline lends each child the batch the previous child made in the same call (``writable_batch``), so a
gated child writes its rows in place instead of copying the whole batch. That must change nothing a user sees: the
same outputs bit for bit as without lending, the caller's tensor never written, gradients intact, and the rows
really written in place (else the saving is not there)."""

from __future__ import annotations

from pathlib import Path

import kornia_diffaug.adapters.albumentations.pipeline as pipeline_module
import pytest
import torch
from kornia_diffaug.adapters.albumentations import from_albumentations

from kornia_diffaug.ops import _alloc, _base
from kornia_diffaug.ops._alloc import writable_batch

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [ROOT / "examples/configs/classification.json", ROOT / "examples/configs/simclr.json",
           ROOT / "tests/adapters/wild/msai_train_cls.json", ROOT / "tests/adapters/wild/signlang_train_cls.json",
           ROOT / "tests/adapters/wild/rtdetrv2_weather_det.json"]


def _t(name, **params):
    return {"__class_fullname__": name, **params}


def _compose(*nodes):
    return {"transform": _t("Compose", p=1.0, transforms=list(nodes))}


# Containers at the top level are lent the batch too, and pass it on to the children that get the whole of it.
CONTAINERS = _compose(
    _t("HorizontalFlip", p=0.5),
    _t("OneOf", p=0.9, transforms=[_t("MedianBlur", p=0.5, blur_limit=(3, 5)), _t("ToGray", p=0.5)]),
    _t("SomeOf", n=2, p=1.0, transforms=[_t("Blur", p=0.7, blur_limit=(3, 5)), _t("Sharpen", p=0.6),
                                         _t("RandomBrightnessContrast", p=0.5)]),
    _t("Sequential", p=1.0, transforms=[_t("GaussNoise", p=0.5, std_range=(0.02, 0.08)), _t("VerticalFlip", p=1.0)]),
    _t("CoarseDropout", p=0.5, num_holes_range=(1, 4), hole_height_range=(0.05, 0.15),
       hole_width_range=(0.05, 0.15)),
    _t("Normalize", p=1.0))
CONFIGS.append(CONTAINERS)


def _no_lending(monkeypatch):
    monkeypatch.setattr(pipeline_module, "writable_batch", lambda x: writable_batch(None))


def _count_writes(monkeypatch) -> list[int]:
    """Counts the calls in which a child wrote into the lent batch (``batch_buffer`` asks ``_alloc.may_write``)."""
    n = [0]
    may_write = _alloc.may_write

    def counted(x, y):
        ok = may_write(x, y)
        n[0] += ok
        return ok

    monkeypatch.setattr(_alloc, "may_write", counted)
    monkeypatch.setattr(_base, "may_write", counted)
    return n


def _calls(config, x, grad=False):
    pipe = from_albumentations(config, generator=torch.Generator().manual_seed(0))
    with torch.set_grad_enabled(grad):
        first = pipe(x)
        return [first, pipe(x), pipe(x, params=pipe._params)]


@pytest.mark.parametrize("config", CONFIGS, ids=[getattr(c, "stem", "containers") for c in CONFIGS])
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "grad_mode"])
def test_lent_batch_changes_no_output_and_never_the_input(config, grad, monkeypatch):
    x = torch.rand(10, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    x0 = x.clone()
    writes = _count_writes(monkeypatch)
    lent = _calls(config, x, grad)
    assert torch.equal(x, x0), "the caller's batch was written"
    assert writes[0] > 0, "no child wrote into a lent batch: the saving is gone"
    assert torch.equal(lent[1], lent[2])  # the replay of the last call
    _no_lending(monkeypatch)
    for a, b in zip(lent, _calls(config, x, grad), strict=True):
        assert torch.equal(a, b)


def test_lent_batch_keeps_gradients_to_the_input(monkeypatch):
    config = ROOT / "examples/configs/classification.json"
    x = torch.rand(12, 3, 48, 48, generator=torch.Generator().manual_seed(2))
    w = torch.rand(x.shape, generator=torch.Generator().manual_seed(3))
    grads = []
    for lend in (True, False):
        if not lend:
            _no_lending(monkeypatch)
        xg = x.clone().requires_grad_(True)
        pipe = from_albumentations(config, generator=torch.Generator().manual_seed(0))
        (pipe(xg) * w[:, :, :1, :1]).sum().backward()
        grads.append(xg.grad)
    assert grads[0].abs().sum() > 0
    assert torch.equal(grads[0], grads[1])


@pytest.mark.parametrize("first", [
    _t("HorizontalFlip", p=0.0),  # returns the caller's tensor itself
    _t("CenterCrop", p=1.0, height=40, width=40),  # may return a view of it
    _t("PadIfNeeded", p=1.0, min_height=32, min_width=32),  # a no-op at this size
], ids=["skipped", "crop_view", "noop_pad"])
def test_caller_tensor_and_its_views_are_never_lent(first, monkeypatch):
    config = _compose(first, _t("VerticalFlip", p=0.5), _t("RandomBrightnessContrast", p=0.5),
                      _t("Normalize", p=1.0))
    x = torch.rand(16, 3, 48, 48, generator=torch.Generator().manual_seed(4))
    x0 = x.clone()
    lent = _calls(config, x)
    assert torch.equal(x, x0)
    _no_lending(monkeypatch)
    for a, b in zip(lent, _calls(config, x), strict=True):
        assert torch.equal(a, b)


def test_lending_is_off_outside_a_pipeline_call():
    # An op called on its own never writes into its input, whatever the batch.
    pipe = from_albumentations(_compose(_t("HorizontalFlip", p=0.5), _t("Normalize", p=1.0)),
                               generator=torch.Generator().manual_seed(0))
    x = torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(5))
    x0 = x.clone()
    for child in pipe.children():
        child(x)
        assert torch.equal(x, x0)
    assert pipe.transform_op.source_ptr is None and pipe.transform_op.owned is None
