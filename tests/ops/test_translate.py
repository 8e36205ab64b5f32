"""RandomIntegerTranslate inside Kornia pipelines: boxes, inverse, exact content."""

from __future__ import annotations

import kornia.augmentation as K
import torch

import kornia_diffaug as kd


def test_boxes_move_by_the_integer_shift_and_inverse_restores():
    g = torch.Generator().manual_seed(2)
    op = kd.RandomIntegerTranslate(ratio=0.25, generator=g)
    seq = K.AugmentationSequential(op, data_keys=["input", "bbox_xyxy"])
    img = torch.rand(5, 3, 16, 16)
    boxes = torch.tensor([[[2.0, 3.0, 8.0, 9.0]]]).repeat(5, 1, 1)
    out, b2 = seq(img, boxes)
    shift = torch.stack([op._params["shift_x"], op._params["shift_y"]], -1).float()
    torch.testing.assert_close(b2[:, 0], boxes[:, 0] + shift.repeat(1, 2))
    back = seq.inverse(out, data_keys=["input"])
    for i in range(5):
        tx, ty = (int(v) for v in shift[i])
        keep = torch.zeros(16, 16, dtype=torch.bool)
        keep[max(0, -ty) : 16 - max(0, ty), max(0, -tx) : 16 - max(0, tx)] = True
        assert torch.equal(back[i][:, keep], img[i][:, keep])
        assert (back[i][:, ~keep] == 0).all()


def test_content_is_kept_exactly():
    x = torch.arange(2 * 1 * 6 * 7, dtype=torch.float32).view(2, 1, 6, 7)
    op = kd.RandomIntegerTranslate(ratio=0.3, generator=torch.Generator().manual_seed(0))
    y = op(x)
    for i in range(2):
        tx, ty = int(op._params["shift_x"][i]), int(op._params["shift_y"][i])
        src = x[i, 0, max(0, -ty) : 6 - max(0, ty), max(0, -tx) : 7 - max(0, tx)]
        dst = y[i, 0, max(0, ty) : 6 - max(0, -ty), max(0, tx) : 7 - max(0, -tx)]
        assert torch.equal(src, dst)
