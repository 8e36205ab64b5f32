"""The contract of every registered policy, driven by ``list_policies()`` (a new policy is covered the day it is
registered): it builds from its name alone, runs on a small batch, keeps shape, dtype and device, leaves the
input untouched, returns finite values and passes a finite, non-zero gradient to the input. After a forward it
still deep-copies (an EMA of the model), pickles (DataLoader workers under ``spawn``) and its ``state_dict``
loads into a freshly built instance that then draws the same output.

Policies are built with :func:`kornia_diffaug.build_pipeline`, so those that take ``value_range`` get
``(0, 1)``, the range of the test images. Two-view policies (``ssl:*``) return a pair of views; each view is
checked.
"""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torch import nn

from kornia_diffaug import build_pipeline, list_policies
from tests._strategies import devices

POLICIES = list_policies()

# Beyond the defaults, what makes a policy do something: ADA's default p = 0 is the identity.
ACTIVE: dict[str, dict] = {"ada:": {"p": 1.0}}


def active(name: str) -> nn.Module:
    kwargs = next((kw for prefix, kw in ACTIVE.items() if name.startswith(prefix)), {})
    return build_pipeline(name, **kwargs)


def views(out: object) -> list[torch.Tensor]:
    """The output tensors: one, or the two views of a two-view policy."""
    if isinstance(out, tuple):
        assert len(out) == 2 and all(isinstance(v, torch.Tensor) for v in out), type(out)
        return list(out)
    assert isinstance(out, torch.Tensor), type(out)
    return [out]


def batch(dtype=torch.float32, device="cpu", requires_grad=False) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 20, 24, generator=g, dtype=torch.float64).to(dtype=dtype, device=device)
    return x.requires_grad_(requires_grad)


def test_the_registry_has_every_family():
    for prefix in ("ada:", "diffaugment", "learnable", "learned:", "noise_field", "ssl:"):
        assert any(n.startswith(prefix) for n in POLICIES), prefix


@pytest.mark.parametrize("name", POLICIES)
def test_builds_from_its_name_alone_and_runs(name):
    torch.manual_seed(0)
    aug = build_pipeline(name)
    assert isinstance(aug, nn.Module)
    x = torch.rand(2, 3, 16, 16)
    for y in views(aug(x)):
        assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()


@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16], ids=str)
@pytest.mark.parametrize("name", POLICIES)
def test_keeps_shape_dtype_device_and_input(name, dtype, device):
    if dtype == torch.float16 and device != "cpu":
        pytest.skip("float16 is checked on the CPU, where half precision is the delicate case")
    torch.manual_seed(0)
    aug = active(name).to(device)
    x = batch(dtype, device)
    before = x.clone()
    for y in views(aug(x)):
        assert y.shape == x.shape, (tuple(y.shape), tuple(x.shape))
        assert y.dtype == dtype and y.device == x.device
        assert torch.isfinite(y).all()
    assert torch.equal(x, before), "the input was modified in place"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name", POLICIES)
def test_gradient_reaches_the_input(name, dtype):
    torch.manual_seed(0)
    aug = active(name)
    x = batch(dtype, requires_grad=True)
    w = torch.rand(x.shape, generator=torch.Generator().manual_seed(1), dtype=dtype)
    loss = sum((y * w).sum() for y in views(aug(x)))
    (grad,) = torch.autograd.grad(loss, x)
    assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0


@pytest.mark.parametrize("name", POLICIES)
def test_copies_pickles_and_checkpoints_after_a_forward(name):
    torch.manual_seed(0)
    aug = active(name)
    x = batch()
    views(aug(x))
    for clone in (copy.deepcopy(aug), pickle.loads(pickle.dumps(aug))):
        for y in views(clone(x)):
            assert y.shape == x.shape
    torch.manual_seed(1)
    fresh = active(name)
    fresh.load_state_dict(aug.state_dict())
    outs = []
    for m in (aug, fresh):
        torch.manual_seed(2)
        outs.append(views(m(x)))
    for a, b in zip(*outs, strict=True):
        assert torch.equal(a, b)
