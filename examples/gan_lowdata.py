"""Low-data GAN with a timm discriminator: does differentiable augmentation stop D from memorising?

    python examples/gan_lowdata.py                      # digits, 180 images, DiffAugment (time: see README)
    python examples/gan_lowdata.py --aug none           # the baseline whose D overfits
    python examples/gan_lowdata.py --compare            # none / diffaugment / ada x 3 seeds -> compare.md + png
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
import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as U  # noqa: E402

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


# ---------------------------------------------------------------------------------------- distributed
def init_distributed() -> tuple[int, int, torch.device]:
    """``(rank, world_size, device)``; initialises the process group when launched by torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return (dist.get_rank() if world > 1 else 0), world, device


def gather(x: torch.Tensor, world: int) -> torch.Tensor:
    """All ranks' tensors concatenated (identical on every rank)."""
    if world == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(world)]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts)


# -------------------------------------------------------------------------------------------- train
def train(args: argparse.Namespace, aug_spec: str, seed: int, out: Path, show_progress: bool = True) -> dict:
    """Train one GAN; write samples, metrics.json, curves.png and checkpoint.pt under ``out``; return the metrics."""
    from tqdm.auto import tqdm

    rank, world, device = init_distributed()
    torch.manual_seed(seed)  # identical initial weights on all ranks (DDP also broadcasts rank 0's)
    out.mkdir(parents=True, exist_ok=True)
    data = U.load_data(args.dataset, args.resolution, args.n_train, args.data, seed=0)
    channels = data.train.shape[1]
    gen = U.Generator(args.z_dim, channels, args.resolution, args.g_width).to(device)
    disc = U.make_discriminator(args.disc, channels, args.resolution, args.disc_form).to(device)
    gen_ema = copy.deepcopy(gen).requires_grad_(False)
    aug, ctrl, aug_desc = U.build_augmentation(aug_spec, ada_target=args.ada_target, ada_kimg=args.ada_kimg)
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
        ckpt = torch.load(args.resume, map_location=device, weights_only=False)
        if ckpt["aug"] != aug_spec:
            raise SystemExit(f"--resume: checkpoint was trained with --aug {ckpt['aug']!r}, not {aug_spec!r}")
        try:
            gen.load_state_dict(ckpt["G"])
            disc.load_state_dict(ckpt["D"])
            gen_ema.load_state_dict(ckpt["G_ema"])
        except RuntimeError as exc:  # another --disc / --disc-form / --g-width, or a checkpoint of an older version
            raise SystemExit(
                f"--resume: the checkpoint's G/D do not match --disc {args.disc} --disc-form {args.disc_form} "
                f"--g-width {args.g_width} ({str(exc).splitlines()[0]})"
            ) from None
        opt_g.load_state_dict(ckpt["opt_G"])
        opt_d.load_state_dict(ckpt["opt_D"])
        if ctrl is not None:
            ctrl.load_state_dict(ckpt["ada"])
        history, start = ckpt["history"], ckpt["iteration"]
        if history and "kid_x1000" not in history[-1]:
            raise SystemExit("--resume: checkpoint was written by an older version of this example (KID scale)")
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
    floor = None
    if rank == 0:
        floor = U.fid_kid(extractor, ref_x, floor_x)
        memorise = U.fid_kid(extractor, ref_x, train_x)
        pick = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(0))[:64]
        U.save_grid(train_x[pick.to(device)], out / "reals.png")  # beside the samples, same layout and scale
        header = {
            "metric": metric_name,
            "aug": aug_spec,
            "aug_description": aug_desc,
            "seed": seed,
            **reproducibility(),
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
            r = header  # short name for the reproducibility fields
            print(
                f"[{aug_spec} seed {seed}] {data.name}: {len(train_x)} training images, {len(held_x)} held out, "
                f"{args.resolution}x{args.resolution}, D={args.disc}, aug={aug_desc}, {world} process(es) on {device}"
            )
            print(
                f"  seed {seed}, {r['threads']} intra-op thread(s), torch {r['torch']}, CPU {r['cpu_capability']}: "
                "results repeat exactly for the same seed, threads, torch build and CPU type (--threads changes them)"
            )
            if classifier_source:
                print(f"  metric's classifier: {classifier_source}")
            print(
                f"  {metric_name}: floor (real vs real) {floor.fid:.2f}; training set itself {memorise.fid:.2f}. "
                f"KID x1000 floor {floor.kid_x1000:+.2f} ± {floor.kid_x1000_std:.2f} (unbiased: 0 on average for "
                "one distribution, so it can be slightly negative)"
            )

    bar = tqdm(
        range(start, args.iters),
        initial=start,
        total=args.iters,
        disable=rank != 0 or not show_progress,
        desc=f"{aug_spec}/s{seed}",
        dynamic_ncols=True,
        mininterval=2.0,
    )
    t0 = time.time() - (history[-1]["seconds"] if history else 0.0)
    postfix: dict = {}
    for it in bar:
        real = train_x[torch.randint(len(train_x), (args.batch,), generator=rng).to(device)]
        z = torch.randn(args.batch, args.z_dim, generator=rng).to(device)
        with torch.no_grad():
            fake = gen(z)
        loss_d, real_logits, r1 = d_loss(disc, aug, real, fake, args.r1_gamma)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        if ctrl is not None:  # under DDP the controller all-reduces its statistics: every rank gets the same p
            ctrl.observe(real_logits)

        z = torch.randn(args.batch, args.z_dim, generator=rng).to(device)
        with disc.no_sync() if world > 1 else contextlib.nullcontext():  # D's grads here are discarded
            loss_g = g_loss(disc, aug, gen(z))
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for pe, p in zip(gen_ema.parameters(), g_core.parameters(), strict=True):
                pe.lerp_(p, 1 - args.ema)
            for be, b in zip(gen_ema.buffers(), g_core.buffers(), strict=True):
                be.copy_(b)

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
            postfix = {
                "D": f"{rec['loss_d']:.2f}",
                "G": f"{rec['loss_g']:.2f}",
                "FID": f"{rec['fid']:.1f}",
                "gap": f"{rec['d_sign_gap']:+.2f}",
            }
            if ctrl is not None:
                postfix["p"] = f"{rec['ada_p']:.2f}"
            bar.set_postfix(postfix)
            write_outputs(out, header, history, gen_ema, g_core, d_core, opt_g, opt_d, ctrl, aug_spec, done)
    bar.close()
    ranks_p = None
    if world > 1:
        if ctrl is not None:  # the controller all-reduces its statistics, so every rank must hold the same p
            ranks_p = gather(torch.tensor([float(ctrl.p)], device=device), world).tolist()
        dist.barrier()
    if rank != 0:
        return {}
    if ranks_p is not None:
        header["ada_p_per_rank"] = ranks_p
    result = summarise(header, history)
    (out / "metrics.json").write_text(json.dumps(result, indent=2))
    if show_progress:
        print(
            f"  best {metric_name} {result['best_fid']:.2f} at iteration {result['best_iteration']}, "
            f"final {result['final_fid']:.2f} (floor {floor.fid:.2f}); final KID x1000 {result['final_kid_x1000']:.1f} "
            f"(floor {floor.kid_x1000:+.2f}); "
            f"D sign train {result['final_d_sign_train']:+.2f} vs held-out {result['final_d_sign_heldout']:+.2f} "
            f"(gap {result['final_d_sign_gap']:+.2f}); {result['seconds']:.0f} s -> {out}"
        )
        if result["final_confident"] is not None:
            print(f"  samples the digits classifier calls with p > 0.9: {100 * result['final_confident']:.1f}%; "
                  f"per class 0-9: {result['final_class_hist']}")
    return result


def reproducibility() -> dict:
    """What a run's numbers depend on besides its arguments (recorded in metrics.json)."""
    import kornia
    import timm

    return {
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "kornia": kornia.__version__,
        "timm": timm.__version__,
        "cpu_capability": getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")(),
    }


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


def summarise(header: dict, history: list[dict]) -> dict:
    best = min(history, key=lambda r: r["fid"])
    last = history[-1]
    return {
        **header,
        "best_fid": best["fid"],
        "best_iteration": best["iteration"],
        "best_kid_x1000": best["kid_x1000"],
        "final_fid": last["fid"],
        "final_kid_x1000": last["kid_x1000"],
        "final_d_sign_train": last["d_sign_train"],
        "final_d_sign_heldout": last["d_sign_heldout"],
        "final_d_sign_gap": last["d_sign_gap"],
        "final_ada_p": last.get("ada_p"),
        "final_confident": last.get("confident"),  # digits: fraction of samples the classifier gives p > 0.9
        "final_class_hist": last.get("class_hist"),
        "seconds": last["seconds"],
        "history": history,
    }


def write_outputs(out, header, history, gen_ema, gen, disc, opt_g, opt_d, ctrl, aug_spec, iteration) -> None:
    """metrics.json, curves.png and checkpoint.pt (written atomically, so a killed run can be resumed)."""
    (out / "metrics.tmp").write_text(json.dumps(summarise(header, history), indent=2))
    os.replace(out / "metrics.tmp", out / "metrics.json")  # readers never see a half-written file
    plot_curves({header["aug"]: [history]}, out / "curves.png", header["metric"], header["fid_floor_real_vs_real"])
    ckpt = {
        "G": gen.state_dict(),
        "D": disc.state_dict(),
        "G_ema": gen_ema.state_dict(),
        "opt_G": opt_g.state_dict(),
        "opt_D": opt_d.state_dict(),
        "ada": ctrl.state_dict() if ctrl is not None else None,
        "aug": aug_spec,
        "iteration": iteration,
        "history": history,
    }
    torch.save(ckpt, out / "checkpoint.tmp")
    os.replace(out / "checkpoint.tmp", out / "checkpoint.pt")


def plot_curves(runs: dict[str, list[list[dict]]], path: Path, metric: str, floor: float) -> None:
    """FID, D-sign gap and (when present) ADA p over iterations; several seeds -> mean line and min-max band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_p = any("ada_p" in r for hists in runs.values() for h in hists for r in h)
    fig, axes = plt.subplots(1, 3 if has_p else 2, figsize=(13 if has_p else 9, 3.6))
    keys = [("d_sign_gap", "D sign: train - held-out reals"), ("fid", metric)] + ([("ada_p", "ADA p")] if has_p else [])
    for ax, (key, title) in zip(axes, keys, strict=True):
        for name, hists in runs.items():
            hists = [h for h in hists if h and key in h[0]]
            if not hists:
                continue
            n = min(len(h) for h in hists)
            xs = [r["iteration"] for r in hists[0][:n]]
            ys = torch.tensor([[r[key] for r in h[:n]] for h in hists])
            ax.plot(xs, ys.mean(0), label=name)
            if len(hists) > 1:
                ax.fill_between(xs, ys.min(0).values, ys.max(0).values, alpha=0.2)
        if key == "fid":
            ax.axhline(floor, color="grey", ls="--", lw=1, label="real vs real")
            ax.set_yscale("log")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------------------------------ compare
def compare(args: argparse.Namespace) -> str:
    """Every ``--compare-augs`` x ``--compare-seeds`` run; a markdown table (mean ± std) and one plot."""
    t0 = time.time()
    U.load_or_train_classifier(epochs=args.classifier_epochs)  # once, before any worker needs it
    jobs = [
        (spec, seed)
        for spec in args.compare_augs.split(",")
        for seed in range(args.seed, args.seed + args.compare_seeds)
    ]
    done: dict[tuple[str, int], dict] = {}
    if args.jobs == 1:
        for spec, seed in jobs:
            done[spec, seed] = _compare_run(args, spec, seed, True)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(_compare_run, args, spec, seed, False): (spec, seed) for spec, seed in jobs}
            for fut in futures:
                done[futures[fut]] = fut.result()
    results: dict[str, list[dict]] = {}
    for spec, seed in jobs:
        results.setdefault(spec, []).append(done[spec, seed])
    minutes = (time.time() - t0) / 60
    first = next(iter(results.values()))[0]

    def cell(key: str, spec: str, fmt: str = "{:.2f}") -> str:
        v = torch.tensor([r[key] for r in results[spec]], dtype=torch.float64)
        std = v.std().item() if len(v) > 1 else 0.0
        return f"{fmt.format(v.mean().item())} ± {fmt.format(std)}"

    def confident(spec: str) -> str:
        missing = any(r.get("final_confident") is None for r in results[spec])  # not the digits classifier
        return "-" if missing else cell("final_confident", spec, "{:.1%}")

    lines = [
        f"{first['dataset']}, {first['n_train']} training images, {first['resolution']}x{first['resolution']}, "
        f"D = timm `{first['disc']}` (random init), {first['iters']} iterations, batch {first['batch']}; "
        f"mean ± std over {args.compare_seeds} seed(s). {first['metric']} against {first['n_heldout']} held-out "
        f"images; floor (real vs real): {first['fid_floor_real_vs_real']:.2f}. D-sign gap = mean sign(D) on "
        f"training reals - on held-out reals (0 = no memorisation).",
        "",
        "| augmentation | D-sign gap (final) | best FID | final FID | final KID x1000 | best at iteration | "
        "samples with p > 0.9 (final) |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in results:
        lines.append(
            f"| {results[spec][0]['aug_description']} | {cell('final_d_sign_gap', spec, '{:+.2f}')} | "
            f"{cell('best_fid', spec)} | {cell('final_fid', spec)} | {cell('final_kid_x1000', spec, '{:.1f}')} | "
            f"{cell('best_iteration', spec, '{:.0f}')} | {confident(spec)} |"
        )
    per_run = sum(r["seconds"] for rs in results.values() for r in rs) / 60 / len(jobs)
    lines += [
        "",
        f"Wall time of this --compare: {minutes:.1f} min ({len(jobs)} runs, --jobs {args.jobs}); "
        f"training time per run: {per_run:.1f} min on average; {first['threads']} thread(s) per run, torch "
        f"{first['torch']}, CPU {first['cpu_capability']}.",
    ]
    table = "\n".join(lines)
    (args.out / "compare.md").write_text(table + "\n")
    plot_curves(
        {s: [r["history"] for r in rs] for s, rs in results.items()},
        args.out / "compare.png",
        first["metric"],
        first["fid_floor_real_vs_real"],
    )
    (args.out / "compare.json").write_text(json.dumps({s: [_no_hist(r) for r in rs] for s, rs in results.items()}))
    print(table)
    return table


def _compare_run(args: argparse.Namespace, spec: str, seed: int, progress: bool) -> dict:
    """One run of the comparison; a finished run in its folder is reused, an interrupted one resumed.

    Each run uses ``--threads`` (whatever ``--jobs``), so it gives the same numbers as the same run alone."""
    torch.set_num_threads(args.threads)
    out = args.out / f"{_slug(spec)}_seed{seed}"
    metrics, ckpt = out / "metrics.json", out / "checkpoint.pt"
    if metrics.exists():  # a run that reached --iters (possibly trained longer) is summarised up to --iters
        prev = json.loads(metrics.read_text())
        keys = ("batch", "resolution", "disc", "disc_form", "r1_gamma", "lr", "g_width", "threads")
        same = prev["aug"] == spec and all(prev.get(k) == getattr(args, k) for k in keys)
        history = [r for r in prev["history"] if r["iteration"] <= args.iters]
        if same and history and history[-1]["iteration"] == args.iters and "kid_x1000" in history[-1]:
            print(f"  reusing run {out} up to iteration {args.iters}", flush=True)
            return summarise({**prev, "iters": args.iters}, history)
    run_args = copy.copy(args)
    run_args.resume = str(ckpt) if ckpt.exists() else None
    t0 = time.time()
    result = train(run_args, spec, seed, out, show_progress=progress)
    print(
        f"  {spec} seed {seed}: best FID {result['best_fid']:.1f}, final {result['final_fid']:.1f}, "
        f"gap {result['final_d_sign_gap']:+.2f} ({(time.time() - t0) / 60:.1f} min)",
        flush=True,
    )
    return result


def _slug(spec: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(spec).stem if spec) or "aug"


def _no_hist(r: dict) -> dict:
    return {k: v for k, v in r.items() if k != "history"}


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
    p.add_argument("--ada-kimg", type=float, default=50.0, help="ADA: kimg for p to move by 1")
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
    p.add_argument("--compare", action="store_true", help="run --compare-augs x --compare-seeds, write compare.md")
    p.add_argument("--compare-augs", default="none,diffaugment,ada")
    p.add_argument("--compare-seeds", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="--compare: runs in parallel processes (threads split)")
    args = p.parse_args(argv)
    if args.quick:
        args.iters, args.eval_every, args.n_eval, args.batch = min(args.iters, 30), 15, 100, 16
        args.classifier_epochs, args.compare_seeds = 8, min(args.compare_seeds, 1)
    counts = ("iters", "batch", "eval_every", "n_eval", "n_train", "classifier_epochs", "compare_seeds", "jobs")
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
    if args.compare and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        p.error("--compare runs sequentially in one process; launch it without torchrun")
    if args.compare and args.resume:
        p.error("--resume continues one run; it cannot be combined with --compare")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.compare:
        compare(args)
    else:
        train(args, args.aug, args.seed, args.out)
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
