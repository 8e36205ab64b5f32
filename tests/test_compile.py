"""``torch.compile`` and ``jit.trace`` on the CPU at small sizes: DiffAugment (function and module), ADAPipeline and
a loaded Albumentations pipeline give eager's output under the same seed; ``fullgraph=True`` where nothing reads
a tensor value on the host (the CPU's host reads that skip work are off while a graph is recorded:
``kornia_diffaug._host``; Kornia's containers read their gates, and a ``torch.Generator`` argument is not
traceable by Dynamo: both break the graph). The ``eager``/``aot_eager`` backends keep this fast; inductor is timed
in ``benchmarks/bench_compile.py``."""

from __future__ import annotations

import pytest
import torch
import torch._dynamo as dynamo
from torch._dynamo.testing import CompileCounter

from kornia_diffaug import ADAPipeline, DiffAugment, from_albumentations
from kornia_diffaug.functional import diff_augment


def _t(name, **params):
    return {"__class_fullname__": name, **params}


def _same_as_eager(module, x, fullgraph, backend=None, seed=0, reseed=None, atol=0.0) -> int:
    """Compile ``module``, check two compiled calls against eager under the same seed (bit for bit, or within
    ``atol`` where eager's CPU kernel sums in another order than the traced one); the number of graphs."""
    dynamo.reset()
    counter = CompileCounter()  # runs each captured graph as is (the "eager" backend) and counts them
    compiled = torch.compile(module, backend=backend or counter, fullgraph=fullgraph)
    out = []
    for fn in (module, compiled, compiled):  # the second compiled call runs the cached graphs
        torch.manual_seed(seed)
        if reseed is not None:
            reseed()
        out.append(fn(x))
    assert torch.equal(out[2], out[1])
    torch.testing.assert_close(out[1], out[0], rtol=0, atol=atol)
    return counter.frame_count


@pytest.fixture
def x():
    return torch.rand(4, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_diff_augment_function_compiles_fullgraph(x):
    assert _same_as_eager(lambda t: diff_augment(t, "color,translation,cutout"), x, fullgraph=True) == 1


@pytest.mark.parametrize("p", [1.0, 0.5])
def test_diffaugment_module_compiles_fullgraph(x, p):
    assert _same_as_eager(DiffAugment("color,translation,cutout", p=p), x, fullgraph=True) == 1


def test_diffaugment_module_under_aot_eager(x):
    _same_as_eager(DiffAugment("translation,cutout", p=0.5), x, fullgraph=True, backend="aot_eager")


def test_diffaugment_with_a_generator_compiles_with_graph_breaks(x):
    g = torch.Generator().manual_seed(3)
    aug = DiffAugment("translation", p=0.5, generator=g)
    assert _same_as_eager(aug, x, fullgraph=False, reseed=lambda: g.manual_seed(3)) > 1  # Dynamo: no Generator


@pytest.mark.parametrize("spec", ["color", "bgc"])
def test_ada_pipeline_compiles_fullgraph(x, spec):
    ada = ADAPipeline(spec, p=0.5)  # no host read of p, of a gate or of a matrix while a graph is recorded
    assert _same_as_eager(ada, x, fullgraph=True) == 1


@pytest.mark.parametrize("p", [0.0, 0.5])
def test_jit_trace_of_ada_pipeline_replays_any_draw_and_p(p):
    ada = ADAPipeline("bgc", p=p)
    x = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(0)
    traced = torch.jit.trace(ada, x, check_trace=False)
    for new_p in (p, 0.5):  # p = 0 at trace time must not freeze the identity: p is read as a buffer
        ada.p.fill_(new_p)
        for seed in range(6):  # the CPU skips (all samples gated, pixel-aligned matrices) are not frozen either
            torch.manual_seed(seed)
            y = traced(x)
            torch.manual_seed(seed)
            assert torch.equal(y, ada(x))


def test_loaded_pipeline_compiles_fullgraph(x):
    cfg = _t("Compose", p=1.0, transforms=[_t("HorizontalFlip", p=0.5), _t("GaussianBlur", p=0.5, blur_limit=[3, 5]),
                                           _t("RandomBrightnessContrast", p=0.5)])
    # Eager CPU GaussianBlur with 13 taps or more (here up to 21, from sigma_limit's default) takes banded matrix
    # products, the traced graph a depthwise convolution: the same sums in another order, 1 ulp apart on some
    # CPUs (AMD EPYC), bit for bit on others.
    assert _same_as_eager(from_albumentations(cfg), (x + 1) / 2, fullgraph=True, atol=1e-6) == 1


def test_jit_trace_of_loaded_gaussian_blur_replays_any_draw():
    op = from_albumentations(_t("GaussianBlur", p=0.5, blur_limit=[3, 7], sigma_limit=[0.5, 2.0]))
    x = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    traced = torch.jit.trace(op, x, check_trace=False)  # the check reruns with new draws: it cannot agree
    for seed in (0, 1, 2):  # draws and gates are traced as ops, not frozen at the traced values
        torch.manual_seed(seed)
        y = traced(x)
        torch.manual_seed(seed)
        assert torch.equal(y, op(x))


_FAMILIES = {  # op family of the README's "works with" table -> a loaded config of it, and fullgraph or not
    "crops, resizes, pads": (_t("Compose", p=1.0, transforms=[
        _t("RandomCrop", height=12, width=12, p=1.0), _t("Resize", height=10, width=10, p=1.0),
        _t("PadIfNeeded", min_height=14, min_width=14, border_mode=0, p=1.0)]), False),  # Kornia reads p (.item())
    # Eager CPU resizes each crop with aten's upsample, the traced graph samples the batch with grid_sample:
    # the same half-pixel rule, float32 rounding apart (under 1e-4 of the range).
    "RandomResizedCrop": (_t("Compose", p=1.0, transforms=[_t("RandomResizedCrop", size=[12, 12], p=1.0),
                                                          _t("HorizontalFlip", p=0.5)]), False, 1e-4),
    "affine-like": (_t("Compose", p=1.0, transforms=[_t("Affine", rotate=[-20, 20], p=1.0),
                                                    _t("ShiftScaleRotate", p=1.0)]), True),
    "elastic": (_t("ElasticTransform", p=1.0, alpha=1, sigma=5), True),
    "grid": (_t("GridDistortion", p=1.0), True),
    "optical": (_t("OpticalDistortion", p=1.0), True),
}


@pytest.mark.parametrize("family", list(_FAMILIES))
def test_loaded_families_compile_to_eager_output(family):
    cfg, fullgraph, *atol = _FAMILIES[family]
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    _same_as_eager(from_albumentations(cfg), x, fullgraph=fullgraph, atol=atol[0] if atol else 0.0)


@pytest.mark.parametrize("cfg", [_t("Affine", rotate=[-20, 20], p=0.5), _t("HorizontalFlip", p=0.5),
                                 _t("ElasticTransform", p=0.5, alpha=1, sigma=5), _t("GridDistortion", p=0.5),
                                 _t("RandomCrop", height=12, width=12, p=1.0), _t("Resize", height=12, width=12)],
                         ids=lambda c: c["__class_fullname__"])
def test_jit_trace_of_each_family_replays_any_draw(cfg):
    op = from_albumentations(cfg)
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    traced = torch.jit.trace(op, x, check_trace=False)
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        y = traced(x)
        torch.manual_seed(seed)
        assert torch.equal(y, op(x))


@pytest.mark.parametrize("p", [0.5, 1.0])
def test_jit_trace_of_diffaugment_replays_any_draw_with_gradients(p):
    op = DiffAugment("color,translation,cutout", p=p)
    x = torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(3), requires_grad=True)
    torch.manual_seed(0)
    traced = torch.jit.trace(op, x, check_trace=False)
    for seed in range(4):
        torch.manual_seed(seed)
        y = traced(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        torch.manual_seed(seed)
        y0 = op(x)
        assert torch.equal(y, y0)
        # The trace records the composed ops, whose autograd sums in another order than the fused adjoint.
        torch.testing.assert_close(g, torch.autograd.grad(y0.sum(), x)[0], rtol=1e-5, atol=1e-6)
