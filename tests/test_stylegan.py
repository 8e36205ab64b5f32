"""kornia_diffaug.stylegan.AugmentPipe as StyleGAN2-ADA / StyleGAN3 users call it.

The interface (keywords, defaults, presets, attributes, ``p``) and the call pattern of their ``training_loop.py``
and ``loss.py`` (construct from ``augpipe_specs``, ``p.copy_``, augment in ``run_D``, R1 through the
augmentation, the ADA update, snapshots by deep copy and pickle, resume by buffer copy), plus Kornia interop.
The draws are tested in ``tests/test_stylegan_draws.py``.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import math
import pickle

import kornia.augmentation as K
import pytest
import torch

from kornia_diffaug import ADAController, ADAPipeline
from kornia_diffaug.functional.ada.color import imgfilter_bank
from kornia_diffaug.functional.ada.resample import lowpass_filter
from kornia_diffaug.stylegan import AugmentPipe, augpipe_specs
from tests._strategies import devices

# ``augpipe_specs`` of StyleGAN2-ADA's (and StyleGAN3's) train.py, as data.
_BGC = dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1, brightness=1, contrast=1, lumaflip=1,
            hue=1, saturation=1)  # fmt: skip
TRAIN_PY_SPECS = {
    "blit": dict(xflip=1, rotate90=1, xint=1),
    "geom": dict(scale=1, rotate=1, aniso=1, xfrac=1),
    "color": dict(brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1),
    "filter": dict(imgfilter=1),
    "noise": dict(noise=1),
    "cutout": dict(cutout=1),
    "bg": dict(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1),
    "bgc": _BGC,
    "bgcf": dict(_BGC, imgfilter=1),
    "bgcfn": dict(_BGC, imgfilter=1, noise=1),
    "bgcfnc": dict(_BGC, imgfilter=1, noise=1, cutout=1),
}
# The constructor of training/augment.py: names, order and defaults.
SIGNATURE = [
    ("xflip", 0), ("rotate90", 0), ("xint", 0), ("xint_max", 0.125), ("scale", 0), ("rotate", 0), ("aniso", 0),
    ("xfrac", 0), ("scale_std", 0.2), ("rotate_max", 1), ("aniso_std", 0.2), ("xfrac_std", 0.125),
    ("brightness", 0), ("contrast", 0), ("lumaflip", 0), ("hue", 0), ("saturation", 0), ("brightness_std", 0.2),
    ("contrast_std", 0.5), ("hue_max", 1), ("saturation_std", 1), ("imgfilter", 0), ("imgfilter_bands", [1, 1, 1, 1]),
    ("imgfilter_std", 1), ("noise", 0), ("cutout", 0), ("noise_std", 0.1), ("cutout_size", 0.5),
]  # fmt: skip


def seeded(seed=0, p=1.0, **kw):
    pipe = AugmentPipe(generator=torch.Generator().manual_seed(seed), **kw)
    pipe.p.copy_(torch.as_tensor(p))
    return pipe


# -- the interface ---------------------------------------------------------------------------------------------
def test_presets_signature_and_attributes_are_the_originals():
    assert augpipe_specs == TRAIN_PY_SPECS
    params = list(inspect.signature(AugmentPipe).parameters.values())
    positional = [(q.name, q.default) for q in params if q.kind is q.POSITIONAL_OR_KEYWORD]
    assert [n for n, _ in positional] == [n for n, _ in SIGNATURE]
    for (name, default), (_, expected) in zip(positional, SIGNATURE, strict=True):
        assert (list(default) if name == "imgfilter_bands" else default) == expected, name
    assert all(q.kind is q.KEYWORD_ONLY for q in params[len(SIGNATURE) :])
    pipe = AugmentPipe(**augpipe_specs["bgc"])
    assert isinstance(pipe, ADAPipeline) and isinstance(pipe, K.AugmentationBase2D)
    assert pipe.xflip == 1.0 and pipe.imgfilter == 0.0 and pipe.scale_std == 0.2 and pipe.cutout_size == 0.5
    assert float(pipe.p) == 1.0, "the original's p starts at 1"
    assert [n for n, _ in pipe.named_buffers()] == ["p"] and not list(pipe.parameters())
    rebuilt = AugmentPipe(**pipe.config())
    assert rebuilt.config() == pipe.config()
    pipe.xflip = 0  # the original's attributes are plain floats that the next call reads
    assert pipe.strengths["xflip"] == 0.0
    with pytest.raises(ValueError, match="xflip"):
        pipe.xflip = -1
    with pytest.raises(ValueError, match="cutout_size"):
        AugmentPipe(cutout_size=2)
    with pytest.raises(TypeError, match="imgfilter_bands"):
        AugmentPipe(imgfilter_bands=[1, 1, 1])
    with pytest.raises(TypeError, match="imgfilter_bands"):
        AugmentPipe(imgfilter_bands=1)


# -- the training loop's calls ----------------------------------------------------------------------------------
def _construct_class_by_name(class_name, **kwargs):
    """What dnnlib.util.construct_class_by_name does with train.py's ``augment_kwargs``."""
    module, name = class_name.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(**kwargs)


def test_training_loop_call_pattern_runs_unchanged():
    torch.manual_seed(0)
    device = torch.device("cpu")
    augment_kwargs = dict(class_name="kornia_diffaug.stylegan.AugmentPipe", **augpipe_specs["bgc"])
    augment_pipe = _construct_class_by_name(**augment_kwargs).train().requires_grad_(False).to(device)
    augment_pipe.p.copy_(torch.as_tensor(0.6))
    D = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.Softplus(), torch.nn.Flatten(),
                            torch.nn.Linear(8 * 16 * 16, 1))  # fmt: skip

    def run_D(img):  # loss.py: the discriminator sees augmented images
        return D(augment_pipe(img))

    # Gmain: gradients reach the generator's images through the augmentation.
    gen_img = (torch.rand(4, 3, 16, 16) * 2 - 1).requires_grad_(True)
    torch.nn.functional.softplus(-run_D(gen_img)).mean().backward()
    assert gen_img.grad is not None and torch.isfinite(gen_img.grad).all() and gen_img.grad.abs().sum() > 0
    # Dr1: the gradient penalty through the augmentation, then the double backward into D.
    real_img = torch.rand(4, 3, 16, 16) * 2 - 1
    real_img_tmp = real_img.detach().requires_grad_(True)
    real_logits = run_D(real_img_tmp)
    (r1_grads,) = torch.autograd.grad(outputs=[real_logits.sum()], inputs=[real_img_tmp], create_graph=True,
                                      only_inputs=True)  # fmt: skip
    r1_penalty = r1_grads.square().sum([1, 2, 3])
    D.zero_grad()
    (real_logits * 0 + r1_penalty * 0.5).mean().backward()
    grads = [q.grad for q in D.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads) and sum(g.abs().sum() for g in grads) > 0
    # The ADA update of training_loop.py (clamped at 0 only), and the logged value.
    adjust = math.copysign(1, 0.9 - 0.6) * (4 * 4) / (500 * 1000)
    augment_pipe.p.copy_((augment_pipe.p + adjust).max(torch.zeros((), device=device)))
    assert float(augment_pipe.p.cpu()) == pytest.approx(0.6 + adjust)
    # Snapshot: deep copy, eval, no grad, cpu, pickle; resume copies params and buffers by name.
    snap = copy.deepcopy(augment_pipe).eval().requires_grad_(False).cpu()
    loaded = pickle.loads(pickle.dumps({"augment_pipe": snap}))["augment_pipe"]
    fresh = _construct_class_by_name(**augment_kwargs)
    src = dict(loaded.named_buffers())
    for name, tensor in fresh.named_buffers():
        tensor.copy_(src[name].detach())
    assert float(fresh.p) == pytest.approx(0.6 + adjust)
    x = torch.rand(4, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(fresh(x, params=augment_pipe._params), augment_pipe(x, params=augment_pipe._params))


def test_r1_double_backward_is_exact():
    """gradgradcheck of the whole pipeline under fixed params (what R1's backward differentiates)."""
    pipe = seeded(3, **augpipe_specs["bgcfnc"])
    x = torch.rand(2, 3, 7, 6, dtype=torch.float64) * 2 - 1
    pipe(x)
    prm = pipe._params
    x.requires_grad_(True)
    assert torch.autograd.gradgradcheck(lambda t: pipe(t, params=prm), (x,), fast_mode=True)


def test_p_buffer_copy_train_eval_and_state_dict():
    x = torch.rand(6, 3, 12, 12) * 2 - 1
    pipe = seeded(1, p=0.0, **augpipe_specs["bgcfnc"])
    assert torch.equal(pipe(x), x), "p = 0 is the identity"
    pipe.p.copy_(torch.as_tensor(1.0))
    assert not torch.equal(pipe(x), x), "a copy_ into the buffer is read at the next call"
    # train() and eval() do not change what is drawn or done (the original has no mode either).
    a = seeded(2, **augpipe_specs["bgc"]).train()(x)
    b = seeded(2, **augpipe_specs["bgc"]).eval()(x)
    assert torch.equal(a, b)
    # p above 1 (the original loop clamps at 0 only) saturates every gate: xflip=0.5 at p=2 is xflip=1 at p=1.
    flips = [seeded(5, p=pp, xflip=m)._buffers["p"] for pp, m in ((2.0, 0.5), (1.0, 1.0))]
    assert [float(f) for f in flips] == [2.0, 1.0]
    y2, y1 = (seeded(5, p=pp, xflip=m)(x) for pp, m in ((2.0, 0.5), (1.0, 1.0)))
    assert torch.equal(y2, y1)
    # state_dict saves and restores p, and accepts the original's two fixed filter buffers.
    pipe.p.copy_(torch.as_tensor(0.37))
    state = pipe.state_dict()
    other = AugmentPipe(**augpipe_specs["bgcfnc"])
    other.load_state_dict(state)
    assert float(other.p) == pytest.approx(0.37)
    original_state = {"p": torch.tensor(0.25), "Hz_geom": lowpass_filter(), "Hz_fbank": imgfilter_bank()}
    other.load_state_dict(original_state)
    assert float(other.p) == 0.25
    with pytest.raises(RuntimeError, match="Hz_fbank"):
        other.load_state_dict({**original_state, "Hz_fbank": torch.ones(4, 43)})


@pytest.mark.parametrize("device", devices())
def test_device_dtype_moves_deepcopy_and_pickle(device):
    pipe = seeded(4, **augpipe_specs["bgcf"]).to(device)
    assert pipe.p.device.type == torch.device(device).type
    x = torch.rand(3, 3, 10, 14, device=device) * 2 - 1
    y = pipe(x)
    for clone in (copy.deepcopy(pipe), pickle.loads(pickle.dumps(pipe))):
        assert torch.equal(clone(x, params=pipe._params), y)
        assert float(clone.p) == float(pipe.p)
    pipe64 = copy.deepcopy(pipe).double()
    assert pipe64.p.dtype == torch.float64
    y64 = pipe64(x.double(), params=pipe._params)
    assert y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), y, atol=1e-4, rtol=0)
    yh = pipe(x.half(), params=pipe._params)
    assert yh.dtype == torch.float16
    torch.testing.assert_close(yh.float(), y, atol=0.03, rtol=0)


def test_adacontroller_and_augmentation_sequential():
    pipe = AugmentPipe(**augpipe_specs["bg"])
    ada = ADAController(pipe, target=0.6, speed_kimg=0.01, interval=1, initial_p=0.0)
    ada.observe(torch.ones(10))
    assert float(pipe.p) == pytest.approx(1.0)
    b, h, w = 16, 21, 19
    img = torch.zeros(b, 1, h, w)
    ys, xs = torch.randint(3, h - 3, (b,)), torch.randint(3, w - 3, (b,))
    img[torch.arange(b), 0, ys, xs] = 1.0
    kps = torch.stack([xs, ys], -1).float().view(b, 1, 2)
    blit = seeded(6, **augpipe_specs["blit"])
    seq = K.AugmentationSequential(blit, data_keys=["input", "mask", "keypoints"])
    out, mask, kp = seq(img, img.clone(), kps)
    torch.testing.assert_close(mask, out)
    for i in range(b):
        u, v = (round(c) for c in kp[i, 0].tolist())
        if 0 <= u < w and 0 <= v < h:
            assert out[i, 0, v, u] == 1.0, "the marked pixel moved with its keypoint"
    again = seq(img, img.clone(), kps, params=seq._params)
    assert torch.equal(again[0], out)
