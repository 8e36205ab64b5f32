"""The paper's table in small (``examples/gan_compare.py``): a quick run writes the table, the JSON and the figure,
reuses finished runs, and refuses options it sets per run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
sys.path.insert(0, str(EXAMPLES))

import gan_compare as C  # noqa: E402


def test_quick_compare_writes_table_json_and_figure_and_reuses_runs(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["--quick", "--augs", "none,ada", "--n-train", "360,180", "--out", str(out)]
    assert C.main(argv) == 0
    rows = [line for line in (out / "compare.md").read_text().splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| training images | augmentation |") and rows[0].endswith("| ADA p (final) |")
    body = rows[1:]  # --quick: the smallest size only, one seed
    assert [r.split(" | ")[:2] for r in body] == [["| 180 (10%)", "no augmentation"],
                                                  ["| 180 (10%)", body[1].split(" | ")[1]]]
    assert body[1].split(" | ")[1].startswith("ADA bgc")
    assert body[0].rstrip(" |").endswith("| -") and " ± " in body[1].rstrip(" |").rsplit("| ", 1)[1]
    for row in body:
        confident = row.split(" | ")[6]
        assert confident.endswith("%") and " ± " in confident
    results = json.loads((out / "compare.json").read_text())
    assert set(results) == {"180/none", "180/ada"} and all(len(v) == 1 for v in results.values())
    assert results["180/ada"][0]["ada_kimg"] == pytest.approx(30 * 16 / 10000)  # scaled to the 30-iteration run
    assert (out / "compare.png").stat().st_size > 10_000
    capsys.readouterr()
    assert C.main(argv) == 0  # the second time every run is reused, with the same table
    assert capsys.readouterr().out.count("reusing run") == 2


@pytest.mark.parametrize(
    "argv",
    [["--aug", "none"], ["--n-train=5"], ["--seed", "1"], ["--dataset", "faces"], ["--n-train", "1,a"], ["--augs", ""]],
)
def test_refuses_what_it_sets_per_run_or_cannot_vary(argv):
    with pytest.raises(SystemExit):
        C.parse_args(argv)
