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


def test_quick_run_writes_table(tmp_path):
    assert S.main(["--quick", "--out", str(tmp_path), "--no-progress"]) == 0
    result = json.loads((tmp_path / "results.json").read_text())
    names = [r["representation"] for r in result["rows"]]
    assert names[0] == "raw pixels" and "random init" in names[1] and names[2].startswith("identical-views control")
    assert any("simclr.json" in n for n in names) and any("simclr_digits.json" in n for n in names)
    for row in result["rows"]:
        assert 0.0 < row["knn"] <= 1.0 and 0.0 < row["linear_10"] <= 1.0 and math.isfinite(row["linear_10_std"])
    assert result["rows"][0]["knn"] > 0.9  # raw-pixel kNN on digits is a strong, known baseline
    table = (tmp_path / "results.md").read_text()
    assert table.count("\n| ") == len(names) + 1
