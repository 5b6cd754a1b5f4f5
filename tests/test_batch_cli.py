"""``k2safety batch``: one result line per input line, in order, a summary, and the exit status."""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
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
    lines = [
        json.loads(line, parse_float=Decimal) for line in output.read_text("utf-8").splitlines()
    ]
    return status, lines, capsys.readouterr().err


def command(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        check=False,
        timeout=120,
    )


def as_written(report: k2safety.Report, *, full: bool) -> dict[str, Any]:
    """What a report line holds: the report as JSON, claims by id unless ``full``, and each
    amount a JSON number where it is exact (the text of the fraction otherwise)."""
    document = report.model_dump(mode="json")
    if not full:
        for finding in document["findings"]:
            finding["claims"] = [claim["id"] for claim in finding["claims"]]
    document["profile"]["mcg_per_day"] = {
        form.value: _json_amount(amount) for form, amount in report.profile.mcg_per_day.items()
    }
    return document


def _json_amount(amount: Fraction) -> int | Decimal | str:
    decimal = Decimal(amount.numerator) / Decimal(amount.denominator)
    if Fraction(decimal) == amount:
        return int(decimal) if amount.denominator == 1 else decimal
    return f"{amount.numerator}/{amount.denominator}"


def test_each_line_gets_its_report_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profiles: list[dict[str, Any]] = [CRITICAL, INFO_ONLY, NO_FINDINGS, WARNING]
    status, lines, _ = batch(tmp_path, jsonl(*profiles), capsys=capsys)
    assert [line["line"] for line in lines] == [1, 2, 3, 4]
    for line, profile in zip(lines, profiles, strict=True):
        assert set(line) == {"line", "report"}
        assert line["report"] == as_written(k2safety.check(profile), full=False)
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


# --- issue 11 ----------------------------------------------------------------------------------

KNOWLEDGE_VERSION = k2safety.check(NO_FINDINGS).knowledge_version


def test_a_report_names_its_claims_by_id_and_full_writes_them_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 8: the claims' full text in every finding of every line made 12 MB into 860 MB."""
    weekly = {"ingredient": "MK-7", "dose": "1000 mcg", "per": "week"}  # 1000/7 a day
    profiles: list[dict[str, Any]] = [
        CRITICAL,
        {
            "medications": ["warfarin"],
            "supplements": [weekly, {"ingredient": "D3", "dose": "1000 IU"}],
        },
        {"supplements": [{"ingredient": "MK-7", "dose": "12.5 mcg"}, D3]},
    ]
    _, compact, _ = batch(tmp_path, jsonl(*profiles), capsys=capsys)
    _, full, _ = batch(tmp_path, jsonl(*profiles), "--full", capsys=capsys)
    for short, whole, profile in zip(compact, full, profiles, strict=True):
        report = k2safety.check(profile)
        assert short["report"] == as_written(report, full=False)
        assert whole["report"] == as_written(report, full=True)
        # Each line still says which knowledge base its claim ids belong to.
        assert short["report"]["knowledge_version"] == KNOWLEDGE_VERSION
        for finding in short["report"]["findings"]:
            assert finding["claims"]
            assert all(isinstance(claim, str) for claim in finding["claims"])
    assert compact[0]["report"]["findings"][0]["claims"][0] == "art.anticoagulant-supervision"
    # Amounts: a JSON number where exact, the fraction's text where no decimal is.
    assert compact[0]["report"]["profile"]["mcg_per_day"] == {"MK-7": 180, "D3": 25}
    assert compact[1]["report"]["profile"]["mcg_per_day"] == {"MK-7": "1000/7", "D3": 25}
    assert compact[2]["report"]["profile"]["mcg_per_day"] == {"MK-7": Decimal("12.5"), "D3": 25}
    assert full[0]["report"]["profile"]["mcg_per_day"] == {"MK-7": 180, "D3": 25}
    # No claim's text, only its id: the statements and sources are what made lines large.
    statement = k2safety.check(CRITICAL).findings[0].claims[0].statement
    assert all(statement not in json.dumps(line, default=str) for line in compact)
    assert statement in json.dumps(full[0], default=str)


def test_full_is_what_check_format_json_prints(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(CRITICAL))
    completed = command(str(source), "--full")
    line = json.loads(completed.stdout)
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps(CRITICAL), "utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "k2safety", "check", "--format", "json", str(profile)],
        capture_output=True,
        check=False,
    )
    assert line["report"] == json.loads(checked.stdout)


def _same_file_cases(tmp_path: Path) -> Iterator[tuple[str, list[str], Any, Any]]:
    """(case, arguments, stdin, stdout) naming one file as both the input and the output."""
    data = tmp_path / "cohort.jsonl"
    yield "the same path", [str(data), "-o", str(data)], None, None
    yield "a relative path", [str(data), "-o", os.path.relpath(data)], None, None
    link = tmp_path / "hard-link.jsonl"
    yield "a hard link", [str(data), "-o", str(link)], None, None
    symlink = tmp_path / "symlink.jsonl"
    yield "a symbolic link", [str(symlink), "-o", str(data)], None, None
    yield "standard input", ["-", "-o", str(data)], "read", None
    yield "standard output", [str(data)], None, "append"


@pytest.mark.parametrize(
    "case",
    [
        "the same path",
        "a relative path",
        "a hard link",
        "a symbolic link",
        "standard input",
        "standard output",
    ],
)
def test_an_output_that_is_the_input_is_refused_before_it_is_touched(
    tmp_path: Path, case: str
) -> None:
    """Item 1: `batch same.jsonl -o same.jsonl` emptied its input and exited 0."""
    data = tmp_path / "cohort.jsonl"
    original = jsonl(CRITICAL, WARNING, INFO_ONLY)
    data.write_bytes(original)
    os.link(data, tmp_path / "hard-link.jsonl")
    (tmp_path / "symlink.jsonl").symlink_to(data)
    arguments, stdin, stdout = next(
        (arguments, stdin, stdout)
        for name, arguments, stdin, stdout in _same_file_cases(tmp_path)
        if name == case
    )
    with data.open("rb") as read, data.open("ab") as append:
        completed = subprocess.run(
            [*COMMAND, *arguments],
            stdin=read if stdin else subprocess.DEVNULL,
            stdout=append if stdout else subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT_OF_TESTS,
            check=False,
            timeout=60,
        )
    assert completed.returncode == ExitStatus.USAGE
    stderr = completed.stderr.decode()
    assert stderr.count("\n") == 1
    assert "k2safety batch: error: the output" in stderr
    assert "is the input file" in stderr
    assert data.read_bytes() == original


ROOT_OF_TESTS = Path(__file__).resolve().parent.parent


def test_a_terminal_or_a_pipe_may_be_both_input_and_output(tmp_path: Path) -> None:
    # Not files: the same device on both ends is not the input being overwritten.
    completed = command("-", stdin=jsonl(INFO_ONLY))
    assert completed.returncode == ExitStatus.OK
    assert json.loads(completed.stdout)["line"] == 1
    devnull = command(os.devnull, "-o", os.devnull)
    assert devnull.returncode == ExitStatus.OK


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("to", ["-o", ">"])
def test_a_full_disk_is_an_io_error_not_a_bug(tmp_path: Path, jobs: str, to: str) -> None:
    """Item 5: writing to a full disk said "a bug in k2safety"."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(_mixed_lines(100))
    with open("/dev/full", "wb") as full:
        completed = subprocess.run(
            [*COMMAND, str(source), "--jobs", jobs, *(["-o", "/dev/full"] if to == "-o" else [])],
            stdout=full if to == ">" else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    assert completed.returncode == ExitStatus.IO_ERROR == 74
    name = "/dev/full" if to == "-o" else "<stdout>"
    assert completed.stderr.decode() == (
        f"k2safety: {name}: cannot write: No space left on device (after 0 whole lines)\n"
    )


def test_an_output_that_cannot_be_opened_is_an_io_error(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(jsonl(INFO_ONLY))
    completed = command(str(source), "-o", str(tmp_path))
    assert completed.returncode == ExitStatus.IO_ERROR
    assert completed.stderr.decode() == f"k2safety: {tmp_path}: cannot write: Is a directory\n"


class _FillsUp(io.RawIOBase):
    """A file that takes ``room`` bytes, then writes part of a line and reports a full disk."""

    def __init__(self, file: io.FileIO, room: int) -> None:
        self.file = file
        self.room = room

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.file.fileno()

    def write(self, data: Any) -> int:
        if self.room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        count = self.file.write(bytes(data)[: self.room])
        self.room -= count
        return count


def test_a_full_disk_leaves_whole_lines_only(tmp_path: Path) -> None:
    from k2safety.cli._io import OutputError, Sink

    path = tmp_path / "out.jsonl"
    lines = [b'{"line":%d}\n' % number for number in range(1, 4)]
    with open(path, "wb", buffering=0) as file:
        sink = Sink(str(path), _FillsUp(file, room=len(lines[0]) + 5), cut_back=True)
        sink.write(lines[0])
        with pytest.raises(OutputError, match="cannot write: No space left on device"):
            sink.write(lines[1])  # 5 bytes fit, then the disk is full
    assert sink.lines == 1
    assert path.read_bytes() == lines[0]


def test_a_duplicated_key_is_an_invalid_line_not_a_silent_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Item 6: the first "medications" was silently dropped, and warfarin with it."""
    data = jsonl(
        b'{"medications": ["warfarin"], "medications": [], "supplements": [{"ingredient": "MK-7",'
        b' "dose": "180 mcg"}]}',
        b'{"supplements": [{"ingredient": "MK-7", "dose": "1 mg", "dose": "180 mcg"}]}',
        CRITICAL,
    )
    status, lines, _ = batch(tmp_path, data, "--fail-on", "never", capsys=capsys)
    assert [line["error"]["problems"] for line in lines[:2]] == [
        [{"field": "medications", "problem": "is given 2 times; a field may be given only once"}],
        [
            {
                "field": "supplements[0].dose",
                "problem": "is given 2 times; a field may be given only once",
            }
        ],
    ]
    assert [line["error"]["kind"] for line in lines[:2]] == ["invalid_profile"] * 2
    assert lines[2]["report"]["max_severity"] == "critical"
    assert status == ExitStatus.BAD_INPUT


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_number_too_long_for_python_is_that_line_s_error_and_the_batch_goes_on(
    tmp_path: Path, jobs: str
) -> None:
    """Item 2, as far as reading the line goes: it stopped the batch as "a bug" (exit 70)."""
    source = tmp_path / "in.jsonl"
    digits = b"1" + b"0" * 5000  # written as text: Python would not turn it into text
    line = b'{"supplements": [{"ingredient": "MK-7", "dose": {"value": %s, "unit": "mcg"}}]}\n'
    line %= digits
    source.write_bytes(jsonl(INFO_ONLY) + line + jsonl(CRITICAL))
    completed = command(str(source), "--jobs", jobs)
    assert completed.returncode == ExitStatus.BAD_INPUT, completed.stderr
    assert b"internal error" not in completed.stderr
    results = [json.loads(text) for text in completed.stdout.splitlines()]
    assert [result["line"] for result in results] == [1, 2, 3]
    assert results[1]["error"]["problems"] == [
        {
            "field": "supplements[0].dose.value",
            "problem": "is a number with 5,001 digits; at most 4,300 digits are accepted",
        }
    ]
    assert results[2]["report"]["max_severity"] == "critical"


def test_an_input_that_cannot_be_read_further_keeps_the_lines_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import k2safety.cli._batch as batch_cli

    class Failing(io.BytesIO):
        def __iter__(self) -> Iterator[bytes]:
            yield from jsonl(CRITICAL, INFO_ONLY).splitlines(keepends=True)
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(batch_cli, "open_input", lambda file, stack: Failing())
    output = tmp_path / "out.jsonl"
    status = run(parse("-", "-o", str(output)))
    assert status == ExitStatus.BAD_INPUT
    assert [json.loads(line)["line"] for line in output.read_bytes().splitlines()] == [1, 2]
    stderr = capsys.readouterr().err
    assert stderr.startswith("k2safety batch: 2 lines: 2 screened, 0 invalid")
    assert stderr.endswith("k2safety: <stdin>: cannot read line 3: Input/output error\n")
