"""ADAPipeline computes its fused matrices once per draw, and never serves matrices of another draw."""

from __future__ import annotations

import torch

from kornia_diffaug import ADAPipeline
from kornia_diffaug.functional.ada import ada_augment
from kornia_diffaug.functional.ada import geometry as geo


def test_matrices_are_computed_once_per_call_and_match_the_functional(monkeypatch):
    calls = []
    real = geo.geometry_matrices

    def counting(*args, **kwargs):
        calls.append(args[2] if len(args) > 2 else kwargs.get("dtype"))
        return real(*args, **kwargs)

    monkeypatch.setattr("kornia_diffaug.ops.ada.geometry_matrices", counting)
    op = ADAPipeline("bgc", p=1.0, generator=torch.Generator().manual_seed(0))
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    y = op(x)
    assert calls == [torch.float32]  # image only: the float32 matrices of the resampling, nothing else
    params = op._params
    torch.testing.assert_close(y, ada_augment(x, op._ada_params(params)), atol=0, rtol=0)
    m = op.transform_matrix  # read: the float64 maths of Kornia's matrix, once
    assert calls == [torch.float32, torch.float64]
    torch.testing.assert_close(m, real(params, (16, 16), torch.float64)[0].float())
    again = op(x, params=params)  # a replay recomputes nothing new but gives the same image
    assert torch.equal(again, y)


def test_an_edited_or_new_draw_is_not_served_stale_matrices():
    op = ADAPipeline("geom", p=1.0, generator=torch.Generator().manual_seed(1))
    x = torch.rand(3, 3, 12, 12) * 2 - 1
    y = op(x)
    params = op._params
    params["rotate_pre"].add_(0.5)  # edited in place: its version counter moves
    edited = op(x, params=params)
    assert not torch.equal(edited, y)
    torch.testing.assert_close(edited, ada_augment(x, op._ada_params(params)), atol=0, rtol=0)
    params2 = {k: v.clone() for k, v in params.items()}
    params2["scale"] = params2["scale"] * 1.1  # a replaced tensor
    torch.testing.assert_close(op(x, params=params2), ada_augment(x, op._ada_params(params2)), atol=0, rtol=0)
    other = op(torch.rand(3, 3, 10, 14))  # another size
    assert other.shape == (3, 3, 10, 14)
