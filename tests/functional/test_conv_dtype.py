"""Convolutions in half precision on the CPU: they return, and match float32 within the dtype's rounding.

PyTorch's CPU float16 depthwise ``conv2d`` falls back to reference code that is very slow and, on some CPUs,
hangs for kernels of 15 taps and more; every convolution of ours goes through ``functional/_conv.py``, which
computes half types in float32 on the CPU. A C-level hang cannot be interrupted from Python, so the exact
reported case runs in a subprocess with a timeout; the rest rely on the suite's per-test time limit.

Tolerances: a half-precision result is compared with the float32 result of the same (half-precision) input,
cast to the half type. Each float32 -> half cast rounds by at most ``u = eps / 2`` relative. A normalised,
non-negative kernel never grows a value, so a separable blur (cast between its two passes) is off by at most
``u * scale`` from the first rounding plus ``u * scale`` from the last, and the cast reference by ``u * scale``
more: ``1.5 * eps * scale`` with ``scale = max(|x|, |y|)``. We allow ``2 * eps * scale``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as tF

import kornia_diffaug  # noqa: F401  (registers every op)
from kornia_diffaug.functional import _conv
from kornia_diffaug.functional import albu as FC
from kornia_diffaug.functional.ada import color as AC
from kornia_diffaug.ops import get_op_spec

HALF = [torch.float16, torch.bfloat16]
pytestmark = pytest.mark.timeout(120)


def _tol(dtype: torch.dtype, *tensors: torch.Tensor) -> float:
    scale = max(float(t.detach().double().abs().max()) for t in tensors)
    return 2 * torch.finfo(dtype).eps * max(scale, 1e-3)


def _assert_rounding_close(y: torch.Tensor, ref32: torch.Tensor, x: torch.Tensor) -> None:
    assert y.dtype == x.dtype and y.shape == ref32.shape
    torch.testing.assert_close(y.double(), ref32.to(y.dtype).double(), atol=_tol(y.dtype, x, ref32), rtol=0)


# ----------------------------------------------------------------------------------- the reported case


# The reproducer, through our wrapper. It loads _conv.py alone (no Kornia import: a fast start).
_REPORTED = """
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("_conv", sys.argv[1])
_conv = importlib.util.module_from_spec(spec)
spec.loader.exec_module(_conv)
torch.set_num_threads(1)
for dt in (torch.float16, torch.bfloat16):
    x = torch.rand(2, 3, 64, 40, dtype=dt)
    y = _conv.conv2d(x, torch.rand(3, 1, 1, 15, dtype=dt), padding=(0, 7), groups=3)
    print(y.dtype, tuple(y.shape), flush=True)
"""


def test_reported_case_returns_in_a_subprocess():
    try:
        r = subprocess.run([sys.executable, "-c", _REPORTED, _conv.__file__], capture_output=True, text=True,
                           timeout=60)
    except subprocess.TimeoutExpired as e:
        done = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"a half-precision depthwise conv2d with 15 taps did not return in 60 s; done: {done!r}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["torch.float16 (2, 3, 64, 40)", "torch.bfloat16 (2, 3, 64, 40)"]


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("taps", [13, 15, 21, 43])
def test_reported_case_matches_float32(dtype, taps):
    g = torch.Generator().manual_seed(taps)
    x = torch.rand(2, 3, 64, 40, generator=g).to(dtype)
    w = torch.rand(3, 1, 1, taps, generator=g).to(dtype)
    y = _conv.conv2d(x, w, padding=(0, taps // 2), groups=3)
    ref = tF.conv2d(x.float(), w.float(), padding=(0, taps // 2), groups=3)
    assert y.dtype == dtype
    assert torch.equal(y, ref.to(dtype))  # one float32 convolution, rounded once


@pytest.mark.parametrize("dtype", HALF)
def test_gradients_flow_in_half_precision(dtype):
    x = torch.rand(1, 3, 16, 40, dtype=dtype, requires_grad=True)
    w = torch.rand(3, 1, 1, 21, dtype=torch.float64, requires_grad=True)
    _conv.conv2d(x, w, padding=(0, 10), groups=3).sum().backward()
    assert x.grad.dtype == dtype and w.grad.dtype == torch.float64
    ref = tF.conv2d(torch.ones(1, 3, 16, 40), torch.ones(3, 1, 1, 21), padding=(0, 10), groups=3)
    # d(sum y)/dx is sum(w) in the interior
    torch.testing.assert_close(x.grad[..., 10:-10].double(), w.detach().sum(-1).view(1, 3, 1, 1).expand(1, 3, 16, 20),
                               atol=_tol(dtype, ref), rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_full_precision_is_passed_through_bit_for_bit(dtype):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 6, 33, 40, generator=g, dtype=dtype)
    w = torch.rand(6, 1, 1, 21, generator=g, dtype=dtype)
    assert torch.equal(_conv.conv2d(x, w, padding=(0, 10), groups=6), tF.conv2d(x, w, padding=(0, 10), groups=6))
    assert torch.equal(_conv.conv1d(x[:, :, 0], w[:, 0], groups=6), tF.conv1d(x[:, :, 0], w[:, 0], groups=6))
    assert torch.equal(_conv.conv_transpose2d(x, w, stride=(1, 2), groups=6),
                       tF.conv_transpose2d(x, w, stride=(1, 2), groups=6))


@pytest.mark.parametrize("dtype", HALF)
def test_conv1d_and_transpose_in_half_precision(dtype):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 4, 24, 48, generator=g).to(dtype)
    w = torch.rand(4, 1, 1, 31, generator=g).to(dtype)
    assert torch.equal(_conv.conv1d(x[:, :, 0], w[:, 0], padding=15, groups=4),
                       tF.conv1d(x[:, :, 0].float(), w[:, 0].float(), padding=15, groups=4).to(dtype))
    assert torch.equal(_conv.conv_transpose2d(x, w, stride=(1, 2), groups=4),
                       tF.conv_transpose2d(x.float(), w.float(), stride=(1, 2), groups=4).to(dtype))


@pytest.mark.parametrize("amp", HALF)
def test_cpu_autocast_runs_in_float32_and_returns_the_autocast_dtype(amp):
    x = torch.rand(2, 3, 32, 40)
    w = torch.rand(3, 1, 1, 21)
    with torch.autocast("cpu", dtype=amp):
        y = _conv.conv2d(x, w, padding=(0, 10), groups=3)
        y64 = _conv.conv2d(x.double(), w.double(), padding=(0, 10), groups=3)
    assert y.dtype == amp and y64.dtype == torch.float64  # autocast leaves float64 alone
    assert torch.equal(y, tF.conv2d(x, w, padding=(0, 10), groups=3).to(amp))


# ------------------------------------------------------------------------------- every conv-based op of ours


@pytest.fixture
def no_half_cpu_conv(monkeypatch):
    """Fail if a half-precision convolution on the CPU reaches PyTorch (ours or Kornia's)."""
    for fn in ("conv1d", "conv2d", "conv_transpose2d"):
        native = getattr(tF, fn)

        def spy(x, *args, _native=native, _fn=fn, **kwargs):
            assert not (x.device.type == "cpu" and x.dtype in HALF), f"{_fn} on a CPU {x.dtype} tensor"
            return _native(x, *args, **kwargs)

        monkeypatch.setattr(tF, fn, spy)


def _op(name, **kwargs):
    spec = get_op_spec(name)
    return spec.cls(**{**spec.example, **kwargs, "p": 1.0})


# Large kernels where the op has a kernel size: the slow/hanging path starts at 15 taps.
OPS = {
    "AlbuGaussianBlur": {"blur_limit": (15, 31), "sigma_limit": (2.0, 6.0)},
    "AlbuGaussianBlur-sigma-only": {"blur_limit": (0, 0), "sigma_limit": (4.0, 6.0)},  # k = int(3.5 s) * 2 + 1
    "AlbuBlur": {"blur_limit": (15, 25)},
    "AlbuMotionBlur": {"blur_limit": (15, 25)},
    "AlbuSharpen": {},
    "AlbuMedianBlur": {"blur_limit": (15, 15)},  # a selection, not a convolution: exact in every dtype
    "AlbuElasticTransform": {"alpha": 3.0, "sigma": 5.0},  # a 41-tap blur of the (float64) displacement field
    "RandomNoiseField": {},
    "ADAPipeline": {"xflip": 0.0, "xint": 0.0, "imgfilter": 1.0, "value_range": (0.0, 1.0)},
}


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("case", sorted(OPS))
def test_op_in_half_precision_matches_float32(case, dtype, no_half_cpu_conv):
    name = case.split("-")[0]
    x = torch.rand(3, 3, 48, 40, generator=torch.Generator().manual_seed(2)).to(dtype)
    y = _op(name, generator=torch.Generator().manual_seed(3), **OPS[case])(x)
    ref = _op(name, generator=torch.Generator().manual_seed(3), **OPS[case])(x.float())
    assert not torch.equal(ref, x.float()), "the case should change the image"
    _assert_rounding_close(y, ref, x)


@pytest.mark.parametrize("dtype", HALF)
def test_gaussian_blur_up_to_43_taps_matches_float32(dtype, no_half_cpu_conv):
    x = torch.rand(4, 3, 64, 40, generator=torch.Generator().manual_seed(4)).to(dtype)
    sigma = torch.tensor([1.0, 3.0, 5.0, 6.0])
    ksize = torch.tensor([15, 21, 31, 43])
    kern = FC.gaussian_kernels(sigma, ksize, 43)
    _assert_rounding_close(FC.separable_blur(x, kern), FC.separable_blur(x.float(), kern), x)
    k2 = kern.unsqueeze(2) * kern.unsqueeze(1)  # the same blur as one 43x43 kernel
    _assert_rounding_close(FC.conv_per_sample(x, k2), FC.conv_per_sample(x.float(), k2), x)


@pytest.mark.parametrize("dtype", HALF)
def test_blur_fields_and_ada_imgfilter_match_float32(dtype, no_half_cpu_conv):
    g = torch.Generator().manual_seed(5)
    f = (torch.rand(2, 2, 40, 48, generator=g) * 2 - 1).to(dtype)
    _assert_rounding_close(FC.gaussian_blur_fields(f, 4.0), FC.gaussian_blur_fields(f.float(), 4.0), f)
    x = (torch.rand(2, 3, 40, 48, generator=g) * 2 - 1).to(dtype)
    gains = torch.tensor([[2.0, 0.5, 1.5, 1.0], [0.7, 1.0, 2.0, 0.3]])
    _assert_rounding_close(AC.imgfilter(x, gains), AC.imgfilter(x.float(), gains), x)
