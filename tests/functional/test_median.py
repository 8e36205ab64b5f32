"""The tiled median network (``functional/albu/_median_net.py``) against a plain unfold-and-sort median."""

from __future__ import annotations

import pytest
import torch

from kornia_diffaug.functional.albu import median_blur, pad2d
from kornia_diffaug.functional.albu._median_net import TILE, median_program, run_median

KS = list(range(3, 17, 2))
SHAPES = [(1, 1), (1, 6), (2, 3), (3, 2), (4, 5), (7, 8), (9, 4), (16, 13)]  # odd/even H and W, H below a tile


def _reference(xp: torch.Tensor, k: int) -> torch.Tensor:
    """Rank ``k*k//2`` of each window by a sort (no ties are broken: any one of equal values is the value)."""
    win = xp.unfold(-2, k, 1).unfold(-2, k, 1).flatten(-2)
    return win.sort(-1).values[..., k * k // 2]


def _tiles(k: int) -> list[int]:
    return sorted({1, 2, 3, 4, 8, TILE[k]} & set(range(1, k)))


@pytest.mark.parametrize("k", KS)
def test_tiled_median_equals_a_sort_on_levels_with_ties_and_on_floats(k):
    g = torch.Generator().manual_seed(k)
    for h, w in SHAPES:
        shape = (2, 2, h + k - 1, w + k - 1)
        few = torch.randint(0, 4, shape, generator=g)  # many ties
        levels = torch.randint(0, 256, shape, generator=g)
        cases = [few.to(torch.uint8), levels.to(torch.uint8), levels.float() / 255, few.to(torch.float16),
                 torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g).bfloat16()]
        for xp in cases:
            ref = _reference(xp, k)
            for s in _tiles(k):
                for chunk in (1 << 18, 1) if (h, w) == (7, 8) else (1 << 18,):  # also one row of tiles a chunk
                    out = run_median(xp, k, chunk_bytes=chunk, tile=s)
                    assert out.dtype == xp.dtype and torch.equal(out, ref), (k, s, h, w, xp.dtype, chunk)


@pytest.mark.parametrize("k", KS)
def test_tiled_median_gradient_goes_to_the_median_pixel(k):
    g = torch.Generator().manual_seed(100 + k)
    x = torch.randn(2, 1, 9 + k - 1, 6 + k - 1, generator=g, dtype=torch.float64, requires_grad=True)  # no ties
    gy = torch.randn(2, 1, 9, 6, generator=g, dtype=torch.float64)
    win = x.unfold(-2, k, 1).unfold(-2, k, 1).flatten(-2)
    (ref,) = torch.autograd.grad((win.median(-1).values * gy).sum(), x)  # median: the one pixel of rank k*k//2
    for s in _tiles(k):
        (grad,) = torch.autograd.grad((run_median(x, k, chunk_bytes=64, tile=s) * gy).sum(), x)
        torch.testing.assert_close(grad, ref, rtol=0, atol=1e-12)


def test_median_blur_uses_the_network_bit_for_bit_on_every_size():
    g = torch.Generator().manual_seed(7)
    x = torch.randint(0, 256, (2, 3, 11, 14), generator=g).float() / 255
    for k in KS:
        out = median_blur(x, torch.full((2,), k), (k,))
        assert torch.equal(out, _reference(pad2d(x, k // 2, "replicate"), k))


def test_tiles_cut_the_node_count_per_output_pixel():
    for k in KS:
        if k > 3:
            assert len(median_program(k, TILE[k])[0]) / TILE[k] < len(median_program(k, 1)[0])
    with pytest.raises(ValueError, match="tile rows"):
        median_program(5, 5)


def _float_network(x: torch.Tensor, k: int) -> torch.Tensor:
    return run_median(pad2d(x, k // 2, "replicate"), k)


@pytest.mark.parametrize("k", [3, 5, 7, 15, 25])
def test_opencv_path_equals_the_network_bit_for_bit(k, monkeypatch):
    """Eager CPU work without autograd goes to ``cv2.medianBlur`` (float32 for k 3, 5; uint8 levels for any k):
    the same medians as the tensor network, on floats, on uint8 levels in every float dtype, and with ties."""
    from kornia_diffaug.functional.albu import _opencv

    g = torch.Generator().manual_seed(k)
    calls = []
    real = _opencv.median_blur_planes
    monkeypatch.setattr("kornia_diffaug.functional.albu.filter.median_blur_planes",
                        lambda t, kk: calls.append(t.dtype) or real(t, kk))
    levels = torch.randint(0, 256, (2, 3, 19, 23), generator=g)
    cases = [levels.float() / 255, levels.double() / 255, torch.randint(0, 3, (1, 2, 9, 5), generator=g).float() / 255,
             torch.rand(2, 3, 17, 12, generator=g), torch.rand(1, 1, 1, 1, generator=g)]
    for x in cases:
        calls.clear()
        out = median_blur(x, torch.full((x.shape[0],), k), (k,))
        ref = _float_network(x, k)
        assert out.dtype == x.dtype and torch.equal(out, ref), (k, x.dtype, x.shape)
        is_level = torch.equal((x * 255).round() / 255, x)
        expect = [torch.float32] if x.dtype == torch.float32 and k <= 5 else [torch.uint8] if is_level else []
        assert calls == expect, (k, x.dtype, calls)


def test_opencv_is_not_used_under_autograd_nor_without_opencv(monkeypatch):
    from kornia_diffaug.functional.albu import _opencv

    g = torch.Generator().manual_seed(3)
    x = (torch.randint(0, 256, (2, 3, 10, 11), generator=g).float() / 255).requires_grad_()
    out = median_blur(x, torch.full((2,), 5), (5,))
    assert out.grad_fn is not None
    (grad,) = torch.autograd.grad(out.sum(), x)
    assert grad.sum().item() == pytest.approx(out.numel())  # each output pixel's gradient lands on one pixel
    monkeypatch.setattr(_opencv, "opencv", lambda: None)
    for k in (3, 7):
        assert torch.equal(median_blur(x.detach(), torch.full((2,), k), (k,)), _float_network(x.detach(), k))


def test_median_blur_planes_refuses_what_opencv_cannot_take():
    from kornia_diffaug.functional.albu._opencv import median_blur_planes

    with pytest.raises(ValueError, match="float32 for k 3 and 5"):
        median_blur_planes(torch.rand(1, 1, 8, 8), 7)
    with pytest.raises(ValueError, match="odd"):
        median_blur_planes(torch.zeros(1, 1, 8, 8, dtype=torch.uint8), 4)
