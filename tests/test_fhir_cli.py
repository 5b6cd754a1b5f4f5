"""``k2safety check --fhir`` and ``k2safety batch --fhir``, end to end through a subprocess.

The public cases (``../shared/data/fhir-cases``) are read where they are, never copied; tests
that need them skip, saying why, where the folder is absent. The small bulk exports here
(several patients, grouped and interleaved, Medication references) are written by the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_cli import run

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_CASES = ROOT.parent / "shared" / "data" / "fhir-cases"
NDJSON = PUBLIC_CASES / "ndjson"
needs_public_cases = pytest.mark.skipif(
    not (PUBLIC_CASES / "manifest.json").is_file(),
    reason=f"public FHIR cases not found at {PUBLIC_CASES}",
)


def k2safety(*args: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """``python -m k2safety ARGS`` as the CLI tests run it (plain, 80-column output)."""
    return run(*map(str, args), stdin=stdin)


def order(patient: str, text: str, status: str = "active", **more: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": status,
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {"text": text},
    }
    return {**resource, **more}


def vitamin_k(patient: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": f"Patient/{patient}"},
        "medicationCodeableConcept": {"text": "Vitamin K2 MK-7 capsule"},
    }


def ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), "utf-8")
    return path


def results(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


# --- check --fhir ------------------------------------------------------------------------------


@needs_public_cases
@pytest.mark.parametrize("output", ["text", "json", "cds-hooks"])
def test_check_screens_a_public_bundle_in_every_format(output: str) -> None:
    bundle = PUBLIC_CASES / "09-hw-r4-synthea-1113837-warfarin-active-and-stopped.json"
    result = k2safety("check", "--fhir", bundle, "--format", output, "--fail-on", "never")
    assert result.returncode == 0, result.stderr
    if output == "text":
        head = result.stdout.split("\n\n")[0]
        assert head.startswith("FHIR: 6 medication resources counted, 11 set aside (status")
        assert "set aside, status stopped:" in head
        assert "Warfarin Sodium 5 MG Oral Tablet (x3)" in head
        assert "finding" in result.stdout.split("\n\n")[1]
    elif output == "json":
        document = json.loads(result.stdout)
        assert document["fhir"]["counted"] == 6
        assert document["fhir"]["set_aside_reasons"] == {"status stopped": 11}
        assert document["fhir"]["set_aside"][0]["location"] == "entry[2].resource"
        assert {"findings", "profile"} <= set(document)
    else:
        assert "cards" in json.loads(result.stdout)
        assert result.stderr.startswith("k2safety: FHIR: 6 medication resources counted")


@needs_public_cases
@pytest.mark.parametrize("path", sorted(NDJSON.glob("*.ndjson")), ids=lambda p: p.name[:2])
def test_check_reads_the_public_ndjson_like_its_bundle(path: Path) -> None:
    from_lines = json.loads(k2safety("check", "--fhir", path, "--format", "json").stdout)
    bundle = PUBLIC_CASES / f"{path.stem}.json"
    from_bundle = json.loads(k2safety("check", "--fhir", bundle, "--format", "json").stdout)
    assert from_lines["profile"] == from_bundle["profile"]
    assert from_lines["fhir"]["set_aside_reasons"] == from_bundle["fhir"]["set_aside_reasons"]
    assert from_lines["fhir"]["set_aside"][0]["location"].startswith("line ")
    # Through standard input too.
    piped = k2safety("check", "--fhir", "-", "--format", "json", stdin=path.read_bytes())
    assert json.loads(piped.stdout)["profile"] == from_bundle["profile"]


def test_check_fhir_warfarin_and_vitamin_k_without_a_dose_is_critical(tmp_path: Path) -> None:
    file = ndjson(tmp_path / "p.ndjson", [order("a", "warfarin 5 mg"), vitamin_k("a")])
    result = k2safety("check", "--fhir", file)
    assert result.returncode == 2, result.stderr
    assert "CRITICAL  K2-VKA" in result.stdout
    assert "dose not stated" in result.stdout.split("\n\n")[0]


def test_check_fhir_a_medication_coded_only_in_snomed_is_not_a_clean_screen(
    tmp_path: Path,
) -> None:
    """Warfarin coded only in SNOMED CT, which k2safety does not read, with MK-7: once set
    aside as naming no medication (exit 0, a clean screen); now a medication not recognized."""
    snomed = order(
        "a",
        "x",
        id="w1",
        medicationCodeableConcept={
            "coding": [{"system": "http://snomed.info/sct", "code": "372756006"}]
        },
    )
    file = ndjson(tmp_path / "p.ndjson", [snomed, vitamin_k("a")])
    result = k2safety("check", "--fhir", file)
    assert result.returncode == 1, result.stderr
    assert "WARNING  K2-INCOMPLETE-SCREEN" in result.stdout
    head = " ".join(result.stdout.split("\n\n")[0].split())
    assert "2 medication resources counted, 0 set aside" in head
    assert "MedicationRequest/w1 (line 1): names its medication only by SNOMED CT 372756006" in head
    document = json.loads(k2safety("check", "--fhir", file, "--format", "json").stdout)
    assert document["screening_complete"] is False
    assert document["profile"]["unrecognized_medications"] == ["SNOMED CT 372756006"]


def test_check_fhir_a_failed_prefetch_is_not_a_clean_screen(tmp_path: Path) -> None:
    request = {
        "hook": "patient-view",
        "context": {"patientId": "a"},
        "prefetch": {
            "medicationRequests": {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "timeout"}],
            },
            "medicationStatements": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"resource": vitamin_k("a")}],
            },
        },
    }
    file = tmp_path / "hook.json"
    file.write_text(json.dumps(request), "utf-8")
    result = k2safety("check", "--fhir", file, "--format", "json")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["profile"]["unrecognized_medications"] == [
        "medications not read: prefetch.medicationRequests is an OperationOutcome (timeout)"
    ]
    (note,) = (n for n in document["fhir"]["notes"] if n["resource_type"] == "OperationOutcome")
    assert note["location"] == "prefetch.medicationRequests"


def test_check_fhir_needs_a_patient_for_several_and_takes_one(tmp_path: Path) -> None:
    file = ndjson(tmp_path / "two.ndjson", [order("a", "warfarin"), order("b", "metformin")])
    result = k2safety("check", "--fhir", file)
    assert result.returncode == 3
    assert "is about 2 patients (a, b); choose one with patient=" in result.stderr
    chosen = k2safety("check", "--fhir", file, "--patient", "Patient/b", "--format", "json")
    assert chosen.returncode == 0, chosen.stderr
    document = json.loads(chosen.stdout)
    assert document["fhir"]["patient"] == "b"
    assert document["fhir"]["other_patients"] == 1


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (
            b'{"resourceType": "MedicationRequest", "id": "o1", "status": 3}',
            "status: must be text, got a number (MedicationRequest/o1, resource 0)",
        ),
        (b"{not json", "is not JSON"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b'{"x": 1}', "has no resourceType"),
    ],
)
def test_check_fhir_errors_exit_3_naming_resource_and_field(stdin: bytes, message: str) -> None:
    result = k2safety("check", "--fhir", "-", stdin=stdin)
    assert result.returncode == 3
    assert result.stderr.startswith("k2safety: <stdin>: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_check_fhir_usage_errors_exit_4() -> None:
    assert k2safety("check", "examples/warfarin_mk7.json", "--fhir", "-").returncode == 4
    assert k2safety("check", "examples/warfarin_mk7.json", "--patient", "a").returncode == 4
    missing = k2safety("check", "--fhir", "no-such-file.json")
    assert missing.returncode == 3
    assert "cannot read the file" in missing.stderr


# --- batch --fhir ------------------------------------------------------------------------------


@needs_public_cases
def test_batch_screens_the_public_bulk_ndjson_one_line_per_patient() -> None:
    files = sorted(NDJSON.glob("*.ndjson"))
    joined = b"".join(path.read_bytes() for path in files)
    result = k2safety("batch", "--fhir", "-", stdin=joined)
    assert result.returncode == 0, result.stderr
    lines = results(result.stdout)
    patients = [json.loads(path.read_text("utf-8").splitlines()[0])["id"] for path in files]
    assert [line["patient"] for line in lines] == patients
    for line, path in zip(lines, files, strict=True):
        single = json.loads(k2safety("check", "--fhir", path, "--format", "json").stdout)
        assert line["report"]["profile"] == single["profile"]
        assert line["fhir"]["counted"] == single["fhir"]["counted"]
        assert line["fhir"]["set_aside_reasons"] == single["fhir"]["set_aside_reasons"]
        assert all(isinstance(entry["line"], int) for entry in line["fhir"]["set_aside"])
        assert isinstance(line["report"]["findings"][0]["claims"][0], str)  # claims by id
        assert "knowledge_version" in line["report"]
    assert "27 lines, 2 results" in result.stderr
    assert "each patient's lines were consecutive" in result.stderr


def _cohort() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Patient", "id": "a"},
        order("a", "warfarin 5 mg"),
        vitamin_k("a"),
        order("b", "apixaban 5 mg"),
        order("b", "aspirin 81 mg", status="stopped"),
        order("c", "metformin 500 mg"),
    ]


def test_batch_fhir_grouped_input_streams_one_result_per_patient(tmp_path: Path) -> None:
    file = ndjson(tmp_path / "cohort.ndjson", _cohort())
    for jobs in ("1", "2"):
        result = k2safety("batch", "--fhir", file, "--jobs", jobs)
        assert result.returncode == 2, result.stderr
        lines = results(result.stdout)
        assert [(line["patient"], line["line"]) for line in lines] == [
            ("a", 2),
            ("b", 4),
            ("c", 6),
        ]
        assert lines[0]["report"]["max_severity"] == "critical"
        assert lines[1]["fhir"]["set_aside"] == [
            {
                "resource_type": "MedicationRequest",
                "id": None,
                "line": 5,
                "reason": "status stopped",
                "medication": "aspirin 81 mg",
            }
        ]
        assert not any("continued" in line for line in lines)
        assert "6 lines, 3 results: 3 screened, 0 invalid" in result.stderr
        assert "5 medication resources: 4 counted, 1 set aside" in result.stderr


def test_batch_fhir_interleaved_input_is_reported_or_gathered(tmp_path: Path) -> None:
    cohort = _cohort()
    # a's vitamin K comes after b's lines: a's lines are not consecutive.
    interleaved = [cohort[1], cohort[3], cohort[2], cohort[5], cohort[4]]
    file = ndjson(tmp_path / "interleaved.ndjson", interleaved)
    streamed = k2safety("batch", "--fhir", file)
    assert streamed.returncode == 3  # the results cannot be trusted to be whole
    lines = results(streamed.stdout)
    assert [(line["patient"], line.get("continued", False)) for line in lines] == [
        ("a", False),
        ("b", False),
        ("a", True),
        ("c", False),
        ("b", True),
    ]
    assert "interleaved input: the lines of 2 patients came back" in streamed.stderr
    assert "(first: a at line 3)" in streamed.stderr
    assert "--any-order" in streamed.stderr
    # Gathered on disk, each patient is screened whole: a's warfarin meets a's vitamin K.
    gathered = k2safety("batch", "--fhir", file, "--any-order")
    assert gathered.returncode == 2, gathered.stderr
    lines = results(gathered.stdout)
    assert [(line["patient"], line["line"]) for line in lines] == [("a", 1), ("b", 2), ("c", 4)]
    assert lines[0]["report"]["findings"][0]["code"] == "K2-VKA"
    assert lines[1]["fhir"]["set_aside"][0]["line"] == 5
    assert "--any-order: each patient's lines were gathered" in gathered.stderr


def test_batch_fhir_resolves_medication_references(tmp_path: Path) -> None:
    warfarin = {
        "resourceType": "Medication",
        "id": "w",
        "code": {
            "coding": [
                {
                    "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                    "code": "855332",
                    "display": "Warfarin Sodium 5 MG Oral Tablet",
                }
            ]
        },
    }
    by_reference = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "subject": {"reference": "Patient/a"},
        "medicationReference": {"reference": "Medication/w"},
    }
    requests = ndjson(tmp_path / "MedicationRequest.ndjson", [by_reference, vitamin_k("a")])
    medications = ndjson(tmp_path / "Medication.ndjson", [warfarin])
    # From --fhir-medications, loaded first.
    result = k2safety("batch", "--fhir", requests, "--fhir-medications", medications)
    assert result.returncode == 2, result.stderr
    (line,) = results(result.stdout)
    (medication,) = line["report"]["profile"]["medications"]
    assert medication["matches"][0]["matched_by"] == "rxnorm"
    assert line["report"]["findings"][0]["code"] == "K2-VKA"
    # From Medication lines earlier in the input itself.
    both = ndjson(tmp_path / "both.ndjson", [warfarin, by_reference, vitamin_k("a")])
    result = k2safety("batch", "--fhir", both)
    assert result.returncode == 2, result.stderr
    assert "1 Medication or Substance lines held" in result.stderr
    # Without it, the reference points at nothing: the order counts, as a medication not
    # recognized (never set aside), and the screen with vitamin K planned is incomplete.
    alone = k2safety("batch", "--fhir", requests)
    (line,) = results(alone.stdout)
    assert line["fhir"]["set_aside_reasons"] == {}
    assert line["fhir"]["counted"] == 2
    report = line["report"]
    assert report["profile"]["unrecognized_medications"] == ["Medication/w (not in the input)"]
    assert report["screening_complete"] is False
    assert "K2-INCOMPLETE-SCREEN" in [finding["code"] for finding in report["findings"]]


def test_batch_fhir_bad_lines_and_bad_resources_are_error_lines(tmp_path: Path) -> None:
    text = (
        json.dumps(order("a", "warfarin"))
        + "\n{not json\n"
        + json.dumps({"resourceType": "MedicationRequest", "status": "active"})
        + "\n"
        + json.dumps(order("b", "x", status=3))  # type: ignore[arg-type]
        + "\n\n"
    )
    file = tmp_path / "bad.ndjson"
    file.write_text(text, "utf-8")
    result = k2safety("batch", "--fhir", file, "--fail-on", "never")
    assert result.returncode == 3
    lines = results(result.stdout)
    assert (lines[0]["line"], lines[0]["error"]["kind"]) == (2, "not_json")
    assert (lines[1]["line"], lines[1]["error"]["kind"]) == (3, "no_patient")
    assert lines[2]["patient"] == "a"
    assert "report" in lines[2]
    assert lines[3]["patient"] == "b"
    assert lines[3]["error"]["kind"] == "invalid_resource"
    assert lines[3]["error"]["problems"][0]["field"] == "line 4.status"
    assert "Traceback" not in result.stderr


def test_batch_fhir_compact_lines_are_read_as_spaced_ones_a_key_twice_refused(
    tmp_path: Path,
) -> None:
    """Bulk exports write compact lines, which are classified without the pattern: the same
    lines with spaces, a Patient line either way, and a key given twice on a compact line."""
    twice = json.dumps(order("a", "warfarin"), separators=(",", ":")).replace(
        '"status":"active"', '"status":"stopped","status":"active"'
    )
    lines = [
        '{"resourceType":"Patient","id":"a"}',
        '{ "resourceType" : "Patient", "id": "a" }',
        json.dumps(order("a", "warfarin"), separators=(",", ":")),
        json.dumps(order("a", "digoxin")),
        twice,
        '{"resourceType":"Medication\\u0052equest","status":"active"}',
    ]
    file = tmp_path / "compact.ndjson"
    file.write_text("\n".join(lines) + "\n", "utf-8")
    result = k2safety("batch", "--fhir", file, "--fail-on", "never")
    assert result.returncode == 3
    bad_twice, bad_escaped, patient = results(result.stdout)
    assert (bad_twice["line"], bad_twice["error"]["kind"]) == (5, "not_json")
    assert bad_twice["error"]["message"] == (
        "status: is given 2 times; a field may be given only once"
    )
    # An escape in the type: not read without parsing, and then a medication resource.
    assert (bad_escaped["line"], bad_escaped["error"]["kind"]) == (6, "no_patient")
    assert (patient["patient"], patient["line"], patient["fhir"]["counted"]) == ("a", 3, 2)
    assert "3 medication resources" in result.stderr
    assert "2 lines of other types not read" in result.stderr


def test_batch_fhir_options_need_fhir(tmp_path: Path) -> None:
    file = ndjson(tmp_path / "x.ndjson", [])
    result = k2safety("batch", file, "--any-order")
    assert result.returncode == 4
    assert "give --fhir" in result.stderr
    missing = k2safety("batch", "--fhir", file, "--fhir-medications", tmp_path / "none.ndjson")
    assert missing.returncode == 3


# --- the docs ----------------------------------------------------------------------------------


def test_the_from_fhir_page_shows_what_the_commands_print(tmp_path: Path) -> None:
    """Each ``$ k2safety ...`` block of the page's command-line section is what the command
    prints (standard output, then standard error), up to a ``[...]`` that stands for the rest
    of a line, or of the output."""
    import re
    import shlex

    page = (ROOT / "docs" / "how-to" / "from-fhir.md").read_text("utf-8")
    section = page.split("## From the command line", 1)[1].split("\n## ", 1)[0]
    export = re.search(r"```json\n(.*?)```", section, re.DOTALL)
    assert export is not None
    (tmp_path / "export.ndjson").write_text(export[1], "utf-8")
    blocks = re.findall(r"```text\n\$ (.*?)\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2
    for command, shown in blocks:
        completed = subprocess.run(
            [sys.executable, "-m", "k2safety", *shlex.split(command)[1:]],
            cwd=tmp_path,
            capture_output=True,
            check=False,
            env={"COLUMNS": "80", "PATH": "", "NO_COLOR": "1"},
        )
        printed = (completed.stdout + completed.stderr).decode("utf-8")
        expected = shown.rstrip("\n").split("\n")
        if expected[-1] == "[...]":
            expected.pop()
            printed_lines = printed.split("\n")[: len(expected)]
        else:
            printed_lines = printed.rstrip("\n").split("\n")
        assert len(printed_lines) == len(expected), command
        for got, want in zip(printed_lines, expected, strict=True):
            pattern = ".*".join(map(re.escape, want.split("[...]")))
            assert re.fullmatch(pattern, got), (command, got, want)


def test_batch_fhir_refuses_a_bundle_line_rather_than_counting_it(tmp_path: Path) -> None:
    """A Bundle's entries could be any patient's medications: a line holding one is an error,
    never one of the "other types" that are only counted (outside review 4)."""
    bundle = {"resourceType": "Bundle", "type": "collection"}
    bundle["entry"] = [{"resource": order("p2", "warfarin")}]
    spaced = {"type": "collection", "resourceType": "Bundle", "entry": []}
    file = ndjson(tmp_path / "bundle.ndjson", [vitamin_k("p2"), bundle, spaced])
    result = k2safety("batch", "--fhir", file, "--fail-on", "never")
    assert result.returncode == 3
    errors = [line for line in results(result.stdout) if "error" in line]
    assert [(line["line"], line["error"]["kind"]) for line in errors] == [
        (2, "bundle"),
        (3, "bundle"),
    ]
