"""The wheel carries the knowledge base and the typing marker, and the installed command works."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "k2safety" / "data"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from the working tree, by hatchling as pip would (without network)."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = folder.glob("k2safety-*.whl")
    return built


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (path,) = [item for item in archive.namelist() if item.endswith(f".dist-info/{name}")]
        return archive.read(path).decode("utf-8")


def test_the_wheel_contains_every_data_file_and_the_typing_marker(wheel: Path) -> None:
    names = _names(wheel)
    data_files = sorted(path.name for path in DATA.iterdir() if path.is_file())
    assert "claims.toml" in data_files
    for name in data_files:
        assert f"k2safety/data/{name}" in names
    assert "k2safety/py.typed" in names


def test_the_wheel_holds_the_package_only(wheel: Path) -> None:
    top_level = {name.split("/")[0] for name in _names(wheel)}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"k2safety"}
    assert not any("__pycache__" in name for name in _names(wheel))


def test_the_wheel_declares_the_command_and_its_metadata(wheel: Path) -> None:
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "k2safety = k2safety.cli:main" in entry_points
    metadata = email.message_from_string(_dist_info(wheel, "METADATA"))
    assert "Typing :: Typed" in metadata.get_all("Classifier", [])
    requirements = metadata.get_all("Requires-Dist", [])
    core = [req for req in requirements if "extra ==" not in req]
    assert {req.split(">")[0].split("<")[0].strip().lower() for req in core} == {
        "pydantic",
        "pint",
        "rapidfuzz",
        "rich",
    }


def test_the_installed_wheel_screens_the_quick_start_profile(wheel: Path, tmp_path: Path) -> None:
    """Installed on its own (no source tree on the path), the command finds its data files."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", target, wheel],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "COLUMNS": "80"}
    env.pop("FORCE_COLOR", None)
    where = subprocess.run(
        [sys.executable, "-c", "import k2safety; print(k2safety.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)
    result = subprocess.run(
        [
            str(target / "bin" / "k2safety"),
            "check",
            str(ROOT / "examples" / "warfarin_mk7.json"),
            "--fail-on",
            "never",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "CRITICAL  K2-VKA" in result.stdout


def test_python_dash_m_runs_the_quick_start_check() -> None:
    quick_start = ["check", "examples/warfarin_mk7.json", "--fail-on", "never"]
    result = subprocess.run(
        [sys.executable, "-m", "k2safety", *quick_start],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "K2-VKA" in result.stdout


def test_importing_k2safety_does_not_import_the_command_line() -> None:
    probe = "import sys, k2safety; print(sorted(m for m in sys.modules if m.startswith('rich')))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
