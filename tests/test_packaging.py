"""The distribution ships ``adapters/`` as ``kornia_diffaug.adapters`` in regular (wheel) installs too."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import kornia_diffaug.adapters

ROOT = Path(__file__).resolve().parent.parent


def test_adapters_subpackage_imports_from_the_adapters_folder():
    assert Path(kornia_diffaug.adapters.__file__).resolve().parent == ROOT / "adapters"


def test_wheel_contains_adapters_as_subpackage(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("kornia_diffaug-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"kornia_diffaug/adapters/{p.name}" for p in (ROOT / "adapters").glob("*.py")}
    assert expected and expected <= names
    assert not any(n.startswith("adapters/") for n in names), "adapters/ must not be a top-level package"


def test_every_subpackage_is_listed_for_setuptools():
    """setuptools' ``packages = [...]`` is explicit: a subpackage missing from it is left out of wheels."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kornia_diffaug").rglob("__init__.py")}
    found |= {".".join(("kornia_diffaug", *p.parent.relative_to(ROOT).parts))
              for p in (ROOT / "adapters").rglob("__init__.py")}
    assert found | {"kornia_diffaug.adapters"} == listed
