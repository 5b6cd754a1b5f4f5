"""The README: its quick start is what CI runs, and its sample output is the real output.

Its Python example runs in tests/test_docs.py with every other example.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")
SETUP_AND_CHECK = (
    "python3 -m venv .venv && .venv/bin/pip install -q . && "
    ".venv/bin/k2safety check examples/warfarin_mk7.json --fail-on never"
)
SETUP_AND_TEST = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest"
)


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", README, re.MULTILINE | re.DOTALL)
    assert match is not None, f"README has no '## {title}' section"
    return match[1]


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def test_the_quick_start_has_exactly_the_two_commands() -> None:
    commands = [
        line
        for block in _blocks(_section("Quick start"), r"\w*")
        for line in block.splitlines()
        if line.strip()
    ]
    assert commands == [SETUP_AND_CHECK, SETUP_AND_TEST]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert SETUP_AND_TEST in ci.splitlines()


def test_the_quick_start_profile_exists() -> None:
    assert (ROOT / "examples" / "warfarin_mk7.json").is_file()


def test_the_sample_output_is_what_the_quick_start_prints() -> None:
    (sample,) = _blocks(_section("Output"), "text")
    shown, marker, _ = sample.partition("[...]\n")
    assert marker, "the sample ends with a [...] line where it is cut"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"}
    }
    env["COLUMNS"] = "80"
    run = subprocess.run(
        [sys.executable, "-m", "k2safety", "check", "examples/warfarin_mk7.json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stdout.startswith(shown)
    assert len(shown.splitlines()) >= 10


def test_the_readme_links_to_docs_that_exist() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert len(links) >= 5
    for link in links:
        assert (ROOT / link).is_file(), link


def test_the_readme_has_the_disclaimer() -> None:
    assert "not medical advice" in README
