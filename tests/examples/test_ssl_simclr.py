"""The SimCLR example: its loss, config fitting, view pairing and a quick end-to-end run."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import ssl_simclr as S  # noqa: E402


def test_nt_xent_matches_closed_form():
    n, t = 3, 0.5
    z = torch.eye(n, 4)  # orthogonal embeddings; each view identical to its partner
    expected = -math.log(math.exp(1 / t) / (math.exp(1 / t) + (2 * n - 2) * math.exp(0.0)))
    assert S.nt_xent(z, z, t).item() == pytest.approx(expected, rel=1e-5)


def test_nt_xent_prefers_matching_pairs():
    torch.manual_seed(0)
    z1 = torch.randn(8, 16)
    assert S.nt_xent(z1, z1 + 0.01 * torch.randn(8, 16), 0.2) < S.nt_xent(z1, torch.randn(8, 16), 0.2)


def test_fit_config_resizes_crops_and_scales_blur():
    cfg = S._fit_config(str(EXAMPLES / "configs" / "simclr.json"), 16)
    transforms = {t["__class_fullname__"]: t for t in cfg["transform"]["transforms"]}
    assert transforms["RandomResizedCrop"]["size"] == [16, 16]
    assert transforms["RandomResizedCrop"]["scale"] == [0.08, 1.0]
    assert all(k >= 3 and k % 2 == 1 for k in transforms["GaussianBlur"]["blur_limit"])
    digits = S._fit_config(str(EXAMPLES / "configs" / "simclr_digits.json"), 16)
    assert digits["transform"]["transforms"][0]["size"] == [16, 16]


def test_views_from_config_run_batched_in_unit_range():
    aug, name = S.make_views(str(EXAMPLES / "configs" / "simclr_digits.json"), 16)
    assert name == "simclr_digits.json"
    x = torch.rand(6, 1, 16, 16)
    v1, v2 = S.two_views(aug, x)
    assert v1.shape == v2.shape == x.shape
    assert v1.min() >= 0 and v1.max() <= 1
    assert not torch.equal(v1, v2)


def test_identical_control_uses_one_draw_twice():
    class Count(nn.Module):
        calls = 0

        def forward(self, x):
            Count.calls += 1
            return x + Count.calls

    a, b = S.two_views(Count(), torch.zeros(2, 1, 4, 4), identical=True)
    assert Count.calls == 1 and torch.equal(a, b)
    a, b = S.two_views(Count(), torch.zeros(2, 1, 4, 4))
    assert Count.calls == 3 and not torch.equal(a, b)


def test_backbone_for_small_images_drops_the_stem_pool_and_halves_widths():
    full = S.make_backbone("resnet10t")
    small = S.make_backbone("resnet10t", width=0.5, stem_pool="drop")
    assert isinstance(full.maxpool, nn.MaxPool2d) and isinstance(small.maxpool, nn.Identity)
    assert small.num_features == full.num_features // 2 == 256
    assert [small.feature_info[i]["num_chs"] for i in range(5)] == [32, 32, 64, 128, 256]
    x = torch.rand(2, 1, 16, 16)
    # 16x16: the stem leaves 8x8 without its max-pool, 4x4 with it
    assert small.forward_features(x).shape[-1] == 1 and small.conv1(x).shape[-1] == 8
    assert nn.Sequential(full.conv1, full.bn1, full.act1, full.maxpool)(x).shape[-1] == 4
    assert small(x).shape == (2, 256)


def test_backbone_options_refuse_non_resnets():
    with pytest.raises(SystemExit, match="need a timm ResNet"):
        S.make_backbone("vit_tiny_patch16_224", width=0.5)
    with pytest.raises(SystemExit, match="timm could not build"):
        S.make_backbone("no_such_model_xyz")


def test_pretrain_trains_batchnorm_even_after_an_eval_mode_embedding():
    # main() embeds the random-init backbone (eval mode) before pretraining copies of it; the copies must still
    # train BatchNorm on batch statistics, so its running statistics move
    backbone = S.make_backbone("resnet10t", width=0.25, stem_pool="drop")
    S.embed(backbone, torch.rand(4, 1, 16, 16))
    assert not backbone.training
    args = S.parse_args(["--quick", "--no-progress"])
    trained = S.pretrain(backbone, nn.Identity(), torch.rand(40, 1, 16, 16), args, 0, False, "")
    assert not torch.equal(trained.bn1.running_mean, backbone.bn1.running_mean)
    assert torch.equal(backbone.bn1.running_mean, torch.zeros_like(backbone.bn1.running_mean))  # a copy trained


def test_warmup_then_cosine_schedule():
    f = [S.warmup_cosine(i, 100) for i in range(100)]
    assert f[:10] == pytest.approx([(i + 1) / 10 for i in range(10)])  # linear warm-up over 10% of the steps
    assert f[10] == 1.0 and all(a > b for a, b in zip(f[10:], f[11:], strict=False)) and 0 < f[-1] < 0.01
    assert f[55] == pytest.approx(0.5 * (1 + math.cos(math.pi * 45 / 90)))


def test_stock_recipe_only_under_compare():
    assert S.parse_args([]).config_list == [str(EXAMPLES / "configs" / "simclr_digits.json")]
    both = S.parse_args(["--compare"]).config_list
    assert [Path(c).name for c in both] == ["simclr.json", "simclr_digits.json"]
    assert S.parse_args([]).seeds == 3 and S.parse_args(["--quick"]).seeds == 1
    with pytest.raises(SystemExit):
        S.parse_args(["--seeds", "0"])


def test_quick_run_writes_table(tmp_path):
    assert S.main(["--quick", "--compare", "--seeds", "2", "--out", str(tmp_path), "--no-progress"]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    names = [r["representation"] for r in result["rows"]]
    assert names[0] == "raw pixels" and "random init" in names[1] and names[2].startswith("identical-views control")
    assert any("simclr.json" in n for n in names) and any("simclr_digits.json" in n for n in names)
    for row in result["rows"]:
        assert 0.0 < row["knn"] <= 1.0 and 0.0 < row["linear_10"] <= 1.0 and math.isfinite(row["linear_10_std"])
        knn = [r["knn"] for r in row["per_seed"]]
        assert len(knn) == 2 and row["knn"] == pytest.approx(sum(knn) / 2)
        assert row["knn_std"] == pytest.approx(abs(knn[0] - knn[1]) / 2)
    assert result["rows"][0]["knn"] > 0.9  # raw-pixel kNN on digits is a strong, known baseline
    assert result["rows"][0]["knn_std"] == 0.0  # raw pixels do not depend on the seed
    table = (tmp_path / "results.md").read_text()
    assert table.count("\n| ") == len(names) + 1
    assert "mean ± std over seeds 0-1" in table
