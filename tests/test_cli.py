"""The ``k2safety`` command, end to end through a subprocess: output, stdin and exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety._knowledge import knowledge

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
