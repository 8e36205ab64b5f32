"""``inverse`` of our geometric ops inside Kornia's ``AugmentationSequential`` (masks, boxes, keypoints back in the
input frame), the clear error of the ops without one, and Kornia's ``extra_args`` mask resampling on our ops."""

from __future__ import annotations

import kornia.augmentation as K
import pytest
import torch
from kornia.constants import DataKey, Resample

from kornia_diffaug.ops import ADAPipeline, NotInvertibleError, RandomIntegerTranslate
from kornia_diffaug.ops import albu as OA

KEYS = ["input", "mask", "bbox_xyxy", "keypoints"]

# (op, exact): ``exact`` ops move pixels onto pixels, so the mask inside the frame comes back bit for bit.
INVERTIBLE = [
    (lambda: OA.AlbuAffine(rotate=(-25, 25), scale=(0.8, 1.2), shear=(-5, 5), translate_percent=(-0.1, 0.1)), False),
    (lambda: OA.AlbuAffine(translate_px=(-3, 3), interpolation=0), True),
    (lambda: OA.AlbuSafeRotate(limit=(-40, 40)), False),
    (lambda: OA.AlbuPerspective(scale=(0.05, 0.1)), False),
    (lambda: OA.AlbuTranspose(), True),
    (lambda: OA.AlbuRandomCrop(20, 18), True),
    (lambda: OA.AlbuCrop(2, 3, 20, 25), True),
    (lambda: OA.AlbuCrop(0, 0, 20, 16, center=True), True),
    (lambda: OA.AlbuPadIfNeeded(40, 37, border_mode=0), True),
    (lambda: OA.AlbuRandomResizedCrop((24, 20), scale=(0.3, 1.0)), False),
    (lambda: OA.AlbuResize(20, 40), False),
    (lambda: OA.AlbuLongestMaxSize(40), False),
    (lambda: OA.AlbuSmallestMaxSize(20), False),
    (lambda: OA.AlbuRandomScale(scale_limit=(0.5, 0.5)), False),
    (lambda: RandomIntegerTranslate(), True),
]


def _data(h=32, w=28, b=3):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(b, 3, h, w, generator=g)
    m = (torch.rand(b, 1, h, w, generator=g) > 0.5).float()
    boxes = torch.tensor([[[4.0, 5.0, 20.0, 22.0], [1.0, 2.0, 9.0, 30.0]]]).repeat(b, 1, 1)
    kps = torch.tensor([[[10.0, 12.0], [20.0, 5.0], [3.0, 29.0]]]).repeat(b, 1, 1)
    return x, m, boxes, kps


@pytest.mark.parametrize("make, exact", INVERTIBLE)
def test_sequential_inverse_round_trips_keypoints_boxes_masks(make, exact):
    torch.manual_seed(0)
    op = make()
    op.generator = torch.Generator().manual_seed(1)
    seq = K.AugmentationSequential(op, data_keys=KEYS)
    x, m, boxes, kps = _data()
    out = seq(x, m, boxes, kps)
    img, mask, box, kp = seq.inverse(*out)
    assert img.shape == x.shape and mask.shape == m.shape
    torch.testing.assert_close(kp, kps, atol=1e-4, rtol=0)
    if exact or not isinstance(op, (OA.AlbuAffine, OA.AlbuSafeRotate, OA.AlbuPerspective)):
        torch.testing.assert_close(box, boxes, atol=1e-4, rtol=0)  # axis-aligned maps: the box itself
    else:  # a rotated box comes back as the enclosure of its enclosure: it contains the original
        assert (box[..., :2] <= boxes[..., :2] + 1e-4).all() and (box[..., 2:] >= boxes[..., 2:] - 1e-4).all()
    if exact:
        # Pixels that stayed in the frame come back exactly; the rest is the border (zeros).
        back = seq.inverse(*seq(x, m, boxes, kps, params=seq._params))[1]
        kept = back != 0
        assert kept.any()
        assert torch.equal(back[kept], m[kept])


def test_inverse_of_a_mixed_gate_restores_only_the_applied_samples():
    seq = K.AugmentationSequential(OA.AlbuAffine(rotate=(30, 30), p=0.5, generator=torch.Generator().manual_seed(3)),
                                   data_keys=["input", "keypoints"])
    x, _, _, kps = _data(b=8)
    out = seq(x, kps)
    gate = seq._params[0].data["batch_prob"] > 0.5
    assert 0 < int(gate.sum()) < 8
    torch.testing.assert_close(seq.inverse(*out)[1], kps, atol=1e-4, rtol=0)


def test_inverse_image_goes_back_by_the_pixel_matrix():
    # RandomResizedCrop's boxes follow the plain size ratio, its pixels the half-pixel matrix: a constant
    # image crop-resized and put back equals the constant inside the crop (a wrong matrix smears the edge).
    op = OA.AlbuRandomResizedCrop((16, 16), scale=(0.5, 0.5), ratio=(1, 1), interpolation=1,
                                  generator=torch.Generator().manual_seed(0))
    x = torch.ones(1, 1, 32, 32)
    back = op.inverse(op(x))
    bx = op._params["box"][0].tolist()
    inner = back[0, 0, int(bx[1]) + 1 : int(bx[3]) - 1, int(bx[0]) + 1 : int(bx[2]) - 1]
    torch.testing.assert_close(inner, torch.ones_like(inner))
    assert back[0, 0, 0, 0] == 0 or bx[0] == 0 or bx[1] == 0


@pytest.mark.parametrize("op", [OA.AlbuElasticTransform(alpha=3.0, sigma=2.0), OA.AlbuGridDistortion()])
@pytest.mark.parametrize("keys", [["input"], ["input", "mask"], ["input", "keypoints"], ["input", "bbox_xyxy"]])
def test_distortions_refuse_inverse_naming_the_op(op, keys):
    seq = K.AugmentationSequential(op, data_keys=keys)
    x, m, boxes, kps = _data()
    args = {"input": x, "mask": m, "keypoints": kps, "bbox_xyxy": boxes}
    out = seq(*[args[k] for k in keys])
    with pytest.raises(NotInvertibleError, match=f"{type(op).__name__} cannot be inverted: .*displacement map"):
        seq.inverse(*(out if isinstance(out, list) else [out]))
    assert issubclass(NotInvertibleError, NotImplementedError)


def test_grid_shuffle_inverts_exactly():
    op = OA.AlbuRandomGridShuffle(grid=(3, 2), p=0.6, generator=torch.Generator().manual_seed(0))
    seq = K.AugmentationSequential(op, data_keys=["input", "mask", "keypoints"])
    g = torch.Generator().manual_seed(1)
    x, m = torch.rand(6, 3, 13, 11, generator=g), torch.rand(6, 1, 13, 11, generator=g)
    kps = torch.rand(6, 4, 2, generator=g) * torch.tensor([10.0, 12.0])
    out = seq(x, m, kps)
    assert not torch.equal(out[0], x)
    img, mask, kp = seq.inverse(*out)
    assert torch.equal(img, x) and torch.equal(mask, m)
    torch.testing.assert_close(kp, kps, atol=1e-4, rtol=0)


def test_per_sample_branches_invert_each_group():
    seg = OA.PerSampleBranches(OA.AlbuRandomCrop(20, 20, p=0.5, generator=torch.Generator().manual_seed(2)),
                               OA.AlbuResize(16, 16))
    seq = K.AugmentationSequential(seg, data_keys=["input", "mask", "keypoints"])
    x, m, _, kps = _data(32, 32, b=6)
    out = seq(x, m, kps)
    assert len(seq._params[0].data) == 2  # two groups: cropped and not
    img, mask, kp = seq.inverse(*out)
    assert img.shape == x.shape and mask.shape == m.shape
    torch.testing.assert_close(kp, kps, atol=1e-4, rtol=0)


# -- extra_args ------------------------------------------------------------------------------------------------
def _mask_with(make, resample):
    op = make()
    seq = K.AugmentationSequential(op, data_keys=["input", "mask"],
                                   extra_args={DataKey.MASK: dict(resample=resample, align_corners=None)})
    g = torch.Generator().manual_seed(0)
    x, m = torch.rand(2, 3, 32, 32, generator=g), torch.rand(2, 1, 32, 32, generator=g)
    torch.manual_seed(1)
    img, out = seq(x, m)
    back = seq.inverse(img, out)[1]
    return m, out, back


MASK_OPS = [
    lambda: K.RandomAffine(20, p=1.0),  # the control: Kornia's own op
    lambda: OA.AlbuAffine(rotate=(-20, 20), scale=(0.8, 1.2), generator=torch.Generator().manual_seed(0)),
    lambda: OA.AlbuPerspective(generator=torch.Generator().manual_seed(0)),
    lambda: OA.AlbuResize(20, 24),
    lambda: OA.AlbuRandomResizedCrop((20, 20), generator=torch.Generator().manual_seed(0)),
    lambda: OA.AlbuRandomScale(scale_limit=(0.3, 0.3)),
    lambda: ADAPipeline("bgc", p=1.0, generator=torch.Generator().manual_seed(0)),
]


@pytest.mark.parametrize("make", MASK_OPS)
def test_extra_args_mask_resample_is_honoured(make):
    m, near, back_near = _mask_with(make, Resample.NEAREST)
    _, lin, back_lin = _mask_with(make, "bilinear")
    values = torch.cat([m.flatten(), torch.zeros(1)])
    assert torch.isin(near, values).all() and torch.isin(back_near, values).all()  # nearest: labels only
    assert (near - lin).abs().max() > 0.1  # bilinear interpolates, as Kornia's own op does
    assert not torch.isin(lin, values).all()
    assert (back_near - back_lin).abs().max() > 0.1  # ... in both directions


def test_extra_args_mask_resample_of_a_distortion():  # forward only: it has no inverse
    def make():
        return OA.AlbuElasticTransform(alpha=3.0, sigma=2.0, generator=torch.Generator().manual_seed(0))

    seq_n = K.AugmentationSequential(make(), data_keys=["input", "mask"])
    seq_l = K.AugmentationSequential(make(), data_keys=["input", "mask"],
                                     extra_args={DataKey.MASK: dict(resample=Resample.BILINEAR, align_corners=None)})
    x, m = torch.rand(2, 3, 32, 32), torch.rand(2, 1, 32, 32)
    near, lin = seq_n(x, m)[1], seq_l(x, m)[1]
    assert torch.isin(near, torch.cat([m.flatten(), torch.zeros(1)])).all()
    assert (near - lin).abs().max() > 0.1


def test_default_mask_resampling_is_nearest_and_image_keeps_its_own():
    op = OA.AlbuAffine(rotate=(20, 20), interpolation=2)
    assert op.flags["resample"] == Resample.BICUBIC
    seq = K.AugmentationSequential(op, data_keys=["input", "mask"])
    x = torch.rand(1, 1, 16, 16)
    img, mask = seq(x, x.clone())
    assert torch.isin(mask, torch.cat([x.flatten(), torch.zeros(1)])).all()
    torch.testing.assert_close(img, op(x, params=op._params))
