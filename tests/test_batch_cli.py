"""``k2safety batch``: one result line per input line, in order, a summary, and the exit status."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety.cli import build_parser
from k2safety.cli._batch import _jobs, run
from k2safety.cli._exit import ExitStatus, exit_status

MK7 = {"ingredient": "MK-7", "dose": "180 mcg"}
D3 = {"ingredient": "D3", "dose": "25 mcg"}
INFO_ONLY = {"supplements": [MK7]}  # K2 without D3
WARNING = {"supplements": [{"ingredient": "MK-7", "dose": "500 mcg"}, D3]}
CRITICAL = {"medications": ["warfarin"], "supplements": [MK7, D3]}
NO_FINDINGS: dict[str, Any] = {}

COMMAND = (sys.executable, "-m", "k2safety", "batch")


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["batch", *argv])


def jsonl(*rows: Any) -> bytes:
    return b"".join(
        (row if isinstance(row, bytes) else json.dumps(row).encode()) + b"\n" for row in rows
    )


def batch(
    tmp_path: Path, data: bytes, *options: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``batch`` in this process on ``data``; the exit status, output lines and stderr."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    output = tmp_path / "out.jsonl"
    capsys.readouterr()
    status = run(parse(str(source), "-o", str(output), *options))
    lines = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    return status, lines, capsys.readouterr().err


def command(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )


def test_each_line_gets_its_report_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles: list[dict[str, Any]] = [CRITICAL, INFO_ONLY, NO_FINDINGS, WARNING]
    status, lines, _ = batch(tmp_path, jsonl(*profiles), capsys=capsys)
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    for line, profile in zip(lines, profiles, strict=True):
        assert set(line) == {"line", "report"}
        # The same document as `k2safety check --format json` prints.
        assert line["report"] == k2safety.check(profile).model_dump(mode="json")
    assert status == ExitStatus.CRITICAL


def test_a_line_that_cannot_be_screened_gets_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_dose = {"supplements": [{"ingredient": "MK-7", "dose": "180"}]}
    data = jsonl(INFO_ONLY, b"", b"   ", b"{not json", b"[1, 2]", bad_dose, b"\xff\xfe", INFO_ONLY)
    status, lines, _ = batch(tmp_path, data, capsys=capsys)
    assert [line["line"] for line in lines] == list(range(1, 9))
    assert "report" in lines[0]
    assert "report" in lines[7]
    errors = [line["error"] for line in lines[1:7]]
    assert [error["kind"] for error in errors] == [
        "blank",
        "blank",
        "not_json",
        "invalid_profile",
        "invalid_profile",
        "not_json",
    ]
    assert errors[0]["message"] == "blank line: expected a profile (a JSON object)"
    assert errors[2]["message"].startswith("not valid JSON: Expecting property name")
    assert errors[3]["problems"] == [
        {"field": "", "problem": "a profile must be a JSON object (a mapping of fields)"}
    ]
    with pytest.raises(k2safety.ProfileError) as raised:
        k2safety.check(bad_dose)
    assert errors[4]["message"] == str(raised.value)
    assert errors[4]["problems"] == [
        {"field": field, "problem": text} for field, text in raised.value.problems
    ]
    assert errors[5]["message"] == "not UTF-8 text; a profile is a JSON object"
    assert status == ExitStatus.BAD_INPUT


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = b"\xef\xbb\xbf" + jsonl(INFO_ONLY).replace(b"\n", b"\r\n") * 2
    status, lines, _ = batch(tmp_path, data, "--fail-on", "never", capsys=capsys)
    assert [("report" in line, line["line"]) for line in lines] == [(True, 1), (True, 2)]
    assert status == ExitStatus.OK


@pytest.mark.parametrize(
    ("profiles", "fail_on", "expected"),
    [
        ([NO_FINDINGS, INFO_ONLY], "warning", ExitStatus.OK),
        ([NO_FINDINGS, INFO_ONLY], "info", ExitStatus.WARNING),
        ([INFO_ONLY, WARNING, INFO_ONLY], "warning", ExitStatus.WARNING),
        ([WARNING, INFO_ONLY], "critical", ExitStatus.OK),
        ([INFO_ONLY, CRITICAL, WARNING], "warning", ExitStatus.CRITICAL),
        ([INFO_ONLY, CRITICAL, WARNING], "never", ExitStatus.OK),
        ([CRITICAL, "not a profile"], "never", ExitStatus.BAD_INPUT),
        ([], "info", ExitStatus.OK),
    ],
)
def test_the_exit_status_is_the_worst_row_as_for_check(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    profiles: list[Any],
    fail_on: str,
    expected: int,
) -> None:
    status, _, _ = batch(tmp_path, jsonl(*profiles), "--fail-on", fail_on, capsys=capsys)
    assert status == expected
    # A row screened alone exits as `check` would; the batch exits as its worst row.
    if "not a profile" not in profiles:
        worst = max((exit_status(_max(p), fail_on) for p in profiles), default=0)
        assert status == worst


def _max(profile: dict[str, Any]) -> k2safety.Severity | None:
    return k2safety.check(profile).max_severity


def test_the_summary_counts_rows_by_severity_and_findings_by_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles: list[Any] = [CRITICAL, CRITICAL, WARNING, INFO_ONLY, NO_FINDINGS, "x", b"{"]
    _, _, stderr = batch(tmp_path, jsonl(*profiles), capsys=capsys)
    codes = Counter(code for p in profiles[:5] for code in k2safety.check(p).codes)
    assert codes["K2-VKA"] == 2
    ranked = sorted(codes.items(), key=lambda item: (-item[1], item[0]))
    assert stderr.splitlines() == [
        "k2safety batch: 7 lines: 5 screened, 2 invalid",
        "  most severe finding per profile: critical 2, warning 1, info 1, none 1",
        "  findings per code: " + ", ".join(f"{code} {count}" for code, count in ranked),
    ]


def _mixed_lines(count: int) -> bytes:
    # Half cannot be screened: blank, not a mapping, not JSON, and a supplement, not a profile.
    rows: list[Any] = [CRITICAL, INFO_ONLY, b"", WARNING, "x", NO_FINDINGS, b"{", D3]
    return jsonl(*(rows[number % len(rows)] for number in range(count)))


def test_several_jobs_write_the_same_lines_in_the_same_order(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_mixed_lines(1000))
    outputs = {}
    for jobs in ("1", "2"):
        output = tmp_path / f"out{jobs}.jsonl"
        completed = command(str(source), "-o", str(output), "--jobs", jobs)
        assert completed.returncode == ExitStatus.BAD_INPUT, completed.stderr
        outputs[jobs] = output.read_bytes()
    assert outputs["1"] == outputs["2"]
    numbers = [json.loads(line)["line"] for line in outputs["2"].splitlines()]
    assert numbers == list(range(1, 1001))


def test_standard_input_to_standard_output(tmp_path: Path) -> None:
    completed = command("-", stdin=jsonl(WARNING, INFO_ONLY))
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [line["report"]["max_severity"] for line in lines] == ["warning", "info"]
    assert completed.stderr.decode().startswith("k2safety batch: 2 lines: 2 screened, 0 invalid")
    assert completed.returncode == ExitStatus.WARNING


@pytest.mark.parametrize("terminal", [True, False])
def test_a_progress_bar_only_on_a_terminal(tmp_path: Path, terminal: bool) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(_mixed_lines(600))
    environment = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR"}}
    if terminal:
        environment["FORCE_COLOR"] = "1"  # rich then treats standard error as a terminal
    completed = subprocess.run(
        [*COMMAND, str(source), "-o", str(tmp_path / "o.jsonl")],
        capture_output=True,
        env=environment,
        check=False,
    )
    stderr = completed.stderr.decode()
    summary = "k2safety batch: 600 lines: 300 screened, 300 invalid"
    if terminal:
        assert "screening" in stderr
        assert "100%" in stderr
        assert summary in stderr
    else:
        assert stderr.startswith(summary)
    assert len((tmp_path / "o.jsonl").read_bytes().splitlines()) == 600


def test_a_missing_input_file_exits_3_cleanly(tmp_path: Path) -> None:
    completed = command(str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "out.jsonl"))
    assert completed.returncode == ExitStatus.BAD_INPUT
    assert completed.stderr.decode().startswith(f"k2safety: {tmp_path / 'missing.jsonl'}: ")
    assert b"Traceback" not in completed.stderr


@pytest.mark.parametrize("text", ["-1", "two", "1.5"])
def test_jobs_must_be_a_whole_number(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected a whole number"):
        _jobs(text)


def test_jobs_0_means_one_per_cpu() -> None:
    assert _jobs("0") == (os.cpu_count() or 1)
    assert _jobs("3") == 3


def test_a_bug_stops_the_batch_with_status_70_after_the_lines_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import k2safety.cli._batch as batch_cli
    from k2safety._batch import screen as real_screen

    def broken(profile: Any) -> Any:
        if profile == WARNING:
            raise KeyError("a bug")
        return real_screen(profile)

    monkeypatch.setattr(batch_cli, "screen", broken)
    status, lines, stderr = batch(tmp_path, jsonl(INFO_ONLY, CRITICAL, WARNING), capsys=capsys)
    assert status == ExitStatus.BUG
    assert [line["line"] for line in lines] == [1, 2]
    assert "KeyError: 'a bug'" in stderr
    assert "while screening row 2 (0-based) of the batch" in stderr
    assert "a bug in k2safety" in stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_leaves_whole_lines_up_to_where_it_stopped(tmp_path: Path, jobs: str) -> None:
    source = tmp_path / "in.jsonl"
    total = 200_000
    source.write_bytes(_mixed_lines(total))
    output = tmp_path / "out.jsonl"
    process = subprocess.Popen(
        [*COMMAND, str(source), "-o", str(output), "--jobs", jobs],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while (not output.exists() or output.stat().st_size < 100_000) and process.poll() is None:
        assert time.monotonic() < deadline, "no output after a minute"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == ExitStatus.INTERRUPTED, stderr.decode()
    assert b"Traceback" not in stderr
    assert b"(interrupted: the output holds these lines, each complete)" in stderr
    data = output.read_bytes()
    assert data.endswith(b"\n")
    numbers = [json.loads(line)["line"] for line in data.splitlines()]
    assert 0 < len(numbers) < total
    assert numbers == list(range(1, len(numbers) + 1))
    assert f"k2safety batch: {len(numbers):,} lines".encode() in stderr


def test_the_k2safety_command_has_batch() -> None:
    completed = subprocess.run(
        [*COMMAND, "-", "--jobs", "x"],
        capture_output=True,
        check=False,
    )
    assert completed.returncode == ExitStatus.USAGE
    assert b"expected a whole number of processes" in completed.stderr
