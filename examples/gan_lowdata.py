"""Low-data GAN with a timm discriminator: does differentiable augmentation stop D from memorising?

    python examples/gan_lowdata.py                      # digits, 180 images, DiffAugment (time: see README)
    python examples/gan_lowdata.py --aug none           # the baseline whose D overfits
    python examples/gan_compare.py --jobs 2             # the paper's table: 3 data sizes x none/DiffAugment/ADA
    python examples/gan_lowdata.py --quick              # smoke run, ~10 s (most of it importing torch & co.)
    torchrun --nproc_per_node=2 examples/gan_lowdata.py # data-parallel (gloo on CPU, NCCL on CUDA)

Augmentation follows DiffAugment (Zhao et al. 2020): the same differentiable augmentation T is applied to reals
and fakes in the D step, ``D(T(x))`` and ``D(T(G(z)))`` (one ``augment_real_fake`` call), and to fakes in the G
step, so G is trained through T. Losses: non-saturating logistic, plus R1 on the augmented reals (gradient taken
with respect to the un-augmented reals, through T). D is a timm model from random init in a form that suits
16x16 images (``--disc-form small``, see ``_common.SmallImageDiscriminator``): an ImageNet ``resnet10t``
downsamples by 32, so at 16x16 its last map is 1x1; here the stem max-pool is dropped and the backbone is cut at
its deepest >= 4x4 map (timm ``features_only``), followed by one linear logit.
Evaluation needs no download: FID/KID (torchmetrics) in the features of a small digits classifier trained here,
against held-out reals, plus ADA's overfitting diagnostic, the mean sign of D on training vs held-out reals.
That classifier is trained once and cached (``$KORNIA_DIFFAUG_CACHE``, else ``~/.cache/kornia_diffaug``).

A run is deterministic: the same seed, ``--threads``, torch build and CPU type give the same numbers, bit for bit
(printed at the start and stored in metrics.json). Another thread count gives other numbers, as torch then splits
its reductions differently; 1 thread (the default) was also 6-9x faster than 2 on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as U  # noqa: E402
import _gan_run as R  # noqa: E402  (DDP, checkpoints, records: the plumbing)

from kornia_diffaug.gan import augment_real_fake  # noqa: E402

METRIC_NAME = "FID (digits-classifier features)"


# ------------------------------------------------------------------------------------------- losses
def augment(aug: nn.Module | None, x: torch.Tensor) -> torch.Tensor:
    return x if aug is None else aug(x)


def d_loss(disc: nn.Module, aug: nn.Module | None, real: torch.Tensor, fake: torch.Tensor, r1_gamma: float = 0.0):
    """Non-saturating logistic D loss on augmented reals and augmented (detached) fakes, plus R1 when
    ``r1_gamma > 0``; returns ``(loss, real logits, R1 term)``.

    Reals and fakes go through one :func:`kornia_diffaug.gan.augment_real_fake` call (one draw per image). R1
    (Mescheder et al. 2018) penalises D's gradient at the reals, ``r1_gamma / 2 * E ||d D(T(x)) / d x||^2``,
    taken with respect to the un-augmented reals ``x`` as StyleGAN2-ADA and DiffAugment-StyleGAN2 do: the
    gradient goes back through the augmentation ``T``, and ``loss.backward()`` is a double backward through it.
    """
    with_r1 = r1_gamma > 0
    real = real.detach().requires_grad_(with_r1)
    if aug is None:
        real_in, fake_in = real, fake.detach()
    else:
        real_in, fake_in = augment_real_fake(aug, real, fake.detach())
    logits = disc(torch.cat([real_in, fake_in]))
    real_logits, fake_logits = logits[: len(real)], logits[len(real) :]
    loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    r1 = torch.zeros((), device=real.device)
    if with_r1:
        (grad,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
        r1 = grad.square().flatten(1).sum(1).mean()
        loss = loss + 0.5 * r1_gamma * r1
    return loss, real_logits.detach(), r1.detach()


def g_loss(disc: nn.Module, aug: nn.Module | None, fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss through the augmentation: gradients reach G via T and D."""
    return F.softplus(-disc(augment(aug, fake))).mean()


# ------------------------------------------------------------------------------------------- method
def train_step(gen, disc, gen_ema, aug, ctrl, opt_g, opt_d, real, z_d, z_g, r1_gamma: float, ema: float):
    """One iteration of the method: D learns on T(x) vs T(G(z)) (+ R1), G learns through T and D, EMA of G.

    ``T`` = ``aug`` (None: no augmentation), ``ctrl`` = ADA's controller (None: fixed ``p``). Returns
    ``(loss_d, loss_g, r1)`` as tensors (no host sync)."""
    with torch.no_grad():
        fake = gen(z_d)
    loss_d, real_logits, r1 = d_loss(disc, aug, real, fake, r1_gamma)  # D(T(x)), D(T(G(z))), one draw each
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    if ctrl is not None:
        ctrl.observe(real_logits)  # ADA: r_t = E[sign D(T(x))] moves p towards the target
    with disc.no_sync() if hasattr(disc, "no_sync") else contextlib.nullcontext():  # DDP: D's grads here are dropped
        loss_g = g_loss(disc, aug, gen(z_g))  # G is trained through T
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
    opt_g.step()
    with torch.no_grad():
        core = getattr(gen, "module", gen)
        for pe, p in zip(gen_ema.parameters(), core.parameters(), strict=True):
            pe.lerp_(p, 1 - ema)
        for be, b in zip(gen_ema.buffers(), core.buffers(), strict=True):
            be.copy_(b)
    return loss_d, loss_g, r1


def ada_speed_kimg(args: argparse.Namespace, world: int) -> float:
    """ADA's ``speed_kimg`` (kimg for ``p`` to go 0 -> 1): ``--ada-kimg``, else scaled to the run length.

    The paper's 500 kimg is 2% of its 25 000-kimg runs; a run here is ``iters * batch * world / 1000`` kimg
    (64 at the defaults), so the same 500 kimg would let ``p`` move by at most 0.13 in the whole run. The
    default lets ``p`` cross [0, 1] in a tenth of the run (6.4 kimg at the defaults)."""
    if args.ada_kimg is not None:
        return args.ada_kimg
    return args.iters * args.batch * world / 1000 / 10


# -------------------------------------------------------------------------------------------- train
def train(args: argparse.Namespace, aug_spec: str, seed: int, out: Path, show_progress: bool = True) -> dict:
    """Train one GAN; write samples, metrics.json, curves.png and checkpoint.pt under ``out``; return the metrics."""
    from tqdm.auto import tqdm

    rank, world, device = R.init_distributed()
    torch.manual_seed(seed)  # identical initial weights on all ranks (DDP also broadcasts rank 0's)
    out.mkdir(parents=True, exist_ok=True)
    data = U.load_data(args.dataset, args.resolution, args.n_train, args.data, seed=0)
    channels = data.train.shape[1]
    gen = U.Generator(args.z_dim, channels, args.resolution, args.g_width).to(device)
    disc = U.make_discriminator(args.disc, channels, args.resolution, args.disc_form).to(device)
    gen_ema = copy.deepcopy(gen).requires_grad_(False)
    ada_kimg = ada_speed_kimg(args, world)
    aug, ctrl, aug_desc = U.build_augmentation(aug_spec, ada_target=args.ada_target, ada_kimg=ada_kimg)
    aug = aug.to(device) if aug is not None else None
    opt_g = torch.optim.Adam(gen.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999))

    extractor, metric_name, classifier_acc, classifier_source = None, METRIC_NAME, None, None
    if rank == 0:
        extractor, metric_name, classifier_acc, classifier_source = make_extractor(args)
        extractor = extractor.to(device)
    history: list[dict] = []
    start = 0
    if args.resume:
        history, start = R.load_checkpoint(args.resume, aug_spec, args, device, gen, disc, gen_ema, opt_g, opt_d, ctrl)
    if world > 1:
        gen = nn.parallel.DistributedDataParallel(gen)
        disc = nn.parallel.DistributedDataParallel(disc)
    g_core = gen.module if world > 1 else gen
    d_core = disc.module if world > 1 else disc

    rng = torch.Generator(device="cpu").manual_seed(seed * 1000 + rank + start)  # per-rank batches and noise
    torch.manual_seed(seed * 1000 + rank + 7919 + start)  # per-rank augmentation draws
    train_x, held_x = data.train.to(device), data.heldout.to(device)
    ref_x, floor_x = data.fid_reference.to(device), data.floor_reference.to(device)
    fixed_z = torch.randn(64, args.z_dim, generator=torch.Generator().manual_seed(1234)).to(device)
    header: dict = {}
    if rank == 0:
        header = run_header(args, aug_spec, aug_desc, seed, data, train_x, held_x, ref_x, floor_x, extractor,
                            metric_name, classifier_acc, classifier_source, world, device, d_core, ada_kimg, out,
                            show_progress)

    bar = tqdm(range(start, args.iters), initial=start, total=args.iters, disable=rank != 0 or not show_progress,
               desc=f"{aug_spec}/s{seed}", dynamic_ncols=True, mininterval=2.0)
    t0 = time.time() - (history[-1]["seconds"] if history else 0.0)
    for it in bar:
        real = train_x[torch.randint(len(train_x), (args.batch,), generator=rng).to(device)]
        z_d = torch.randn(args.batch, args.z_dim, generator=rng).to(device)
        z_g = torch.randn(args.batch, args.z_dim, generator=rng).to(device)
        loss_d, loss_g, r1 = train_step(gen, disc, gen_ema, aug, ctrl, opt_g, opt_d, real, z_d, z_g,
                                        args.r1_gamma, args.ema)
        done = it + 1
        if rank == 0 and (done % args.eval_every == 0 or done == args.iters):
            rec = evaluate(gen_ema, d_core, extractor, ref_x, train_x, held_x, args, device)
            rec.update(iteration=done, loss_d=loss_d.item(), loss_g=loss_g.item(), r1=r1.item())
            rec["seconds"] = time.time() - t0
            if ctrl is not None:
                r_t = float(ctrl.r_t)
                rec.update(ada_p=float(ctrl.p), ada_rt=None if math.isnan(r_t) else r_t)
            history.append(rec)
            with torch.no_grad():
                U.save_grid(sample(gen_ema, fixed_z), out / f"samples_{done:06d}.png")
            postfix = {"D": f"{rec['loss_d']:.2f}", "G": f"{rec['loss_g']:.2f}", "FID": f"{rec['fid']:.1f}",
                       "gap": f"{rec['d_sign_gap']:+.2f}"}
            if ctrl is not None:
                postfix["p"] = f"{rec['ada_p']:.2f}"
            bar.set_postfix(postfix)
            R.write_outputs(out, header, history, gen_ema, g_core, d_core, opt_g, opt_d, ctrl, aug_spec, done)
    bar.close()
    ranks_p = None
    if world > 1:
        if ctrl is not None:  # the controller all-reduces its statistics, so every rank must hold the same p
            ranks_p = R.gather(torch.tensor([float(ctrl.p)], device=device), world).tolist()
        dist.barrier()
    if rank != 0:
        return {}
    if ranks_p is not None:
        header["ada_p_per_rank"] = ranks_p
    result = R.summarise(header, history)
    (out / "metrics.json").write_text(json.dumps(result, indent=2))
    if show_progress:
        print(
            f"  best {metric_name} {result['best_fid']:.2f} at iteration {result['best_iteration']}, "
            f"final {result['final_fid']:.2f} (floor {header['fid_floor_real_vs_real']:.2f}); final KID x1000 "
            f"{result['final_kid_x1000']:.1f} (floor {header['kid_x1000_floor_real_vs_real']:+.2f}); "
            f"D sign train {result['final_d_sign_train']:+.2f} vs held-out {result['final_d_sign_heldout']:+.2f} "
            f"(gap {result['final_d_sign_gap']:+.2f}); {result['seconds']:.0f} s -> {out}"
        )
        if result["final_confident"] is not None:
            print(f"  samples the digits classifier calls with p > 0.9: {100 * result['final_confident']:.1f}%; "
                  f"per class 0-9: {result['final_class_hist']}")
        if ctrl is not None:
            print(f"  ADA: final p {result['final_ada_p']:.3f}, r_t {float(ctrl.r_t):.3f} (target {args.ada_target}; "
                  f"p 0 -> 1 in {ada_kimg:g} kimg)")
    return result


def run_header(args, aug_spec, aug_desc, seed, data, train_x, held_x, ref_x, floor_x, extractor, metric_name,
               classifier_acc, classifier_source, world, device, d_core, ada_kimg, out, show_progress) -> dict:
    """The run's record (settings, metric floors, what the numbers depend on), printed when ``show_progress``;
    also saves the grid of training images beside where the samples go."""
    floor = U.fid_kid(extractor, ref_x, floor_x)
    memorise = U.fid_kid(extractor, ref_x, train_x)
    pick = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))[:64]
    U.save_grid(train_x[pick.to(device)], out / "reals.png")  # beside the samples, same layout and scale
    header = {
        "metric": metric_name,
        "aug": aug_spec,
        "aug_description": aug_desc,
        "seed": seed,
        **R.reproducibility(),
        "dataset": data.name,
        "n_train": len(train_x),
        "n_heldout": len(held_x),
        "resolution": args.resolution,
        "disc": args.disc,
        "disc_form": args.disc_form,
        "disc_feature_shape": list(getattr(d_core, "feature_shape", ())) or None,
        "r1_gamma": args.r1_gamma,
        "lr": args.lr,
        "g_width": args.g_width,
        "iters": args.iters,
        "batch": args.batch,
        "ada_target": args.ada_target,
        "ada_kimg": ada_kimg,
        "world_size": world,
        "device": str(device),
        "classifier_test_accuracy": classifier_acc,
        "fid_floor_real_vs_real": floor.fid,
        "kid_x1000_floor_real_vs_real": floor.kid_x1000,
        "kid_x1000_floor_std": floor.kid_x1000_std,
        "fid_training_set_vs_reference": memorise.fid,
        "kid_x1000_training_set_vs_reference": memorise.kid_x1000,
    }
    if show_progress:
        print(
            f"[{aug_spec} seed {seed}] {data.name}: {len(train_x)} training images, {len(held_x)} held out, "
            f"{args.resolution}x{args.resolution}, D={args.disc}, aug={aug_desc}, {world} process(es) on {device}"
        )
        print(
            f"  seed {seed}, {header['threads']} intra-op thread(s), torch {header['torch']}, CPU "
            f"{header['cpu_capability']}: results repeat exactly for the same seed, threads, torch build and CPU "
            "type (--threads changes them)"
        )
        if classifier_source:
            print(f"  metric's classifier: {classifier_source}")
        print(
            f"  {metric_name}: floor (real vs real) {floor.fid:.2f}; training set itself {memorise.fid:.2f}. "
            f"KID x1000 floor {floor.kid_x1000:+.2f} ± {floor.kid_x1000_std:.2f} (unbiased: 0 on average for "
            "one distribution, so it can be slightly negative)"
        )
    return header


def make_extractor(args: argparse.Namespace) -> tuple[nn.Module, str, float | None, str | None]:
    """The FID/KID feature network: the digits classifier, or Inception for --data folders when available."""
    if args.data is not None:
        inception = U.inception_extractor()
        if inception is not None:
            return inception, "FID (Inception-v3 features)", None, None
        print(
            "  note: Inception-v3 weights are not available offline; falling back to the example's own "
            "digits-classifier features (greyscale, 16x16): compare runs with each other, not with papers"
        )
    classifier, acc, source = U.load_or_train_classifier(epochs=args.classifier_epochs)
    name = METRIC_NAME if args.data is None and args.dataset == "digits" else f"{METRIC_NAME}, out of domain"
    return U.FeatureExtractor(classifier), name, acc, source


@torch.no_grad()
def sample(gen: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Samples in batch-statistics mode (BN in train mode), the same way for every evaluation."""
    gen.train()
    return torch.cat([gen(c) for c in z.split(512)])


def evaluate(gen_ema, disc, extractor, ref_x, train_x, held_x, args, device) -> dict:
    """FID/KID of ``n_eval`` EMA-generator samples vs the reference reals, and D's mean sign on train/held-out."""
    z = torch.randn(args.n_eval, args.z_dim, generator=torch.Generator().manual_seed(99)).to(device)
    fake = sample(gen_ema, z)
    scores = U.fid_kid(extractor, ref_x, fake)
    s_train, s_held = U.d_sign_gap(disc, train_x, held_x)
    confidence = U.classifier_confidence(extractor, fake) if args.dataset == "digits" else None
    return {
        **scores._asdict(),
        **(confidence or {}),
        "d_sign_train": s_train,
        "d_sign_heldout": s_held,
        "d_sign_gap": s_train - s_held,
    }


# --------------------------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--aug",
        default="diffaugment",
        help="none | diffaugment[:POLICY] | ada[:PRESET] | a registered policy | an Albumentations "
        "config path (default: diffaugment = translation,cutout)",
    )
    p.add_argument("--dataset", default="digits", choices=["digits", "faces"])
    p.add_argument("--data", default=None, help="folder of images to train on instead (any size, resized)")
    p.add_argument("--n-train", type=int, default=180, help="digits: training images (stratified; default 180)")
    p.add_argument("--resolution", type=int, default=16, help="power of two, 8..256 (default 16)")
    p.add_argument("--disc", default="resnet10t", help="any timm model name, random init (default resnet10t)")
    p.add_argument(
        "--disc-form",
        default="small",
        choices=U.DISC_FORMS,
        help="small: timm features_only backbone cut at a >= 4x4 map, no stem max-pool, linear head (default); "
        "classifier: the whole timm classifier, num_classes=1 (the form before; at 16x16 its last map is 1x1)",
    )
    p.add_argument("--r1-gamma", type=float, default=0.1, help="R1 weight on augmented reals (0: off)")
    p.add_argument("--iters", type=int, default=4000)
    p.add_argument("--batch", type=int, default=16, help="per process")
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--z-dim", type=int, default=64)
    p.add_argument("--g-width", type=int, default=128)
    p.add_argument("--ema", type=float, default=0.99, help="EMA decay of the generator that is evaluated")
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--n-eval", type=int, default=540, help="generated samples per FID/KID evaluation")
    p.add_argument("--classifier-epochs", type=int, default=40)
    p.add_argument("--ada-target", type=float, default=0.6)
    p.add_argument(
        "--ada-kimg",
        type=float,
        default=None,
        help="ADA: kimg for p to go 0 -> 1 (default: a tenth of the run, iters * batch / 10000; the paper's 500 "
        "is for runs of 25 000 kimg)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads per process (default 1). Results are bit-identical for a given seed, thread "
        "count, torch build and CPU type, and change with the thread count (reductions are split differently); "
        "on 2 shared cores 1 thread was also the fastest",
    )
    p.add_argument("--out", type=Path, default=Path("runs/gan_lowdata"))
    p.add_argument("--resume", default=None, help="checkpoint.pt to continue from (to --iters)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 30 iterations, small eval (~10 s on 2 shared cores; the first one also trains its "
        "8-epoch classifier, a few s)",
    )
    args = p.parse_args(argv)
    if args.quick:
        args.iters, args.eval_every, args.n_eval, args.batch = min(args.iters, 30), 15, 100, 16
        args.classifier_epochs = 8
    counts = ("iters", "batch", "eval_every", "n_eval", "n_train", "classifier_epochs")
    for name in (*counts, "threads"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if not 8 <= args.resolution <= 256 or args.resolution & (args.resolution - 1):
        p.error("--resolution must be a power of two in 8..256")
    if args.r1_gamma < 0:
        p.error("--r1-gamma must be >= 0")
    if not 0.0 <= args.ema < 1.0:
        p.error("--ema must be in [0, 1)")
    if args.n_eval < 2:
        p.error("--n-eval must be >= 2")
    if args.ada_kimg is not None and args.ada_kimg <= 0:
        p.error("--ada-kimg must be > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    train(args, args.aug, args.seed, args.out)
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
