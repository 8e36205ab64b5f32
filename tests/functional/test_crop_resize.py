"""``crop_resize`` is ``cv2.resize`` of each sample's crop: it never reads the pixels around the crop (linear and
cubic), equals resizing the cut-out crop on its own, has a gradient, and refuses boxes outside the image."""

from __future__ import annotations

import pytest
import torch

from kornia_diffaug.functional import albu as FA

BOXES = torch.tensor([[3.0, 5.0, 30.0, 33.0], [0.0, 0.0, 52.0, 40.0], [40.0, 2.0, 52.0, 9.0]], dtype=torch.float64)


@pytest.mark.parametrize("size", [(24, 24), (61, 47), (5, 80)])
@pytest.mark.parametrize("interpolation", [0, 1, 2])
def test_crop_resize_equals_resizing_the_cut_out_crop(interpolation, size):
    x = torch.rand(3, 3, 40, 52, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = FA.crop_resize(x, BOXES, size, interpolation)
    for i, (x0, y0, x1, y1) in enumerate(BOXES.long().tolist()):
        ref = FA.crop_resize(x[i : i + 1, :, y0:y1, x0:x1].contiguous(),
                             torch.tensor([[0.0, 0.0, x1 - x0, y1 - y0]]), size, interpolation)
        torch.testing.assert_close(y[i : i + 1], ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("interpolation", [1, 2])
def test_crop_resize_ignores_the_pixels_around_the_crop(interpolation):
    x = torch.rand(3, 3, 40, 52, generator=torch.Generator().manual_seed(1))
    inside = torch.zeros_like(x, dtype=torch.bool)
    for i, (x0, y0, x1, y1) in enumerate(BOXES.long().tolist()):
        inside[i, :, y0:y1, x0:x1] = True
    noisy = torch.where(inside, x, torch.full_like(x, float("nan")))
    assert torch.equal(FA.crop_resize(noisy, BOXES, (31, 29), interpolation),
                       FA.crop_resize(x, BOXES, (31, 29), interpolation))


def test_crop_resize_gradient_stays_in_the_crop():
    x = torch.rand(3, 3, 40, 52, dtype=torch.float64, requires_grad=True)
    FA.crop_resize(x, BOXES, (20, 30), 1).sum().backward()
    for i, (x0, y0, x1, y1) in enumerate(BOXES.long().tolist()):
        g = x.grad[i].clone()
        assert g[:, y0:y1, x0:x1].sum() > 0
        g[:, y0:y1, x0:x1] = 0
        assert torch.count_nonzero(g) == 0


@pytest.mark.parametrize("box", [[-1.0, 0.0, 10.0, 10.0], [0.0, 0.0, 53.0, 10.0], [5.0, 5.0, 5.0, 9.0]])
def test_crop_resize_refuses_boxes_outside_the_image(box):
    with pytest.raises(ValueError, match="inside the 40x52 image"):
        FA.crop_resize(torch.rand(1, 3, 40, 52), torch.tensor([box]), (8, 8), 1)


@pytest.mark.parametrize("hw", [(1, 1), (3, 1), (1, 3), (2, 1)])
def test_bbox_safe_crop_of_a_tiny_image_is_at_least_one_pixel(hw):
    """Albumentations raises on the empty crops it can draw for images under ``1 / (1 - erosion_rate)`` pixels
    (or narrower than high); the op draws boxes of at least one pixel inside the image instead."""
    from kornia_diffaug.ops.albu import AlbuRandomSizedBBoxSafeCrop

    h, w = hw
    op = AlbuRandomSizedBBoxSafeCrop(height=4, width=5, erosion_rate=0.2, generator=torch.Generator().manual_seed(0))
    for _ in range(20):
        box = op.forward_parameters((3, 1, h, w))["box"]
        assert bool((box[:, 2:] - box[:, :2] >= 1).all()), box
        assert bool((box[:, :2] >= 0).all() and (box[:, 2] <= w).all() and (box[:, 3] <= h).all()), box
    assert op(torch.rand(3, 1, h, w)).shape == (3, 1, 4, 5)


@pytest.mark.parametrize("interpolation", [0, 1, 2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("c", [1, 3])
def test_out_may_be_the_input_itself(interpolation, dtype, c):
    """``out=x``: each crop is read before its row is written, whatever the crop (the whole image, full-width
    bands that are contiguous views for one channel, upscaled corners)."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(5, c, 12, 10, generator=g).to(dtype)
    box = torch.tensor([[0, 0, 10, 12], [0, 3, 10, 9], [2, 0, 7, 12], [8, 9, 10, 12], [1, 1, 9, 11]],
                       dtype=torch.float64)
    want = FA.crop_resize(x, box, (12, 10), interpolation)
    fresh = FA.crop_resize(x, box, (12, 10), interpolation, out=torch.empty_like(x))
    got = FA.crop_resize(x, box, (12, 10), interpolation, out=x)
    assert got is x
    torch.testing.assert_close(fresh, want, rtol=0, atol=0)
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_out_is_checked():
    x = torch.rand(2, 3, 8, 8)
    box = torch.tensor([[0, 0, 4, 4], [1, 1, 5, 5]], dtype=torch.float64)
    with pytest.raises(ValueError, match="out must have shape"):
        FA.crop_resize(x, box, (6, 6), 1, out=torch.empty(2, 3, 8, 8))
    with pytest.raises(ValueError, match="dtype"):
        FA.crop_resize(x, box, (6, 6), 1, out=torch.empty(2, 3, 6, 6, dtype=torch.float64))
    with pytest.raises(ValueError, match="autograd"):
        FA.crop_resize(x.requires_grad_(), box, (6, 6), 1, out=torch.empty(2, 3, 6, 6))
