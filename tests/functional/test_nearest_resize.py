"""Nearest resizes pick the pixel ``cv2.resize(..., INTER_NEAREST)`` picks, for every size pair: whole images
(``resize``) and per-sample crops (``crop_resize_nearest``, what the resized crops use for masks and for
``interpolation=0``). torch's ``interpolate`` (float32 scale) and ``number / tensor`` (a reciprocal times the
number) each pick another pixel at some sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kornia_diffaug.functional import albu as FA

cv2 = pytest.importorskip("cv2")

# size pairs where a float32 scale or a reciprocal moves floor() at an exact multiple (found against OpenCV)
KNOWN = [((7, 21), (106, 108)), ((17, 10), (66, 46)), ((25, 12), (26, 106)), ((70, 66), (40, 50)),
         ((4, 7), (98, 5)), ((8, 2), (110, 113))]


def _pairs(n: int = 60):
    rng = np.random.default_rng(0)
    out = list(KNOWN)
    for _ in range(n):
        out.append((tuple(int(v) for v in rng.integers(1, 80, 2)), tuple(int(v) for v in rng.integers(1, 140, 2))))
    return out


@pytest.mark.parametrize("src, dst", _pairs())
def test_resize_nearest_equals_opencv(src, dst):
    rng = np.random.default_rng(src[0] * 1000 + dst[1])
    u = rng.integers(0, 256, src).astype(np.uint8)
    ref = cv2.resize(u, dst[::-1], interpolation=cv2.INTER_NEAREST)
    got = FA.resize(torch.from_numpy(u).double()[None, None], dst, 0)[0, 0].numpy()
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("src, dst", _pairs(30))
def test_crop_resize_nearest_equals_opencv_on_the_crop(src, dst):
    rng = np.random.default_rng(src[1] * 1000 + dst[0])
    h, w = src[0] + 9, src[1] + 5
    u = rng.integers(0, 256, (2, h, w)).astype(np.uint8)
    corners = [(int(rng.integers(0, 6)), int(rng.integers(0, 10))) for _ in range(2)]  # (x0, y0) per sample
    box = torch.tensor([[x0, y0, x0 + src[1], y0 + src[0]] for x0, y0 in corners], dtype=torch.float64)
    x = torch.from_numpy(u).float()[:, None].requires_grad_(True)
    y = FA.crop_resize_nearest(x, box, dst)
    for i, (x0, y0) in enumerate(corners):
        crop = np.ascontiguousarray(u[i, y0 : y0 + src[0], x0 : x0 + src[1]])
        np.testing.assert_array_equal(y[i, 0].detach().numpy(), cv2.resize(crop, dst[::-1],
                                                                            interpolation=cv2.INTER_NEAREST))
    y.sum().backward()  # data movement: each input pixel gets the number of times it was read
    assert x.grad.sum() == y.numel() and x.grad.min() >= 0
