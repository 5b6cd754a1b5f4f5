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
import subprocess
import sys
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import k2safety
from k2safety._knowledge import knowledge
from k2safety.cli import ExitStatus, _plain_output, main
from k2safety.cli._exit import exit_status_table

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


HOSTILE_NAME = "\u001b[2J\u001b]0;pwned\u0007Coumadin\u009b31m\u202etxt.exe\u2028\u007f"


@pytest.mark.parametrize("colour", [False, True])
def test_text_output_never_writes_control_characters_from_the_profile(colour: bool) -> None:
    """Item 9: a medication named "\u001b[2J..." cleared the terminal."""
    profile = {"medications": [HOSTILE_NAME], "supplements": [MK7]}
    environment = {"FORCE_COLOR": "1"} if colour else {}
    result = run("check", "--fail-on", "never", stdin=json.dumps(profile), **environment)
    assert result.returncode == 0, result.stderr
    # Each one shown as its escape, where the name appears in the report.
    shown = r"\x1b[2J\x1b]0;pwned\x07Coumadin\x9b31m\u202etxt.exe\u2028\x7f"
    assert shown in result.stdout.replace("\n  ", "")
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)  # rich's own colours, if any
    for character in "\x1b\x07\x9b\u202e\u2028\x7f":
        assert character not in text
    assert "\x1b[2J" not in result.stdout


def test_messages_about_the_input_never_write_control_characters() -> None:
    missing = "missing\u001b[2J\u202e.json"
    result = run("check", missing)
    assert result.returncode == ExitStatus.BAD_INPUT
    assert result.stderr.startswith("k2safety: missing\\x1b[2J\\u202e.json: cannot read")
    problem = run("check", stdin=json.dumps({"medications": [{"name": HOSTILE_NAME, "x": 1}]}))
    assert problem.returncode == ExitStatus.BAD_INPUT
    assert "\x1b" not in problem.stderr


def test_printable_escapes_what_a_terminal_acts_on_and_keeps_the_rest() -> None:
    from k2safety.cli._io import printable

    assert printable("\x00\t\n\x1b\x7f\x85\x9f") == r"\x00\t\n\x1b\x7f\x85\x9f"
    assert printable("\u200e\u200f\u061c\u202a\u202e\u2066\u2069\u2028\u2029") == (
        r"\u200e\u200f\u061c\u202a\u202e\u2066\u2069\u2028\u2029"
    )
    kept = "Coumadin® 5 µg \u2013 ワルファリン وارفارين \u200d\u200c\u00ad 👩\u200d⚕️ \\"
    assert printable(kept) == kept
    assert printable("a\nb\rc", keep_newlines=True) == "a\nb\\rc"


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
    document = report.model_dump(mode="json")
    amounts = report.profile.mcg_per_day
    assert all(amount.denominator == 1 for amount in amounts.values())
    # Whole amounts are JSON numbers (the text of a fraction in model_dump).
    document["profile"]["mcg_per_day"] = {form.value: int(n) for form, n in amounts.items()}
    assert json.loads(result.stdout) == document


@pytest.mark.parametrize(
    ("doses", "written"),
    [
        ([("MK-7", "180 mcg", "day"), ("D3", "1000 IU", "day")], {"MK-7": 180, "D3": 25}),
        ([("MK-7", "12.5 mcg", "day")], {"MK-7": Decimal("12.5")}),
        ([("MK-7", "0.7 mcg", "week")], {"MK-7": Decimal("0.1")}),
        ([("MK-7", "1 mcg", "day"), ("MK-7", "1 ng", "day")], {"MK-7": Decimal("1.001")}),
        ([("MK-7", "1 mg", "week")], {"MK-7": "1000/7"}),  # no decimal is exact: the fraction
    ],
)
def test_json_output_writes_amounts_as_numbers_where_exact(
    doses: list[tuple[str, str, str]], written: dict[str, Any]
) -> None:
    """Item 8: `"mcg_per_day": {"MK-7": "180", "D3": "25"}` held numbers as text."""
    profile = {"supplements": [{"ingredient": i, "dose": d, "per": per} for i, d, per in doses]}
    result = run("check", "--format", "json", "--fail-on", "never", stdin=json.dumps(profile))
    assert result.returncode == 0, result.stderr
    # Decimal: the number as written, not as a float reads it.
    document = json.loads(result.stdout, parse_float=Decimal)
    assert document["profile"]["mcg_per_day"] == written
    report = k2safety.check(profile)
    assert {form: Fraction(amount) for form, amount in written.items()} == {
        form.value: amount for form, amount in report.profile.mcg_per_day.items()
    }
    # pydantic reads the report back with the same exact amounts.
    assert k2safety.Report.model_validate_json(result.stdout) == report


EXACT = [
    Fraction(180),
    Fraction(25, 2),
    Fraction(-1, 10),
    Fraction(1, 2**70),  # a float would show 16 digits of it
    Fraction(3, 10**17),
    Fraction(10**5000),  # more digits than int() writes as text
    Fraction(1, 10**400),  # below any float
]
NOT_DECIMAL = [Fraction(1000, 7), Fraction(1, 3), Fraction(10**5000, 3)]


@pytest.mark.parametrize(
    "amount",
    EXACT + NOT_DECIMAL,
    ids=[
        "180",
        "12.5",
        "-0.1",
        "2**-70",
        "3e-17",
        "10**5000",
        "10**-400",
        "1000/7",
        "1/3",
        "10**5000/3",
    ],
)
@pytest.mark.parametrize("indent", [None, 2])
def test_every_amount_is_written_exactly(amount: Fraction, indent: int | None) -> None:
    from k2safety.cli._io import encode_json

    text = encode_json({"mcg_per_day": {"MK-7": amount}, "then": [1, True, None]}, indent=indent)
    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # to read back the longest amounts
    try:
        document = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    finally:
        sys.set_int_max_str_digits(digits)
    written = document["mcg_per_day"]["MK-7"]
    if amount in EXACT:
        assert isinstance(written, Decimal)  # a JSON number
        assert Fraction(written) == amount
    else:
        assert written == f"{Decimal(amount.numerator)}/{amount.denominator}"
    assert document["then"] == [1, True, None]
    plain = {"a": [1, {"b": "é\u001b"}], "c": {}, "d": []}
    assert encode_json(plain, indent=indent) == json.dumps(
        plain, ensure_ascii=False, indent=indent, separators=(",", ":" if indent is None else ": ")
    )


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


@pytest.mark.parametrize(
    ("stdin", "field", "problem"),
    [
        (
            '{"medications": ["warfarin"], "medications": []}',
            "medications",
            "is given 2 times; a field may be given only once",
        ),
        (
            '{"supplements": [{"ingredient": "MK-7", "dose": "1 mg", "dose": "180 mcg", '
            '"dose": "1 mcg"}]}',
            "supplements[0].dose",
            "is given 3 times; a field may be given only once",
        ),
        (
            '{"supplements": [{"ingredient": "MK-7", "dose": {"value": 1' + "0" * 5000 + ", "
            '"unit": "mcg"}}]}',
            "supplements[0].dose.value",
            "is a number with 5,001 digits; at most 4,300 digits are accepted",
        ),
    ],
    ids=["a key twice", "a nested key three times", "a number too long for Python"],
)
def test_json_that_python_would_read_wrongly_is_an_invalid_profile(
    stdin: str, field: str, problem: str
) -> None:
    """Items 6 and 2: the first "medications" was dropped without a word, so warfarin went
    unscreened; a 5,000-digit dose printed a traceback and exited 1 ("a warning")."""
    result = run("check", "-", stdin=stdin)
    assert result.returncode == ExitStatus.BAD_INPUT
    assert result.stdout == ""
    assert result.stderr == f"k2safety: <stdin>: invalid profile: {field}: {problem}\n"


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


FULL_DISK_COMMANDS = [
    ("check", "--fail-on", "never", str(WARFARIN)),
    ("check", "--fail-on", "never", "--format", "json", str(WARFARIN)),
    ("check", "--fail-on", "never", "--format", "cds-hooks", str(WARFARIN)),
    ("rules",),
    ("explain", "K2-VKA"),
    ("claims",),
    ("schema",),
    ("--version",),
    ("batch", "--help"),
]


@pytest.mark.parametrize("args", FULL_DISK_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("terminal", [False, True])
def test_a_full_disk_is_an_io_error_in_one_line(args: tuple[str, ...], terminal: bool) -> None:
    """Item 5: `check ... > /dev/full` printed a traceback and exited 1 ("a warning")."""
    environment = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR"}}
    if terminal:
        environment["TTY_COMPATIBLE"] = "1"  # rendered by rich, as for a terminal
    with open("/dev/full", "wb") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "k2safety", *args],
            cwd=ROOT,
            env=environment,
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert completed.returncode == ExitStatus.IO_ERROR == 74
    assert completed.stderr.decode() == (
        "k2safety: <stdout>: cannot write: No space left on device\n"
    )


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
    assert values == sorted(ExitStatus) == [0, 1, 2, 3, 4, 70, 74, 130, 141]
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
    "_serve",
    "_feedback",
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


@pytest.mark.parametrize("columns", [None, "20", "45", "80", "0", "wide"])
def test_rules_piped_prints_one_line_per_rule(columns: str | None) -> None:
    """Item 9: piped, a long title was wrapped onto a second line that names no rule."""
    env = {} if columns is None else {"COLUMNS": columns}
    piped = run("rules", **env).stdout
    rules = knowledge().rules
    code_width = max(len(code) for code in rules) + 2
    severity_width = max(len(severity.value) for severity in k2safety.Severity) + 2
    assert piped.splitlines() == [
        f"{code.ljust(code_width)}{spec.severity.value.ljust(severity_width)}{spec.title}"
        for code, spec in rules.items()
    ]
    assert any(len(line) > 60 for line in piped.splitlines())  # some would have wrapped


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
