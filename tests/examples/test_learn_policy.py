"""The learn-then-export example: a quick run learns, exports a config that Albumentations loads and that
our loader reads back to the same config, and writes the comparison table."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("albumentations")
pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import learn_policy as L  # noqa: E402


def test_labelled_split_is_ten_percent_stratified_in_unit_range():
    x, y, xt, yt = L.labelled_split(0.1)
    assert x.shape == (125, 1, 16, 16) and xt.shape == (540, 1, 16, 16)
    assert x.min() >= 0 and x.max() <= 1 and sorted(set(y.tolist())) == list(range(10))
    assert (L.from_uint8(L.to_uint8(x)) - x).abs().max() <= 0.5 / 255 + 1e-6


def test_quick_run_learns_exports_and_compares(tmp_path):
    import albumentations as A
    from kornia_diffaug.adapters.albumentations import from_albumentations, to_albumentations

    assert L.main(["--quick", "--out", str(tmp_path)]) == 0
    cfg = json.loads((tmp_path / "learned_policy.json").read_text())
    names = [t["__class_fullname__"] for t in cfg["transform"]["transforms"]]
    assert names == ["Affine", "Affine", "Affine", "RandomBrightnessContrast", "ColorJitter", "CoarseDropout"]
    A.from_dict(cfg)
    assert to_albumentations(from_albumentations(cfg)) == cfg
    result = json.loads((tmp_path / "results.json").read_text())
    trace = result["trace"]
    assert trace[0]["step"] == 0 and trace[-1]["step"] == 40
    assert trace[0]["cutout"] != trace[-1]["cutout"]  # the search moved the parameters
    learned = result["learned"]
    exported_p = [t["p"] for t in cfg["transform"]["transforms"]]
    ops = ("rotation", "scale", "translation", "brightness", "contrast", "cutout")
    assert exported_p == [learned[op][1] for op in ops]
    assert all(m <= 0.5 for m, _ in learned.values())  # the search space: magnitudes in [0, --max-magnitude]
    assert cfg["transform"]["transforms"][0]["rotate"][1] == pytest.approx(90 * learned["rotation"][0])
    rows = result["rows"]
    assert [r["augmentation"] for r in rows][0] == "no augmentation" and len(rows) == 3
    for r in rows:
        assert len(r["accuracies"]) == 2 and all(0.1 < a <= 1 for a in r["accuracies"]) and math.isfinite(r["std"])
    assert (tmp_path / "results.md").read_text().count("\n| ") == 4


def test_validate_split_is_540_train_digits_outside_the_labels_and_not_the_test_split():
    x, _, xv, yv = L.labelled_split(0.1, validate=True)
    _, _, xt, _ = L.labelled_split(0.1)
    assert xv.shape == (540, 1, 16, 16) and sorted(set(yv.tolist())) == list(range(10))
    flat = lambda a: {tuple(r) for r in a.flatten(1).tolist()}  # noqa: E731
    assert not flat(xv) & flat(x)  # no labelled image is scored
    assert not torch.equal(xv, xt)


@pytest.mark.parametrize("argv", [["--search-seeds", "0"], ["--rows", "none,bogus"], ["--proxies", "0"],
                                  ["--proxy", "half"]])
def test_parse_args_refuses_bad_search_seeds_rows_and_proxies(argv):
    with pytest.raises(SystemExit):
        L.parse_args(argv)


def test_hypergradient_accumulates_weighted_so_proxies_average():
    """Two calls at weight 1/2 leave the policy's gradient of one call at weight 1: the proxies' mean."""
    from kornia_diffaug.nn import LearnablePolicy

    args = L.parse_args([])
    x, y, _, _ = L.labelled_split(0.1)
    grads = []
    for weights in ([1.0], [0.5, 0.5]):
        torch.manual_seed(0)
        net = L.SearchNet()
        policy = LearnablePolicy(args.policy, value_range=(0.0, 1.0), albumentations=True).train()
        for w in weights:
            policy.generator = torch.Generator().manual_seed(1)  # the same augmentation draws in every call
            L.hypergradient(policy, net, x[:40], y[:40], x[40:80], y[40:80], args, w)
        grads.append(torch.cat([policy.magnitude.grad, policy.probability.grad]))
    assert grads[0].abs().sum() > 0
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("proxy", ["quarter", "full"])
def test_search_with_two_proxy_splits_moves_the_policy_inside_the_search_space(proxy):
    args = L.parse_args(["--quick", "--proxies", "2", "--proxy", proxy])
    x, y, _, _ = L.labelled_split(0.1)
    policy, trace = L.search(x, y, args, lambda msg: None, seed=0)
    assert [t["step"] for t in trace] == [0, 10, 20, 30, 40]
    assert trace[0] != trace[-1]
    assert all(0 <= m <= args.max_magnitude and 0 <= p <= 1 for m, p in policy.summary().values())


def test_hardness_adds_the_ascent_of_the_augmented_training_loss():
    """``--hardness b`` moves the policy along ``-(hypergradient) + b dL_train/dlambda``: the gradient it leaves is
    the plain one minus ``b`` times the augmented training loss's (same draws)."""
    import torch.nn.functional as F

    from kornia_diffaug.nn import LearnablePolicy

    x, y, _, _ = L.labelled_split(0.1)
    torch.manual_seed(0)
    net = L.SearchNet()
    policy = LearnablePolicy(L.parse_args([]).policy, value_range=(0.0, 1.0), albumentations=True).train()

    def grad_of(run) -> torch.Tensor:
        policy.zero_grad(set_to_none=True)
        policy.generator = torch.Generator().manual_seed(1)
        run()
        return torch.cat([policy.magnitude.grad, policy.probability.grad])

    def hyper(hardness: str) -> None:
        L.hypergradient(policy, net, x[:40], y[:40], x[40:80], y[40:80], L.parse_args(["--hardness", hardness]), 1.0)

    plain, hard = grad_of(lambda: hyper("0")), grad_of(lambda: hyper("0.5"))
    draws = L.parse_args([]).draws
    train = grad_of(lambda: F.cross_entropy(net(policy(x[:40].repeat(draws, 1, 1, 1))), y[:40].repeat(draws))
                    .backward(inputs=list(policy.parameters())))
    assert train.abs().sum() > 0
    torch.testing.assert_close(hard, plain - 0.5 * train, rtol=1e-4, atol=1e-6)
