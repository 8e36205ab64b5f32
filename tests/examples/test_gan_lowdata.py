"""The low-data GAN example: loss wiring, the metric (KID scale, classifier cache), a quick run with its outputs,
determinism, resume, and a 2-process DDP run. ``conftest.py`` points the classifier cache at a temporary folder."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import _common as U  # noqa: E402
import gan_lowdata as G  # noqa: E402


class Spy(nn.Module):
    """A differentiable augmentation that records what it was applied to (x -> 0.5 * x flipped)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x)
        return 0.5 * x.flip(-1)


def _models():
    torch.manual_seed(0)
    gen = U.Generator(z_dim=8, channels=1, resolution=8, width=32)
    disc = U.make_discriminator("resnet10t", channels=1, resolution=8)
    return gen, disc


def test_d_step_augments_reals_and_fakes_in_one_call_and_does_not_reach_g():
    gen, disc = _models()
    spy = Spy()
    real = torch.rand(4, 1, 8, 8) * 2 - 1
    fake = gen(torch.randn(4, 8))
    loss, real_logits, r1 = G.d_loss(disc, spy, real, fake)
    assert len(spy.seen) == 1  # augment_real_fake: reals and fakes in one call, reals first
    torch.testing.assert_close(spy.seen[0], torch.cat([real, fake.detach()]))
    assert real_logits.shape == (4, 1) and not real_logits.requires_grad and r1.item() == 0.0
    loss.backward()
    assert all(p.grad is None for p in gen.parameters())  # fakes are detached in the D step
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in disc.parameters())


def test_d_logits_match_discriminator_on_augmented_inputs():
    gen, disc = _models()
    disc.eval()
    real, fake = torch.rand(3, 1, 8, 8) * 2 - 1, torch.rand(3, 1, 8, 8) * 2 - 1
    _, real_logits, _ = G.d_loss(disc, Spy(), real, fake)
    torch.testing.assert_close(real_logits, disc(0.5 * real.flip(-1)))


def test_r1_is_the_gradient_norm_through_the_augmentation_and_double_backwards():
    gen, disc = _models()
    real = torch.rand(3, 1, 8, 8) * 2 - 1
    fake = torch.rand(3, 1, 8, 8) * 2 - 1
    gamma = 0.5
    base, _, _ = G.d_loss(disc, Spy(), real, fake)
    loss, _, r1 = G.d_loss(disc, Spy(), real, fake, r1_gamma=gamma)
    x = real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(disc(0.5 * x.flip(-1)).sum(), x)  # d D(T(x)) / dx, through T
    torch.testing.assert_close(r1, grad.square().flatten(1).sum(1).mean())
    torch.testing.assert_close(loss.detach(), base.detach() + 0.5 * gamma * r1)
    assert r1 > 0 and not real.requires_grad  # the caller's reals are not modified
    # The R1 term alone reaches D's weights only through a second backward (through T, then D).
    (only_r1,) = torch.autograd.grad(loss - base, [disc.head[1].weight])
    assert only_r1.abs().sum() > 0


@pytest.mark.parametrize("spec", ["diffaugment", "ada"])
def test_r1_double_backward_through_library_augmentations(spec):
    _, disc = _models()
    aug, ctrl, _ = U.build_augmentation(spec)
    if ctrl is not None:
        ctrl.load_state_dict({**ctrl.state_dict(), "p": torch.tensor(0.8)})  # ADA on: warps, colour, ...
    real, fake = torch.rand(4, 1, 8, 8) * 2 - 1, torch.rand(4, 1, 8, 8) * 2 - 1
    loss, _, r1 = G.d_loss(disc, aug, real, fake, r1_gamma=1.0)
    loss.backward()
    grads = [p.grad for p in disc.parameters() if p.grad is not None]
    assert r1 > 0 and grads and all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_small_image_discriminator_keeps_a_4x4_map_before_its_head(resolution):
    disc = U.make_discriminator("resnet10t", channels=1, resolution=resolution)
    assert isinstance(disc, U.SmallImageDiscriminator)
    assert not any(isinstance(m, nn.MaxPool2d) for m in disc.modules())  # the stem max-pool is Identity
    seen = []
    disc.head.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].shape))
    assert disc(torch.zeros(2, 1, resolution, resolution)).shape == (2, 1)
    side = seen[0][-1]
    assert seen[0][-2] == side and 4 <= side < 8  # the deepest stage still >= 4x4, not one further
    assert tuple(seen[0][1:]) == disc.feature_shape
    # The whole timm classifier is what the small form replaces: at 16x16 its last map is 1x1.
    full = U.make_discriminator("resnet10t", channels=1, resolution=16, form="classifier")
    assert full.forward_features(torch.zeros(1, 1, 16, 16)).shape[-2:] == (1, 1)


def test_g_step_goes_through_augmentation_and_reaches_generator():
    gen, disc = _models()
    spy = Spy()
    fake = gen(torch.randn(4, 8))
    loss = G.g_loss(disc, spy, fake)
    assert len(spy.seen) == 1 and spy.seen[0] is fake
    loss.backward()
    grads = [p.grad for p in gen.parameters()]
    assert all(g is not None for g in grads) and sum(g.abs().sum() for g in grads) > 0


@pytest.mark.parametrize("spec", ["diffaugment", "diffaugment:color,translation,cutout"])
def test_gradients_reach_generator_through_diffaugment(spec):
    gen, disc = _models()
    aug, ctrl, _ = U.build_augmentation(spec)
    assert ctrl is None
    z = torch.randn(4, 8)
    G.g_loss(disc, aug, gen(z)).backward()
    grad = gen.fc[0].weight.grad
    assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_build_augmentation_rejects_unknown_spec():
    with pytest.raises(SystemExit, match="not 'none'"):
        U.build_augmentation("no-such-augmentation")
    assert U.build_augmentation("none")[0] is None


def test_range_mapped_runs_unit_range_pipelines_on_symmetric_images():
    class Unit(nn.Module):
        def forward(self, x):
            assert x.min() >= 0 and x.max() <= 1
            return 1 - x

    x = torch.rand(2, 1, 4, 4) * 2 - 1
    torch.testing.assert_close(U.RangeMapped(Unit())(x), -x)


def test_albumentations_config_runs_on_gan_images_at_their_size():
    aug, ctrl, desc = U.build_augmentation(str(EXAMPLES / "configs" / "simclr_digits.json"))  # crops to 32x32
    x = torch.rand(4, 1, 16, 16, requires_grad=True) * 2 - 1
    y = aug(x)
    assert ctrl is None and "simclr_digits.json" in desc
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    y.sum().backward()


def test_discriminator_is_per_sample():
    _, disc = _models()
    disc.eval()
    x = torch.rand(4, 1, 8, 8)
    torch.testing.assert_close(disc(x)[:1], disc(x[:1]), atol=1e-5, rtol=1e-5)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in disc.modules())


def test_bad_arguments_exit_with_usage_error():
    bad = (["--iters", "0"], ["--resolution", "24"], ["--ema", "1.0"], ["--r1-gamma", "-1"], ["--disc-form", "x"])
    for argv in bad:
        with pytest.raises(SystemExit) as exc:
            G.parse_args(argv)
        assert exc.value.code == 2


def _finite_history(metrics: dict) -> None:
    assert metrics["history"]
    for rec in metrics["history"]:
        for key in ("fid", "kid_x1000", "kid_x1000_std", "d_sign_train", "d_sign_heldout", "d_sign_gap"):
            assert math.isfinite(rec[key]), (key, rec)
        assert math.isfinite(rec["loss_d"]) and math.isfinite(rec["loss_g"])
        assert -2.0 <= rec["d_sign_gap"] <= 2.0
    assert metrics["fid_floor_real_vs_real"] < metrics["history"][-1]["fid"]


def test_classifier_is_cached_in_one_place_and_reused(example_cache, monkeypatch, tmp_path):
    path = U.classifier_cache_path(1)
    assert path.parent == example_cache and path.name.startswith("digits_classifier_e1_")
    assert U.classifier_cache_path(2) != path  # keyed by its settings
    path.unlink(missing_ok=True)
    first, acc, source = U.load_or_train_classifier(epochs=1)
    assert source.startswith("trained") and path.exists() and acc > 0.5

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier was retrained")

    monkeypatch.setattr(U, "_train_classifier", no_training)
    again, acc2, source2 = U.load_or_train_classifier(epochs=1)
    assert source2 == f"loaded from {path}" and acc2 == acc and again.feature_rms == first.feature_rms
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)

    monkeypatch.delenv("KORNIA_DIFFAUG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert U.cache_dir() == tmp_path / "kornia_diffaug"


def test_kid_is_on_the_usual_scale():
    """Real vs real: KID x1000 is 0 up to sampling noise (of either sign); clearly different images score
    hundreds, not the ~10^5 that the unnormalised 128-d features gave the cubic kernel."""
    classifier, _, _ = U.load_or_train_classifier(epochs=8)
    ext = U.FeatureExtractor(classifier)
    data = U.load_data("digits", 16, 180)
    floor = U.fid_kid(ext, data.fid_reference, data.floor_reference)
    assert abs(floor.kid_x1000) < 20 and 0 < floor.kid_x1000_std < 100
    noise = torch.rand(540, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    far = U.fid_kid(ext, data.fid_reference, noise)
    assert 300 < far.kid_x1000 < 10_000 and far.fid > 100 * floor.fid
    assert U.fid_kid(ext, data.fid_reference, data.floor_reference) == floor  # reproducible subsets


def test_quick_run_writes_outputs_and_resumes(tmp_path, capsys):
    out = tmp_path / "run"
    assert G.main(["--quick", "--iters", "10", "--out", str(out), "--n-eval", "60"]) == 0
    for name in ("metrics.json", "curves.png", "checkpoint.pt", "samples_000010.png", "reals.png"):
        assert (out / name).stat().st_size > 0, name
    from PIL import Image

    assert Image.open(out / "reals.png").size == Image.open(out / "samples_000010.png").size
    assert not list(out.glob("digits_classifier*"))  # the classifier lives in the cache, not in --out
    metrics = json.loads((out / "metrics.json").read_text())
    _finite_history(metrics)
    assert metrics["metric"] == "FID (digits-classifier features)"
    assert metrics["n_train"] == 180 and metrics["history"][-1]["iteration"] == 10
    assert metrics["classifier_test_accuracy"] > 0.8
    assert metrics["seed"] == 0 and metrics["threads"] == 1 and metrics["torch"] == torch.__version__
    assert abs(metrics["kid_x1000_floor_real_vs_real"]) < 20
    assert 0 <= metrics["final_confident"] <= 1 and len(metrics["final_class_hist"]) == 10
    assert sum(metrics["final_class_hist"]) == 100  # every evaluated sample gets a class (--quick: 100)
    printed = capsys.readouterr().out
    assert "p > 0.9" in printed
    assert "seed 0, 1 intra-op thread(s)" in printed and "KID x1000 floor" in printed

    ckpt = str(out / "checkpoint.pt")
    assert G.main(["--quick", "--iters", "20", "--out", str(out), "--n-eval", "60", "--resume", ckpt]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert [r["iteration"] for r in metrics["history"]] == [10, 15, 20]  # --quick evaluates every 15
    _finite_history(metrics)
    with pytest.raises(SystemExit, match="--aug 'diffaugment', not 'none'"):
        G.main(["--quick", "--out", str(out), "--resume", ckpt, "--aug", "none"])
    with pytest.raises(SystemExit, match="--resume: the checkpoint's G/D do not match --disc resnet10t --disc-form"):
        G.main(["--quick", "--out", str(out), "--resume", ckpt, "--disc-form", "classifier"])
    assert "metric's classifier: loaded from" in capsys.readouterr().out  # trained at most once


def test_same_seed_and_threads_give_identical_runs(tmp_path):
    def run(name: str, *extra: str) -> list[dict]:
        argv = ["--quick", "--iters", "4", "--eval-every", "2", "--n-eval", "40", "--out", str(tmp_path / name)]
        assert G.main([*argv, *extra]) == 0
        history = json.loads((tmp_path / name / "metrics.json").read_text())["history"]
        return [{k: v for k, v in r.items() if k != "seconds"} for r in history]

    first = run("a")
    assert run("b") == first
    assert run("c", "--seed", "1") != first


def test_ddp_two_processes_gloo(tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(EXAMPLES / "gan_lowdata.py"),
        "--quick",
        "--aug",
        "ada",
        "--iters",
        "6",
        "--n-eval",
        "40",
        "--out",
        str(out),
    ]
    # Own session: on a timeout the launcher *and* its workers are killed, so a hung collective cannot outlive
    # the test.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail("torchrun did not finish within 240 s:\n" + stdout[-3000:] + stderr[-3000:])
    assert proc.returncode == 0, stdout[-3000:] + stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2 and metrics["device"] == "cpu"
    assert metrics["history"][-1]["iteration"] == 6
    _finite_history(metrics)
    p_ranks = metrics["ada_p_per_rank"]  # the controller all-reduces its statistics: one p on every rank
    assert len(p_ranks) == 2 and p_ranks[0] == p_ranks[1] == metrics["history"][-1]["ada_p"]


def test_classifier_confidence_reads_real_digits_as_confident_and_noise_as_not():
    classifier, _, _ = U.load_or_train_classifier(40)
    extractor = U.FeatureExtractor(classifier)
    data = U.load_data("digits", 16, 180)
    real = U.classifier_confidence(extractor, data.heldout[:200])
    g = torch.Generator().manual_seed(0)
    noise = U.classifier_confidence(extractor, torch.rand(200, 1, 16, 16, generator=g) * 2 - 1)
    assert real["confident"] > 0.8 and min(real["class_hist"]) > 0  # held-out digits: confident, every class
    assert noise["confident"] < real["confident"] - 0.3 or max(noise["class_hist"]) > 100  # noise: unsure or piled up
    assert U.classifier_confidence(torch.nn.Identity(), data.heldout[:4]) is None


def test_ada_speed_scales_with_the_run_unless_given():
    args = G.parse_args(["--aug", "ada"])
    assert args.ada_kimg is None and G.ada_speed_kimg(args, world=1) == pytest.approx(4000 * 16 / 1000 / 10)
    assert G.ada_speed_kimg(args, world=2) == pytest.approx(2 * 6.4)  # images of all ranks count
    assert G.ada_speed_kimg(G.parse_args(["--ada-kimg", "500"]), world=1) == 500
    with pytest.raises(SystemExit):
        G.parse_args(["--ada-kimg", "0"])


def test_train_step_moves_d_g_the_ema_and_the_ada_controller():
    from kornia_diffaug import ADAController, ADAPipeline

    gen, disc = _models()
    gen_ema = U.Generator(z_dim=8, channels=1, resolution=8, width=32).requires_grad_(False)
    gen_ema.load_state_dict(gen.state_dict())
    pipe = ADAPipeline(preset="bgc", p=0.0, value_range=(-1.0, 1.0))
    ctrl = ADAController(pipe, target=0.0, speed_kimg=0.01, interval=1)  # any positive r_t raises p at once
    opt_g, opt_d = torch.optim.Adam(gen.parameters(), 1e-3), torch.optim.Adam(disc.parameters(), 1e-3)
    g0, d0 = [p.clone() for p in gen.parameters()], [p.clone() for p in disc.parameters()]
    e0 = [p.clone() for p in gen_ema.parameters()]
    real = torch.rand(4, 1, 8, 8) * 2 - 1
    with torch.no_grad():  # make D call the reals real, so r_t > 0 = target
        disc_bias = [m for m in disc.modules() if isinstance(m, nn.Linear)][-1].bias
        disc_bias.fill_(10.0)
    loss_d, loss_g, r1 = G.train_step(gen, disc, gen_ema, pipe, ctrl, opt_g, opt_d, real, torch.randn(4, 8),
                                      torch.randn(4, 8), r1_gamma=0.1, ema=0.5)
    assert all(torch.isfinite(t) for t in (loss_d, loss_g, r1)) and r1 > 0
    assert any(not torch.equal(a, b) for a, b in zip(g0, gen.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(d0, disc.parameters(), strict=True))
    for e_before, e, g in zip(e0, gen_ema.parameters(), gen.parameters(), strict=True):  # ema = 0.5: the midpoint
        torch.testing.assert_close(e, 0.5 * e_before + 0.5 * g)
    assert float(ctrl.p) > 0 and float(ctrl.r_t) > 0
