"""The distribution ships ``adapters/`` (with its subpackages) as ``kornia_diffaug.adapters`` in regular (wheel)
installs too, and leaves ``tools/`` out."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import kornia_diffaug.adapters
import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_adapters_subpackage_imports_from_the_adapters_folder():
    assert Path(kornia_diffaug.adapters.__file__).resolve().parent == ROOT / "adapters"


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    """The files of a wheel built from a clean copy of what the wheel is made of: a checkout's ``build/`` keeps
    the files of earlier builds, and setuptools packs them too (a moved module would seem to ship still)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for d in ("kornia_diffaug", "adapters"):
        shutil.copytree(ROOT / d, src / d, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
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
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("kornia_diffaug-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def _adapter_files() -> set[str]:
    """The wheel paths of the modules under adapters/ (subpackages included)."""
    return {f"kornia_diffaug/adapters/{p.relative_to(ROOT / 'adapters').as_posix()}"
            for p in (ROOT / "adapters").rglob("*.py")}


def test_wheel_contains_adapters_as_subpackage(wheel_names):
    names = wheel_names
    expected = _adapter_files()
    assert expected and expected <= names
    assert "kornia_diffaug/adapters/albumentations/table.py" in names
    assert not any(n.startswith("adapters/") for n in names), "adapters/ must not be a top-level package"


def test_wheel_ships_the_adapters_folder_and_nothing_else_under_it(wheel_names):
    assert {n for n in wheel_names if n.startswith("kornia_diffaug/adapters/")} == _adapter_files()


def test_wheel_leaves_out_the_tools(wheel_names):
    """Parity measurement (numpy, albumentations) and the docs generator are scripts under tools/, not modules."""
    assert (ROOT / "tools" / "albu_parity.py").is_file() and (ROOT / "tools" / "albu_docs.py").is_file()
    assert not [n for n in wheel_names if n.startswith("tools/") or "albu_parity" in n or "albu_docs" in n]


def test_every_subpackage_is_listed_for_setuptools():
    """setuptools' ``packages = [...]`` is explicit: a subpackage missing from it is left out of wheels."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "kornia_diffaug").rglob("__init__.py")}
    found |= {".".join(("kornia_diffaug", *p.parent.relative_to(ROOT).parts))
              for p in (ROOT / "adapters").rglob("__init__.py")}
    assert found | {"kornia_diffaug.adapters"} == listed
