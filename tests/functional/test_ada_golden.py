"""ADAPipeline's outputs, gradients and matrices against those of the implementation before the speed work.

``data/ada_golden.npz`` was written by ``python tests/functional/test_ada_golden.py --write`` at commit 23758e2
(the fused matrices computed twice per call, in the image's dtype for resampling, and ``grid_sample``'s own
backward). The speed work reorders floating-point operations (matrices once, in float64; a gather-based
backward), so outputs must agree to 1e-6 + 2e-6 |y| in float32 under the same seed (a few ulps: the golden file
was written on one CPU, and another CPU's SIMD width and FMA use round float32 sums differently: the filter
presets' values above 1 differed by 1.4e-6, 3 ulps, on an Intel Xeon of this workplace, within 1e-6 on the AMD
EPYC ones), and the draws must be identical.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from kornia_diffaug import ADAPipeline

GOLDEN = Path(__file__).with_name("data") / "ada_golden.npz"

# (preset, p, batch, (H, W), value_range, compensate_phase)
CASES = [
    ("bgc", 1.0, 4, (16, 16), (-1.0, 1.0), True),
    ("bgc", 0.3, 6, (16, 16), (-1.0, 1.0), True),
    ("bgc", 1.0, 2, (32, 32), (0.0, 1.0), True),
    ("bgcfnc", 0.6, 2, (33, 40), (-1.0, 1.0), True),
    ("bg", 1.0, 1, (64, 48), (-1.0, 1.0), False),
    ("bgc", 1.0, 1, (40, 100), (-1.0, 1.0), True),  # axes >= 96 take the banded maps
]


def _run(case: tuple, seed: int) -> dict[str, torch.Tensor]:
    preset, p, b, (h, w), vr, phase = case
    g = torch.Generator().manual_seed(seed)
    lo, hi = vr
    x = (torch.rand(b, 3, h, w, generator=g) * (hi - lo) + lo).requires_grad_(True)
    weight = torch.randn(b, 3, h, w, generator=g)
    op = ADAPipeline(preset, p=p, value_range=vr, compensate_phase=phase, generator=g)
    y = op(x)
    (y * weight).sum().backward()
    return {"y": y.detach(), "grad": x.grad, "matrix": op.transform_matrix.detach()}


def _write() -> None:
    GOLDEN.parent.mkdir(exist_ok=True)
    runs = [_run(case, seed) for seed, case in enumerate(CASES)]
    np.savez_compressed(GOLDEN, **{f"{i}_{k}": v.numpy() for i, run in enumerate(runs) for k, v in run.items()})


def test_outputs_gradients_and_matrices_match_the_previous_implementation():
    with np.load(GOLDEN, allow_pickle=False) as data:
        stored = {k: torch.from_numpy(data[k]) for k in data.files}
    assert len(stored) == 3 * len(CASES)
    for seed, case in enumerate(CASES):
        ref = {k: stored[f"{seed}_{k}"] for k in ("y", "grad", "matrix")}
        got = _run(case, seed)
        torch.testing.assert_close(got["y"], ref["y"], atol=1e-6, rtol=2e-6, msg=lambda m, c=case: f"{c}: {m}")
        torch.testing.assert_close(got["grad"], ref["grad"], atol=1e-5, rtol=1e-5, msg=lambda m, c=case: f"{c}: {m}")
        torch.testing.assert_close(got["matrix"], ref["matrix"], atol=1e-6, rtol=1e-6)


if __name__ == "__main__" and "--write" in sys.argv:
    _write()
