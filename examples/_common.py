"""What the examples share: data (digits, faces, image folders), the GAN's models, the digits classifier behind
the FID/KID metric, the ``--aug`` choice, and image grids (``gan_lowdata.py``; ``ssl_simclr.py`` uses the data).

Everything works offline: the data sets ship with scikit-learn / scikit-image, the discriminator is a timm
model from random init, and the metric's feature extractor is a small digits classifier trained here.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "GanData",
    "Generator",
    "DigitsClassifier",
    "FeatureExtractor",
    "RangeMapped",
    "Scores",
    "build_augmentation",
    "cache_dir",
    "classifier_cache_path",
    "classifier_confidence",
    "d_sign_gap",
    "drop_stem_maxpool",
    "fid_kid",
    "load_data",
    "load_or_train_classifier",
    "make_discriminator",
    "save_grid",
]

CLASSIFIER_RES = 16


# --------------------------------------------------------------------------------------------- data
@dataclass
class GanData:
    """Images in [-1, 1], ``(N, C, R, R)``: ``train`` (what the GAN sees), ``heldout`` (never seen by the GAN,
    used for the D-sign gap and as the FID reference) and a name for the FID feature space."""

    name: str
    train: torch.Tensor
    heldout: torch.Tensor
    fid_reference: torch.Tensor
    floor_reference: torch.Tensor  # a second real set, for the real-vs-real floor of the metric


def _to_tensor(images: np.ndarray, resolution: int) -> torch.Tensor:
    """``(N, H, W[, C])`` array in [0, 1] -> ``(N, C, R, R)`` float tensor in [-1, 1] (bilinear, antialiased)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    if x.shape[-1] != resolution or x.shape[-2] != resolution:
        x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", antialias=True, align_corners=False)
    return (x.clamp(0, 1) * 2 - 1).contiguous()


def digits_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn digits (1797 8x8 images, values 0..16) -> a fixed 70/30 stratified train/test split in [0, 1]."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = d.images / 16.0
    return train_test_split(x, d.target, test_size=0.3, random_state=seed, stratify=d.target)


def load_data(dataset: str, resolution: int, n_train: int, data_path: str | None = None, seed: int = 0) -> GanData:
    """The GAN's training images and held-out reals.

    ``digits``: ``n_train`` images (stratified) from the 1257-image digits train split; held-out = the 540-image
    test split. ``faces``: scikit-image's ``lfw_subset`` faces (100 crops of 25x25): 80 to train, 20 held out.
    ``data_path``: a folder of images (PNG/JPEG, any size; resized to ``resolution``), 80% train / 20% held out.
    """
    rng = np.random.default_rng(seed)
    if data_path is not None:
        images = _load_folder(data_path, resolution)
        idx = rng.permutation(len(images))
        n_held = max(2, len(images) // 5)
        held, train = images[idx[:n_held]], images[idx[n_held:]]
        return GanData(f"folder {data_path}", train, held, train, held)
    if dataset == "digits":
        x_tr, x_te, y_tr, _ = digits_split()
        per_class = max(1, n_train // 10)
        pick = np.concatenate([rng.permutation(np.flatnonzero(y_tr == c))[:per_class] for c in range(10)])
        return GanData(
            "digits",
            _to_tensor(x_tr[pick], resolution),
            _to_tensor(x_te, resolution),
            _to_tensor(x_te, resolution),
            _to_tensor(x_tr, resolution),
        )
    if dataset == "faces":
        from skimage.data import lfw_subset

        faces = lfw_subset()[:100]  # the first 100 are faces, the last 100 are not
        faces = (faces - faces.min()) / (faces.max() - faces.min())
        x = _to_tensor(faces, resolution)[torch.as_tensor(rng.permutation(100))]
        # with 100 images there is no separate test set: FID is measured against all 100, the floor is 20 vs 80
        return GanData("faces", x[:80], x[80:], x, x[:80])
    raise ValueError(f"--dataset must be 'digits' or 'faces', got {dataset!r}")


def _load_folder(path: str, resolution: int) -> torch.Tensor:
    from PIL import Image

    files = sorted(p for p in Path(path).rglob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp", ".webp"})
    if len(files) < 10:
        raise SystemExit(f"--data {path}: need at least 10 images (png/jpg/bmp/webp), found {len(files)}")
    arrays = []
    for f in files:
        img = Image.open(f).convert("RGB")
        side = min(img.size)  # centre crop to square, then resize
        left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((resolution, resolution), Image.BICUBIC)
        arrays.append(np.asarray(img, dtype=np.float32) / 255.0)
    return _to_tensor(np.stack(arrays), resolution)


# ------------------------------------------------------------------------------------------- models
class Generator(nn.Module):
    """DCGAN-style generator: z -> 4x4 -> (upsample, conv, BN, ReLU) x log2(R/4) -> tanh, ``R`` a power of two."""

    def __init__(self, z_dim: int = 64, channels: int = 1, resolution: int = 16, width: int = 128) -> None:
        super().__init__()
        n_up = int(round(math.log2(resolution / 4)))
        if resolution < 8 or 4 * 2**n_up != resolution:
            raise ValueError(f"resolution must be a power of two >= 8, got {resolution}")
        self.z_dim, self.width = z_dim, width
        self.fc = nn.Sequential(nn.Linear(z_dim, width * 16), nn.BatchNorm1d(width * 16), nn.ReLU(True))
        blocks, c = [], width
        for _ in range(n_up):
            c_out = max(32, c // 2)
            blocks += [nn.Upsample(scale_factor=2), nn.Conv2d(c, c_out, 3, padding=1), nn.BatchNorm2d(c_out)]
            blocks += [nn.ReLU(True)]
            c = c_out
        self.blocks = nn.Sequential(*blocks, nn.Conv2d(c, channels, 3, padding=1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.fc(z).view(-1, self.width, 4, 4))


def _batchnorm_to_groupnorm(module: nn.Module) -> nn.Module:
    """Replace every BatchNorm2d by a GroupNorm: D's output on a sample then depends on that sample only, so the
    D-sign diagnostic means what it says and real/fake batches can be mixed (and DDP needs no SyncBN)."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            c = child.num_features
            groups = math.gcd(c, 8)
            setattr(module, name, nn.GroupNorm(groups, c, affine=child.affine))
        else:
            _batchnorm_to_groupnorm(child)
    return module


DISC_FORMS = ("small", "classifier")
MIN_FEATURE_SIDE = 4  # the small-image D stops at the deepest timm stage whose feature map is still >= 4x4


def drop_stem_maxpool(model: nn.Module) -> nn.Module:
    """Replace the stem's max-pool (a direct child ``nn.MaxPool2d``, e.g. ResNet's ``maxpool``) by Identity."""
    for name, child in model.named_children():
        if isinstance(child, nn.MaxPool2d):
            setattr(model, name, nn.Identity())
    return model


class SmallImageDiscriminator(nn.Module):
    """A timm backbone cut where its feature map is still >= 4x4, then one linear logit on the flattened map.

    Why: an ImageNet classifier such as ``resnet10t`` downsamples by 32 (stride-2 stem, stride-2 max-pool, three
    stride-2 stages), so a 16x16 image leaves a 1x1 map before the global pool and D judges images from one
    pixel's worth of features. Here the stem max-pool is Identity (16 -> 8 after the stem) and timm's
    ``features_only`` net is built with ``out_indices`` at the deepest stage whose map has a side
    >= ``MIN_FEATURE_SIDE`` (``resnet10t`` at 16x16: ``layer2``, 128 x 4 x 4); the stages after it are not built.
    The head is ``Linear(C*h*w, 1)`` on that map (DCGAN's 4x4 epilogue), so D keeps where things are.
    """

    def __init__(self, body: nn.Module, feature_shape: tuple[int, int, int]) -> None:
        super().__init__()
        self.body = body
        self.feature_shape = feature_shape
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(feature_shape), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x)[-1])


def _small_image_disc(name: str, channels: int, resolution: int) -> SmallImageDiscriminator:
    import timm

    def build(**kwargs) -> nn.Module:
        body = timm.create_model(name, pretrained=False, features_only=True, in_chans=channels, **kwargs)
        return _batchnorm_to_groupnorm(drop_stem_maxpool(body))

    try:
        probe = build()
        with torch.no_grad():
            maps = probe(torch.zeros(2, channels, resolution, resolution))
    except Exception as exc:  # models without features_only support or a fixed input size
        raise SystemExit(
            f"--disc {name!r}: timm could not build it as a features_only net at {resolution}x{resolution} ({exc}); "
            "try --disc-form classifier"
        ) from None
    keep = [i for i, f in enumerate(maps) if min(f.shape[-2:]) >= MIN_FEATURE_SIDE]
    if not keep:
        raise SystemExit(
            f"--disc {name!r}: no feature map of side >= {MIN_FEATURE_SIDE} at {resolution}x{resolution} "
            f"(sides {[tuple(f.shape[-2:]) for f in maps]})"
        )
    index = probe.feature_info.out_indices[keep[-1]]
    body = build(out_indices=(index,))
    with torch.no_grad():
        (feat,) = body(torch.zeros(2, channels, resolution, resolution))
    return SmallImageDiscriminator(body, tuple(feat.shape[1:]))


def make_discriminator(name: str, channels: int, resolution: int, form: str = "small") -> nn.Module:
    """A timm model from random init with one logit per image, BatchNorm swapped for GroupNorm.

    ``form="small"``: :class:`SmallImageDiscriminator` (the backbone cut at a >= 4x4 map, no stem max-pool);
    ``form="classifier"``: the whole timm classifier with ``num_classes=1`` (global pool of the last stage)."""
    import timm

    if form not in DISC_FORMS:
        raise ValueError(f"form must be one of {DISC_FORMS}, got {form!r}")
    if form == "small":
        model: nn.Module = _small_image_disc(name, channels, resolution)
    else:
        try:
            model = timm.create_model(name, pretrained=False, num_classes=1, in_chans=channels)
        except Exception as exc:  # unknown names or models that need a fixed input size
            raise SystemExit(f"--disc {name!r}: timm could not build it ({exc})") from None
        model = _batchnorm_to_groupnorm(model)
    try:
        with torch.no_grad():
            out = model(torch.zeros(2, channels, resolution, resolution))
    except Exception as exc:
        raise SystemExit(f"--disc {name!r} does not run at {resolution}x{resolution}: {exc}") from None
    if out.shape != (2, 1):
        raise SystemExit(f"--disc {name!r}: expected one logit per image, got output shape {tuple(out.shape)}")
    return model


class DigitsClassifier(nn.Module):
    """Small CNN on 16x16 greyscale digits; ``features`` gives the 128-d penultimate activations."""

    num_features = 128
    feature_rms = 1.0  # set by load_or_train_classifier

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(True), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 16, self.num_features), nn.ReLU(True),
        )  # fmt: skip
        self.head = nn.Linear(self.num_features, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def cache_dir() -> Path:
    """Where the metric's classifier is cached: ``$KORNIA_DIFFAUG_CACHE`` if set, else
    ``$XDG_CACHE_HOME/kornia_diffaug``, else ``~/.cache/kornia_diffaug``."""
    env = os.environ.get("KORNIA_DIFFAUG_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "kornia_diffaug"


def classifier_cache_path(epochs: int) -> Path:
    """The cache file for a classifier trained for ``epochs``: keyed by everything that changes its weights (the
    code of the network and of its training, the epochs, torch's version and the CPU's vector ISA)."""
    cpu = getattr(torch.backends.cpu, "get_cpu_capability", lambda: "unknown")()
    settings = {
        "code": _CLASSIFIER_CODE,
        "resolution": CLASSIFIER_RES,
        "epochs": epochs,
        "torch": torch.__version__,
        "cpu": cpu,
    }
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return cache_dir() / f"digits_classifier_e{epochs}_{key}.pt"


@contextlib.contextmanager
def _num_threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _train_classifier(model: DigitsClassifier, x: torch.Tensor, y: torch.Tensor, epochs: int) -> None:
    # One thread whatever the caller uses: the thread count changes reduction order, hence the weights, and the
    # metric's network must be the same for every run (it is also the faster setting for this tiny CNN).
    with _num_threads(1):
        g = torch.Generator().manual_seed(0)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)
        for _ in range(epochs):
            for idx in torch.randperm(len(x), generator=g).split(64):
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()


# Read once at import: a change to the network or its training invalidates the cache.
_CLASSIFIER_CODE = inspect.getsource(DigitsClassifier) + inspect.getsource(_train_classifier)


def load_or_train_classifier(epochs: int = 40) -> tuple[DigitsClassifier, float, str]:
    """The metric's classifier, trained once on the full digits train split and cached in :func:`cache_dir`.

    Returns ``(model, test accuracy, where it came from)``. ``model.feature_rms`` is the RMS of its features on
    the digits train split, the scale that :func:`fid_kid` gives KID's kernel."""
    path = classifier_cache_path(epochs)
    torch.manual_seed(0)  # the metric's network must not depend on the caller's RNG state
    model = DigitsClassifier()
    x_tr, x_te, y_tr, y_te = digits_split()
    xt, xe = _to_tensor(x_tr, CLASSIFIER_RES), _to_tensor(x_te, CLASSIFIER_RES)
    yt, ye = torch.as_tensor(y_tr), torch.as_tensor(y_te)
    if path.exists():
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        source = f"loaded from {path}"
    else:
        t0 = time.time()
        _train_classifier(model, xt, yt, epochs)
        source = f"trained in {time.time() - t0:.0f} s ({epochs} epochs, 1 thread), cached at {path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            torch.save(model.state_dict(), tmp)
            os.replace(tmp, path)  # atomic: concurrent runs never read a half-written file
        except OSError as exc:
            source = f"trained in {time.time() - t0:.0f} s, not cached ({exc}; set KORNIA_DIFFAUG_CACHE)"
    model.eval().requires_grad_(False)
    with torch.no_grad():
        acc = (model(xe).argmax(1) == ye).float().mean().item()
        model.feature_rms = model.features(xt).pow(2).mean().sqrt().item()
    return model, acc, source


class FeatureExtractor(nn.Module):
    """torchmetrics feature extractor: [-1, 1] images of any size/channels -> the classifier's 128-d features."""

    def __init__(self, classifier: DigitsClassifier) -> None:
        super().__init__()
        self.classifier = classifier
        self.num_features = classifier.num_features
        self.kid_scale = classifier.feature_rms

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().mean(1, keepdim=True)
        if x.shape[-2:] != (CLASSIFIER_RES, CLASSIFIER_RES):
            x = F.interpolate(x, size=(CLASSIFIER_RES, CLASSIFIER_RES), mode="bilinear", antialias=True)
        return self.classifier.features(x)


@torch.no_grad()
def classifier_confidence(extractor: nn.Module, fake: torch.Tensor, threshold: float = 0.9) -> dict | None:
    """How digit-like samples are to the metric's classifier: the fraction whose top class has softmax probability
    ``> threshold``, and the count of samples per top class (a collapsed G piles them into a few classes).
    ``None`` when the metric is not the digits classifier (other data sets, Inception)."""
    if not isinstance(extractor, FeatureExtractor):
        return None
    probs = extractor.classifier.head(extractor(fake)).softmax(1)
    top, cls = probs.max(1)
    return {"confident": float((top > threshold).float().mean()),
            "class_hist": torch.bincount(cls, minlength=10).tolist()}


def inception_extractor() -> nn.Module | None:
    """torchmetrics' Inception (torch-fidelity weights) if it can be built offline, else ``None``."""
    try:
        from torchmetrics.image.fid import NoTrainInceptionV3

        net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"])
    except Exception:
        return None

    class _Inception(nn.Module):
        num_features = 2048

        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
            return self.net(((x.clamp(-1, 1) + 1) * 127.5).to(torch.uint8))

    return _Inception()


class _GivenFeatures(nn.Module):
    """The identity, posing as torchmetrics' feature network for features computed beforehand."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return f


class Scores(NamedTuple):
    """FID, and KID x 1000 with its standard deviation over the random subsets."""

    fid: float
    kid_x1000: float
    kid_x1000_std: float


@torch.no_grad()
def fid_kid(extractor: nn.Module, real: torch.Tensor, fake: torch.Tensor, seed: int = 0) -> Scores:
    """FID and KID between two image sets, via torchmetrics with ``extractor`` as the feature network.

    KID is the unbiased estimate of the squared MMD with the cubic kernel ``k(x, y) = (x.y / (d s^2) + 1)^3``,
    averaged over 50 random subsets of 100 (``d`` the feature dimension). ``s = extractor.kid_scale`` (1 for
    Inception, whose KID is defined on raw features; the RMS of the features on real digits for the digits
    classifier, whose unnormalised ReLU features are ~8 times larger and made the cubic kernel, and KID, ~10^4
    times larger). Being unbiased, KID between two samples of one distribution is 0 *on average*: a real-vs-real
    value is a small number of either sign, and a negative one is sampling noise, not an error.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    # Features are extracted once and handed to both metrics through an identity "feature network".
    f_real, f_fake = (torch.cat([extractor(c) for c in x.split(256)]) for x in (real, fake))
    given = _GivenFeatures(extractor.num_features)
    # evaluation runs on rank 0 only, so the metrics must not try to sync with the other DDP ranks
    fid = FrechetInceptionDistance(feature=given, sync_on_compute=False).to(real.device)
    size = min(100, len(real), len(fake))
    gamma = 1.0 / (extractor.num_features * getattr(extractor, "kid_scale", 1.0) ** 2)
    with warnings.catch_warnings():  # "will save all extracted features": 1000 x d floats here
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        kid = KernelInceptionDistance(feature=given, subsets=50, subset_size=size, gamma=gamma, sync_on_compute=False)
    for metric in (fid, kid.to(real.device)):
        metric.update(f_real, real=True)
        metric.update(f_fake, real=False)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # KID draws random subsets; keep them reproducible without disturbing training
    kid_mean, kid_std = kid.compute()
    torch.random.set_rng_state(state)
    return Scores(float(fid.compute()), 1000 * float(kid_mean), 1000 * float(kid_std))


@torch.no_grad()
def d_sign_gap(disc: nn.Module, train: torch.Tensor, heldout: torch.Tensor) -> tuple[float, float]:
    """ADA's overfitting diagnostic on un-augmented reals: mean sign(D) on training reals and on held-out reals."""
    was_training = disc.training
    disc.eval()
    s_train = torch.cat([disc(c).sign() for c in train.split(256)]).mean().item()
    s_held = torch.cat([disc(c).sign() for c in heldout.split(256)]).mean().item()
    disc.train(was_training)
    return s_train, s_held


# ------------------------------------------------------------------------------------- augmentation
class RangeMapped(nn.Module):
    """Run a [0, 1] pipeline (Albumentations configs, SSL views) on [-1, 1] images: map in, augment, map back.

    A pipeline that resizes (e.g. a config's RandomResizedCrop to 224) is resized back to the input size, so D
    always sees the training resolution."""

    def __init__(self, pipeline: nn.Module) -> None:
        super().__init__()
        self.pipeline = pipeline

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pipeline((x + 1) * 0.5)
        if y.shape[-2:] != x.shape[-2:]:
            y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
        return y * 2 - 1


DEFAULT_DIFFAUGMENT = "translation,cutout"


def build_augmentation(spec: str, *, ada_target: float = 0.6, ada_kimg: float = 100.0, ada_interval: int = 4):
    """``--aug`` -> ``(module or None, ADAController or None, description)``; the module works on [-1, 1].

    ``none``; ``diffaugment`` (``translation,cutout``, the paper's low-data choice for BigGAN);
    ``diffaugment:color,translation,cutout`` (any DiffAugment policy string); ``ada`` (ADA ``bgc`` with its
    controller); any registry name (built with ``value_range=(-1, 1)`` when it accepts it, else run in [0, 1]);
    a path to an Albumentations JSON/YAML config (loaded through the adapter, run in [0, 1]).
    """
    from kornia_diffaug import DiffAugment, build_pipeline, list_policies
    from kornia_diffaug.policies import policy_info

    if spec == "none":
        return None, None, "no augmentation"
    if spec == "diffaugment" or spec.startswith("diffaugment:"):
        policy = spec.partition(":")[2] or DEFAULT_DIFFAUGMENT
        return DiffAugment(policy, value_range=(-1.0, 1.0)), None, f"DiffAugment {policy}"
    if spec == "ada" or spec.startswith("ada:"):
        from kornia_diffaug import ADAController, ADAPipeline

        preset = "bgc" if spec == "ada" else spec.partition(":")[2]
        pipe = ADAPipeline(preset=preset, p=0.0, value_range=(-1.0, 1.0))
        ctrl = ADAController(pipe, target=ada_target, speed_kimg=ada_kimg, interval=ada_interval)
        return pipe, ctrl, f"ADA {preset} (target r_t={ada_target}, p 0->1 in {ada_kimg:g} kimg)"
    if os.path.exists(spec) or spec in list_policies():
        # A registered policy that takes value_range runs on [-1, 1] directly; configs and [0, 1]-only policies
        # run through the [-1, 1] -> [0, 1] -> [-1, 1] wrapper.
        if spec in list_policies() and policy_info(spec).accepts("value_range"):
            return build_pipeline(spec, value_range=(-1.0, 1.0)), None, f"policy {spec}"
        what = f"Albumentations config {spec}" if spec not in list_policies() else f"policy {spec} (run in [0, 1])"
        return RangeMapped(build_pipeline(spec)), None, what
    raise SystemExit(
        f"--aug {spec!r}: not 'none', 'diffaugment[:POLICY]', 'ada', a registered policy "
        f"({', '.join(list_policies())}) or an existing config file"
    )


# ------------------------------------------------------------------------------------------ outputs
def save_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> None:
    """Save ``(N, C, H, W)`` images in [-1, 1] as one PNG grid (nearest-neighbour upscaled to >= 32 px)."""
    from PIL import Image

    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    n, c, h, w = x.shape
    scale = max(1, 32 // h)
    rows = math.ceil(n / nrow)
    grid = torch.full((c, rows * (h + 1) + 1, nrow * (w + 1) + 1), 255, dtype=torch.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        grid[:, 1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + col * (w + 1) : 1 + col * (w + 1) + w] = x[i]
    arr = grid.permute(1, 2, 0).numpy()
    img = Image.fromarray(arr[..., 0] if c == 1 else arr[..., :3])
    img.resize((img.width * scale, img.height * scale), Image.NEAREST).save(path)
