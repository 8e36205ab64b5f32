"""``crop_box`` slices on the CPU and gathers elsewhere: the same values and gradients, never an alias of x."""

from __future__ import annotations

import pytest
import torch

from kornia_diffaug.functional import albu as FA


def _gathers(monkeypatch):
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)  # the accelerator (gather) path


@pytest.mark.parametrize("same", [True, False])
def test_crop_box_slices_match_gathers(same, monkeypatch):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 3, 11, 13, generator=g, requires_grad=True)
    corners = torch.zeros(6, 2) if same else torch.stack([torch.randint(0, 6, (6,), generator=g),
                                                          torch.randint(0, 5, (6,), generator=g)], 1)
    box = torch.cat([corners, corners + torch.tensor([8.0, 7.0])], 1).double()
    weight = torch.rand(6, 3, 7, 8, generator=g)
    y = FA.crop_box(x, box, (7, 8))
    (y * weight).sum().backward()
    grad = x.grad.clone()
    x.grad = None
    _gathers(monkeypatch)
    ref = FA.crop_box(x, box, (7, 8))
    (ref * weight).sum().backward()
    assert torch.equal(y, ref) and torch.equal(grad, x.grad)


def test_crop_box_whole_image_is_a_copy():
    x = torch.rand(2, 3, 5, 4)
    y = FA.crop_box(x, torch.tensor([[0.0, 0.0, 4.0, 5.0]] * 2, dtype=torch.float64), (5, 4))
    assert torch.equal(y, x) and y.data_ptr() != x.data_ptr()


def test_crop_box_outside_the_image_raises():
    with pytest.raises(RuntimeError):
        FA.crop_box(torch.rand(2, 1, 5, 5), torch.tensor([[3.0, 0.0, 7.0, 4.0]] * 2, dtype=torch.float64), (4, 4))
