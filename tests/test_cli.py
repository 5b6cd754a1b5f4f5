"""The ``k2safety`` command, end to end through a subprocess: output, stdin and exit status;
the exit statuses and the docs generated from them; and rich loaded only for a terminal.

``K2SAFETY_UPDATE_DOCS=1`` rewrites the docs' exit-status tables from ``ExitStatus``.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import os
import re
import string
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

import k2safety
from k2safety._knowledge import knowledge
from k2safety.cli import ExitStatus, _plain_output, main
from k2safety.cli._exit import exit_status_table
from k2safety.cli._rich_output import print_wrapped

ROOT = Path(__file__).resolve().parent.parent
WARFARIN = ROOT / "examples" / "warfarin_mk7.json"

MK7 = {"ingredient": "MK-7", "dose": "180 mcg"}
D3 = {"ingredient": "D3", "dose": "25 mcg"}
NOTHING: dict[str, Any] = {}
INFO_ONLY = {"supplements": [MK7]}  # K2 without D3
WARNING = {"supplements": [{"ingredient": "MK-7", "dose": "500 mcg"}, D3]}
CRITICAL = {"medications": ["warfarin"], "supplements": [MK7, D3]}


def run(
    *args: str, stdin: str | bytes | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """``python -m k2safety ARGS`` with plain, 80-column output unless ``env`` says otherwise."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"}
    }
    environment.update({"COLUMNS": "80", **env})
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    completed = subprocess.run(
        [sys.executable, "-m", "k2safety", *args],
        cwd=ROOT,
        env=environment,
        input=data,
        capture_output=True,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


def test_the_expected_severities_of_the_test_profiles() -> None:
    # The exit-status tests below rest on these.
    assert k2safety.check(NOTHING).max_severity is None
    assert k2safety.check(INFO_ONLY).max_severity is k2safety.Severity.INFO
    assert k2safety.check(WARNING).max_severity is k2safety.Severity.WARNING
    assert k2safety.check(CRITICAL).max_severity is k2safety.Severity.CRITICAL


@pytest.mark.parametrize(
    ("profile", "fail_on", "status"),
    [
        (NOTHING, None, 0),
        (INFO_ONLY, None, 0),
        (WARNING, None, 1),
        (CRITICAL, None, 2),
        (INFO_ONLY, "info", 1),
        (WARNING, "critical", 0),
        (CRITICAL, "critical", 2),
        (CRITICAL, "never", 0),
        (NOTHING, "info", 0),
    ],
)
def test_the_exit_status_reflects_the_most_severe_finding(
    profile: dict[str, Any], fail_on: str | None, status: int
) -> None:
    options = [] if fail_on is None else ["--fail-on", fail_on]
    result = run("check", "-", *options, stdin=json.dumps(profile))
    assert result.returncode == status, result.stderr
    assert result.stderr == ""


def test_text_output_shows_findings_with_their_claims_and_locators() -> None:
    result = run("check", str(WARFARIN))
    assert result.returncode == 2
    report = k2safety.check(json.loads(WARFARIN.read_text("utf-8")))
    text = " ".join(result.stdout.split())  # undo the wrapping
    assert text.startswith(f"{len(report.findings)} findings, the most severe: critical")
    for finding in report.findings:
        assert f"{finding.severity.value.upper()} {finding.code} {finding.title}" in text
        assert " ".join(finding.message.split()) in text
        for claim in finding.claims:
            assert " ".join(claim.statement.split()) in text
            assert " ".join(f"{claim.source.title}, {claim.locator}".split()) in text
    assert "not medical advice" in text
    assert "\x1b[" not in result.stdout  # plain when not writing to a terminal
    assert all(len(line) <= 80 and line == line.rstrip() for line in result.stdout.splitlines())


def test_text_output_is_coloured_when_colour_is_forced() -> None:
    result = run("check", str(WARFARIN), FORCE_COLOR="1")
    assert "\x1b[" in result.stdout
    assert "CRITICAL" in result.stdout


def test_no_findings_says_so() -> None:
    result = run("check", stdin="{}")
    assert result.returncode == 0
    assert result.stdout.startswith("No findings.\n")


def test_stdin_is_read_with_a_dash_or_without_a_file() -> None:
    profile = WARFARIN.read_text("utf-8")
    from_file = run("check", "--format", "json", str(WARFARIN))
    with_dash = run("check", "--format", "json", "-", stdin=profile)
    without_file = run("check", "--format", "json", stdin=profile)
    assert from_file.returncode == with_dash.returncode == without_file.returncode == 2
    assert from_file.stdout == with_dash.stdout == without_file.stdout


def test_json_output_is_the_report() -> None:
    result = run("check", "--format", "json", "--fail-on", "never", str(WARFARIN))
    assert result.returncode == 0
    report = k2safety.check(json.loads(WARFARIN.read_text("utf-8")))
    assert json.loads(result.stdout) == report.model_dump(mode="json")


def test_cds_hooks_output_is_the_cds_hooks_response() -> None:
    result = run("check", "--format", "cds-hooks", str(WARFARIN))
    assert result.returncode == 2
    report = k2safety.check(json.loads(WARFARIN.read_text("utf-8")))
    response = json.loads(result.stdout)
    assert response == report.to_cds_hooks()
    assert response["cards"][0]["indicator"] == "critical"


def test_json_output_is_utf8_whatever_the_locale() -> None:
    result = run("check", "--format", "json", str(WARFARIN), PYTHONIOENCODING="ascii")
    assert "›" in result.stdout  # locators use it; written as UTF-8, not escaped or replaced


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ('{"supplements": [{"ingredient": "MK-7", "dose": "180"}]}', "supplements[0].dose"),
        ('{"age": 40}', "age"),
        ("[1, 2]", "a profile must be a JSON object"),
    ],
)
def test_an_invalid_profile_exits_3_with_the_profile_error(stdin: str, expected: str) -> None:
    with pytest.raises(k2safety.ProfileError) as error:
        k2safety.check(json.loads(stdin))
    result = run("check", stdin=stdin)
    assert result.returncode == 3
    assert result.stdout == ""
    assert str(error.value) in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[" * 100_000, "not valid JSON"),
    ],
)
def test_input_that_is_not_json_exits_3_cleanly(stdin: str | bytes, expected: str) -> None:
    result = run("check", "-", stdin=stdin)
    assert result.returncode == 3
    assert result.stderr.startswith("k2safety: <stdin>: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_3_cleanly(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = run("check", str(missing))
    assert result.returncode == 3
    assert f"k2safety: {missing}: cannot read the file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [(), ("check", "--format", "xml"), ("check", "--fail-on", "sometimes"), ("frobnicate",)],
)
def test_usage_errors_exit_4(args: tuple[str, ...]) -> None:
    result = run(*args, stdin="{}")
    assert result.returncode == 4
    assert "usage: k2safety" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_closed_pipe_exits_141_without_a_traceback() -> None:
    environment = {**os.environ, "COLUMNS": "80"}
    environment.pop("FORCE_COLOR", None)
    with subprocess.Popen(
        [sys.executable, "-m", "k2safety", "claims"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        stderr = process.stderr.read().decode("utf-8")
        status = process.wait()
    assert status == 141
    assert "Traceback" not in stderr


def test_rules_lists_every_rule_with_severity_and_title() -> None:
    result = run("rules")
    assert result.returncode == 0
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    rules = knowledge().rules
    starts = [line for line in lines if line.startswith("K2-")]
    assert len(starts) == len(rules)
    text = " ".join(lines)
    for code, spec in rules.items():
        assert f"{code} {spec.severity.value} {spec.title}" in text


@pytest.mark.parametrize("given", ["K2-VKA", "k2-vka"])
def test_explain_prints_the_rule_in_full_with_its_claims(given: str) -> None:
    result = run("explain", given)
    assert result.returncode == 0
    spec = knowledge().rules["K2-VKA"]
    assert result.stdout.startswith(f"# K2-VKA: {spec.title}\n")
    for text in (spec.checks, spec.why, spec.message):
        assert text in result.stdout
    for claim in knowledge().claims_for(spec.claims):
        assert claim.statement in result.stdout
        assert claim.locator in result.stdout
    assert "## Examples" not in result.stdout  # the fixtures are not installed with the package


def test_explain_an_unknown_code_fails_cleanly() -> None:
    result = run("explain", "K2-NOPE")
    assert result.returncode == 4
    assert result.stdout == ""
    assert "unknown rule code 'K2-NOPE'" in result.stderr
    assert "K2-VKA" in result.stderr  # says which codes exist
    assert "Traceback" not in result.stderr


def test_claims_lists_every_claim_with_its_locator_and_citing_rules() -> None:
    result = run("claims")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for claim in knowledge().claims.values():
        assert claim.id in text
        assert " ".join(claim.statement.split()) in text
        assert " ".join(claim.locator.split()) in text
    assert "Cited by: K2-VKA" in text


def test_claims_names_the_same_citers_as_the_catalog() -> None:
    from k2safety._catalog import claims_markdown

    text = " ".join(run("claims").stdout.split())
    catalog = claims_markdown(knowledge())
    # A claim only a threshold cites: both say who cites it, and that it is background.
    assert "Cited by: threshold d3_iu_per_mcg" in text
    assert "threshold `d3_iu_per_mcg`" in catalog
    background = [claim for claim in knowledge().claims.values() if claim.background]
    assert text.count("Background: no rule rests on it") == len(background)
    assert catalog.count("**Background:**") == len(background)


def test_schema_prints_the_profile_json_schema() -> None:
    result = run("schema")
    assert result.returncode == 0
    assert json.loads(result.stdout) == k2safety.Profile.model_json_schema()


def test_version_prints_the_package_and_knowledge_base_versions() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == (
        f"k2safety {k2safety.__version__} (knowledge base {knowledge().version})\n"
    )


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("check", "rules", "explain", "claims", "schema"):
        assert command in result.stdout
    assert "not medical advice" in result.stdout


def test_text_output_survives_a_terminal_that_cannot_show_every_character() -> None:
    result = run("check", str(WARFARIN), PYTHONIOENCODING="ascii")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "K2-VKA" in result.stdout


def test_explain_is_formatted_on_a_terminal() -> None:
    result = run("explain", "K2-VKA", FORCE_COLOR="1")
    assert result.returncode == 0
    assert "\x1b[" in result.stdout
    assert "# K2-VKA" not in result.stdout  # rendered, not raw Markdown
    assert "K2-VKA" in result.stdout


# --- the exit statuses: one enum, from which the help and the docs are generated --------------

DOCS = ROOT / "docs"
EXIT_STATUS_TABLE = re.compile(
    r"(<!-- exit-status:start(?: (?P<command>\w+))? -->\n)(?P<table>.*?)(<!-- exit-status:end -->)",
    re.DOTALL,
)


def _with_fresh_tables(markdown: str) -> str:
    return EXIT_STATUS_TABLE.sub(
        lambda match: f"{match[1]}\n{exit_status_table(match['command'])}\n{match[4]}", markdown
    )


@pytest.mark.parametrize(("page", "command"), [("cli.md", None), ("batch.md", "batch")])
def test_the_docs_exit_status_tables_are_generated_from_exit_status(
    page: str, command: str | None
) -> None:
    """Run with K2SAFETY_UPDATE_DOCS=1 to rewrite the tables from ``ExitStatus``."""
    path = DOCS / page
    markdown = path.read_text("utf-8")
    assert [match["command"] for match in EXIT_STATUS_TABLE.finditer(markdown)] == [command]
    fresh = _with_fresh_tables(markdown)
    if fresh != markdown and os.environ.get("K2SAFETY_UPDATE_DOCS"):
        path.write_text(fresh, "utf-8")
        return
    assert markdown == fresh, (
        f"docs/{page}'s exit-status table is not ExitStatus's; rerun with K2SAFETY_UPDATE_DOCS=1"
    )


def test_the_exit_status_table_lists_every_status_once() -> None:
    table = exit_status_table()
    values = [int(row.split("|")[1]) for row in table.splitlines()[2:]]
    assert values == sorted(ExitStatus) == [0, 1, 2, 3, 4, 70, 130, 141]
    assert "| 70 | `batch` only: " in table
    assert "`batch` only" not in exit_status_table("batch")
    assert ExitStatus.of("check") == tuple(s for s in ExitStatus if s not in {70, 130})


@pytest.mark.parametrize("command", ["check", "batch"])
def test_help_lists_the_exit_statuses_of_the_command(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0
    _, heading, listed = result.stdout.partition("\nexit status:\n")
    assert heading
    entries = re.split(r"\n  (?=\d)", "\n" + listed.rstrip("\n"))[1:]
    statuses = ExitStatus.of(command)
    assert len(entries) == len(statuses)
    for entry, status in zip(entries, statuses, strict=True):
        value, meaning = entry.split(maxsplit=1)
        assert int(value) == status
        assert " ".join(meaning.split()) == status.meaning.replace("`", "")
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_the_command_is_the_cli_package() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        scripts = tomllib.load(file)["project"]["scripts"]
    assert scripts == {"k2safety": "k2safety.cli:main"}
    module, _, name = scripts["k2safety"].partition(":")
    assert getattr(importlib.import_module(module), name) is main


# The CLI's modules, each importing only modules after it (so there is no cycle).
CLI_LAYERS = (
    "__init__",
    "_check",
    "_batch",
    "_knowledge_base",
    "_rich_output",
    "_plain_output",
    "_io",
    "_exit",
)


def _cli_imports(module: str) -> set[str]:
    """What ``module`` imports from k2safety.cli, anywhere in it: its modules, or the package."""
    tree = ast.parse((ROOT / "k2safety" / "cli" / f"{module}.py").read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module} imports relatively"
            if node.module == "k2safety.cli":
                imported |= {alias.name for alias in node.names}
            elif (node.module or "").startswith("k2safety.cli."):
                imported.add((node.module or "").removeprefix("k2safety.cli."))
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            imported |= {name for name in names if name.startswith("k2safety.cli")}
    return imported


def test_the_cli_modules_import_each_other_in_one_direction() -> None:
    modules = {path.stem for path in (ROOT / "k2safety" / "cli").glob("*.py")}
    assert modules == set(CLI_LAYERS)
    for position, module in enumerate(CLI_LAYERS):
        imported = _cli_imports(module)
        assert imported <= set(CLI_LAYERS[position + 1 :]), (module, imported)


# --- rich only renders text for a terminal -----------------------------------------------------


def _imports_rich(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> bool:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "COLUMNS"}
    }
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "k2safety", *args],
        cwd=ROOT,
        env={**environment, **(env or {})},
        input=stdin,
        capture_output=True,
        check=False,
    )
    assert completed.returncode in {0, 2}, completed.stderr.decode()
    imported = re.findall(r"^import time:.*\|\s*(\S+)$", completed.stderr.decode(), re.MULTILINE)
    assert "k2safety.cli" in imported
    return "rich" in imported


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--format", "json", str(WARFARIN)),
        ("check", "--format", "cds-hooks", str(WARFARIN)),
        ("batch", "-"),
        ("schema",),
        ("rules",),
        ("explain", "K2-VKA"),
        ("--version",),
    ],
    ids=" ".join,
)
def test_output_for_a_program_does_not_import_rich(args: tuple[str, ...]) -> None:
    assert not _imports_rich(*args, stdin=WARFARIN.read_bytes().replace(b"\n", b"") + b"\n")


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("check", str(WARFARIN)), {}),
        (("rules",), {"FORCE_COLOR": "1"}),
        (("explain", "K2-VKA"), {"TTY_COMPATIBLE": "1"}),
    ],
)
def test_text_for_a_terminal_imports_rich(args: tuple[str, ...], env: dict[str, str]) -> None:
    # The other half of the test above: it would see rich if it were imported.
    assert _imports_rich(*args, env=env)


@pytest.mark.parametrize("columns", [None, "20", "31", "45", "80", "132", "0", "wide"])
def test_rules_piped_prints_what_rich_prints(
    columns: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {} if columns is None else {"COLUMNS": columns}
    piped = run("rules", **env).stdout
    monkeypatch.delenv("COLUMNS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    console = Console(file=io.StringIO(), highlight=False, markup=False, emoji=False)
    if console.width == 0:
        # rich prints nothing on a console 0 wide; the plain output uses the narrowest lines.
        console = Console(file=io.StringIO(), width=1)
    rules = knowledge().rules
    code_width = max(len(code) for code in rules) + 2
    severity_width = max(len(severity.value) for severity in k2safety.Severity) + 2
    for code, spec in rules.items():
        columns_text = code.ljust(code_width) + spec.severity.value.ljust(severity_width)
        print_wrapped(
            console, Text(spec.title), indent=len(columns_text), first_prefix=columns_text
        )
    assert isinstance(console.file, io.StringIO)
    assert piped == console.file.getvalue()


@pytest.mark.parametrize("width", range(1, 90))
def test_plain_wrapping_breaks_lines_where_rich_does(width: int) -> None:
    texts = [spec.title for spec in knowledge().rules.values()]
    texts += [
        "",
        "  leading spaces and a verylongwordthatdoesnotfitanywhere at all  ",
        "two  spaces\nand a new line, then   ",
        "MK-7 above the typical supplement range (45 to 360 mcg a day)",
    ]
    console = Console(width=200)
    for text in texts:
        expected = [line.plain.rstrip() for line in Text(text).wrap(console, width)]
        assert _plain_output.wrap(text, width) == expected, (text, width)


@given(
    st.text(st.sampled_from(string.ascii_letters + string.digits + " -,.()\n"), max_size=200),
    st.integers(min_value=1, max_value=100),
)
def test_plain_wrapping_matches_rich_on_any_single_cell_text(text: str, width: int) -> None:
    expected = [line.plain.rstrip() for line in Text(text).wrap(Console(width=200), width)]
    assert _plain_output.wrap(text, width) == expected


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
@pytest.mark.parametrize("tty_compatible", [None, "", "0", "1", "yes"])
@pytest.mark.parametrize("force_color", [None, "", "0", "1"])
def test_a_terminal_is_what_rich_calls_a_terminal(
    tty: bool,
    tty_compatible: str | None,
    force_color: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in (("TTY_COMPATIBLE", tty_compatible), ("FORCE_COLOR", force_color)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    stream = _Stream(tty)
    assert _plain_output.is_terminal(stream) is Console(file=stream).is_terminal


@pytest.mark.parametrize("columns", [None, "0", "7", "80", "250", "-3", "abc", ""])
def test_the_width_is_rich_s_width(columns: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.delenv("LINES", raising=False)
    assert _plain_output.width() == Console().width
