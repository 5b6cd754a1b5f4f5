"""k2safety.fhir: public FHIR cases, the project's own small cases, statuses, doses, errors.

The public cases (``../shared/data/fhir-cases``) and value sets (``../shared/data/
anticoagulant-valuesets``) are read where they are and never copied; the tests that need them
skip, saying why, where the folder is absent. ``tests/fhir_cases`` holds what public data lacks:
R5, vitamin K supplements with dosage, several codings, every ``medication[x]`` shape.
"""

from __future__ import annotations

import copy
import json
import pickle
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import k2safety
from k2safety import Form, Profile, ProfileError
from k2safety import strategies as k2st
from k2safety.fhir import FhirReading, Note, SetAside, profile_from_fhir, read_fhir

ROOT = Path(__file__).resolve().parent.parent
OWN_CASES = Path(__file__).parent / "fhir_cases"
SHARED = ROOT.parent / "shared" / "data"
PUBLIC_CASES = SHARED / "fhir-cases"
VALUE_SETS = SHARED / "anticoagulant-valuesets"

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
VITAMIN_K = {"ingredient": "MK-7", "dose": "100 mcg"}


def own_case(name: str) -> Any:
    return json.loads((OWN_CASES / f"{name}.json").read_text("utf-8"))


def anticoagulant_class(profile: Profile) -> str:
    """The class the manifest expects: vka before other anticoagulants, else none."""
    report = k2safety.check(profile)
    classes = {
        m.drug_class for medication in report.profile.medications for m in medication.matches
    }
    return next((name for name in ("vka", "other_anticoagulant") if name in classes), "none")


def with_vitamin_k(profile: Profile) -> dict[str, Any]:
    data = profile.model_dump(mode="json", exclude_none=True)
    data["supplements"] = [*data["supplements"], VITAMIN_K]
    return data


def request(medication: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A MedicationRequest for warfarin, with ``fields`` changed."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "order",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": medication
        or {"coding": [{"system": RXNORM, "code": "855332", "display": "Warfarin Sodium 5 MG"}]},
    }
    resource.update(fields)
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


# --- public cases ------------------------------------------------------------------------------


def _manifest_cases() -> list[Any]:
    manifest = PUBLIC_CASES / "manifest.json"
    if not manifest.is_file():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(reason=f"public FHIR cases not found at {PUBLIC_CASES}"),
                id="absent",
            )
        ]
    cases = json.loads(manifest.read_text("utf-8"))["cases"]
    return [pytest.param(case, id=case["file"][:2]) for case in cases]


@pytest.mark.parametrize("case", _manifest_cases())
def test_every_public_case_gives_the_expected_anticoagulant_class(case: dict[str, Any]) -> None:
    data = json.loads((PUBLIC_CASES / case["file"]).read_text("utf-8"))
    reading = read_fhir(data)
    expected = case["expected"]["anticoagulant_class_by_issue_rule"]
    assert anticoagulant_class(reading.profile) == expected, case["notes"]
    # With a vitamin K supplement planned, the anticoagulant rules say so (or stay silent).
    codes = k2safety.check(with_vitamin_k(reading.profile)).codes
    assert ("K2-VKA" in codes) == (expected == "vka")
    assert ("K2-ANTICOAGULANT" in codes) == (expected == "other_anticoagulant") or (
        expected == "vka" and "K2-ANTICOAGULANT" in codes  # both classes taken (case 11)
    )
    # Every medication resource is counted or set aside, never lost.
    total = case["expected"]["medication_record_count"]
    assert reading.counted + len(reading.set_aside) == total


def test_the_bulk_ndjson_files_read_as_their_bundles() -> None:
    folder = PUBLIC_CASES / "ndjson"
    if not folder.is_dir():
        pytest.skip(f"public FHIR cases not found at {PUBLIC_CASES}")
    files = sorted(folder.glob("*.ndjson"))
    assert files
    for path in files:
        with path.open(encoding="utf-8") as lines:
            from_lines = read_fhir(lines)
        as_bundle = read_fhir(json.loads((PUBLIC_CASES / f"{path.stem}.json").read_text("utf-8")))
        assert from_lines.profile == as_bundle.profile
        assert from_lines.set_aside_reasons == as_bundle.set_aside_reasons
        assert read_fhir(path.read_bytes()).profile == as_bundle.profile
        assert from_lines.set_aside[0].location.startswith("line ")


def _value_set(name: str) -> list[dict[str, str]]:
    path = VALUE_SETS / name
    if not path.is_file():
        pytest.skip(f"anticoagulant value sets not found at {VALUE_SETS}")
    rows: list[dict[str, str]] = json.loads(path.read_text("utf-8"))
    return rows


def test_value_set_codings_read_as_the_profile_reads_name_and_code() -> None:
    """Reading a coding loses nothing: the classes are those of {"name", "rxnorm"} itself."""
    rows = _value_set("rxnorm_anticoagulants.json") + _value_set("rxnorm_controls.json")
    for row in rows:
        coding = {"system": RXNORM, "code": row["code"], "display": row["display"]}
        profile = profile_from_fhir([request({"coding": [coding]})])
        (medication,) = profile.medications
        assert medication.rxnorm == row["code"]
        assert medication.name is not None
        assert row["display"].startswith(medication.name)
        direct = Profile.model_validate(
            {"medications": [{"name": row["display"][:200], "rxnorm": row["code"]}]}
        )
        assert anticoagulant_class(profile) == anticoagulant_class(direct), row
        if row["expected"] == "not_anticoagulant":
            assert anticoagulant_class(profile) == "none", row


# --- own cases ---------------------------------------------------------------------------------


def test_set_aside_reasons_come_most_frequent_first_ties_in_the_order_first_seen() -> None:
    statuses = ["ended", "completed", "stopped", "cancelled", "stopped", "completed", "stopped"]
    reading = read_fhir([request(status=status, id=f"o{n}") for n, status in enumerate(statuses)])
    assert list(reading.set_aside_reasons.items()) == [
        ("status stopped", 3),
        ("status completed", 2),
        ("status ended", 1),
        ("status cancelled", 1),
    ]
    assert reading.set_aside_reasons is not reading.set_aside_reasons  # a new dict each time


def test_r5_shapes_statuses_and_a_vitamin_k_administration() -> None:
    reading = read_fhir(own_case("r5-bundle"))
    names = [(m.name, m.atc) for m in reading.profile.medications]
    # medication.reference to a bundled Medication: its code and its ingredient's ATC code.
    assert names == [("Warfarin 5 mg tablet", "B01AA03"), ("warfarin", None)]
    supplements = {s.ingredient: s.mcg_per_day for s in reading.profile.supplements}
    assert supplements == {Form.MK7: 100, Form.K1: 2500}
    assert reading.set_aside_reasons == {"status declined": 1, "status ended": 1}
    assert reading.counted == 3
    assert reading.other_resources == 3  # Patient, Medication, Observation
    assert reading.patient == "r5-patient"
    assert [note.text for note in reading.notes] == [
        "dosage.dose: one administration, read as one dose a day"
    ]
    assert k2safety.check(reading.profile).codes[0] == "K2-VKA"


def test_vitamin_supplements_with_dosage_become_exact_daily_amounts() -> None:
    reading = read_fhir(own_case("vitamin-supplements-r4"))
    supplements = [
        (s.ingredient, s.dose, s.mcg_per_day)
        for s in reading.profile.supplements
        if not isinstance(s, k2safety.Product)
    ]
    assert supplements == [
        (Form.MK7, "100 mcg/day", Fraction(100)),  # and its dispense of 0.1 mg a day: once
        (Form.MK4, "45000 mcg/day", Fraction(45000)),  # 15 mg three times a day
        # 50,000 IU a month of 30.4375 days, at 40 IU a microgram
        (Form.D3, "800000 IU/(487 day)", Fraction(50000 * 16, 487) / 40),
    ]
    # "dose not stated": a product entry without an amount, and the reading says so.
    assert [m.name for m in reading.profile.medications] == ["Warfarin Sodium 5 MG Oral Tablet"]
    (product,) = [s for s in reading.profile.supplements if isinstance(s, k2safety.Product)]
    assert product.product == "Vitamin K2 drops"
    assert [(row.ingredient, row.amount) for row in product.per_serving] == [("K2", None)]
    (note,) = reading.notes
    assert note.id == "k2-no-dose"
    assert "no dose is stated: listed as a product of which no amount is stated" in note.text
    report = k2safety.check(reading.profile)
    assert {"K2-VKA", "K2-MK4-HIGH-DOSE", "K2-DOSE-NOT-STATED"} <= set(report.codes)


def test_every_coding_counts_text_first() -> None:
    reading = read_fhir(own_case("several-codings"))
    entries = [m.model_dump(exclude_none=True) for m in reading.profile.medications]
    assert entries == [
        {"name": "Warfarin 5 mg tablet", "atc": "B01AA03", "rxnorm": "855332"},
        {
            "name": "Product containing precisely warfarin sodium 5 milligram/1 each "
            "conventional release oral tablet"
        },
        {"name": "Coumadin 5mg tablet"},
        {"name": "Warfarin Sodium 5 MG Oral Tablet"},
        {"name": "warfarin"},
        {"rxnorm": "11289"},  # given as the JSON number 11289
    ]
    only_codes = request({"coding": [{"system": ATC, "code": "B01AA03"}]})
    assert anticoagulant_class(profile_from_fhir(only_codes)) == "vka"


def test_every_medication_shape_of_stu3_and_r4() -> None:
    reading = read_fhir(own_case("medication-shapes-stu3"))
    entries = [m.model_dump(exclude_none=True) for m in reading.profile.medications]
    assert entries == [
        {"name": "Xarelto 20 mg"},  # medicationCodeableConcept
        {"name": "Coumadin 2mg tablet"},  # contained '#m1', NDC coding's display
        {"name": "apixaban", "rxnorm": "1364430"},  # urn:uuid fullUrl
        {"name": "Vial, 5 mL", "rxnorm": "5224"},  # Medication/id: code, ingredient[] code
        {"name": "heparin"},
        {"name": "sterile water"},  # an ingredient's itemReference to a Substance
        {"name": "water for injection"},
        {"name": "Lovenox 40 mg"},  # a reference to nothing in the input: its display
    ]
    assert reading.set_aside == (
        SetAside(
            "MedicationAdministration",
            "not-given",
            9,
            "entry[9].resource",
            "notGiven",
            "dabigatran 150 mg",
        ),
    )
    assert reading.notes == (
        Note(
            "MedicationStatement",
            "by-missing-reference",
            8,
            "entry[8].resource",
            "medicationReference.reference 'Medication/not-here' points at nothing in the "
            "input; its display was read",
        ),
    )


# --- status, by resource type -------------------------------------------------------------------

ORDER_TAKEN = ["active", "on-hold", "draft", "intended", "unknown", "recorded", None]
ORDER_NOT_TAKEN = ["stopped", "completed", "cancelled", "entered-in-error", "not-taken", "ended"]
EVENT_TAKEN = ["preparation", "in-progress", "on-hold", "completed", "unknown", None]
EVENT_NOT_TAKEN = ["cancelled", "entered-in-error", "stopped", "declined", "not-done"]


def _status_cases() -> list[tuple[str, str | None, bool]]:
    cases = []
    for kind in ("MedicationRequest", "MedicationStatement"):
        cases += [(kind, status, True) for status in ORDER_TAKEN]
        cases += [(kind, status, False) for status in ORDER_NOT_TAKEN]
    for kind in ("MedicationDispense", "MedicationAdministration"):
        cases += [(kind, status, True) for status in EVENT_TAKEN]
        cases += [(kind, status, False) for status in EVENT_NOT_TAKEN]
    return cases


@pytest.mark.parametrize(("kind", "status", "taken"), _status_cases())
def test_status_decides_taken_by_resource_type(kind: str, status: str | None, taken: bool) -> None:
    resource = request(resourceType=kind, status=status)
    if status is None:
        del resource["status"]
    reading = read_fhir(resource)
    assert anticoagulant_class(reading.profile) == ("vka" if taken else "none")
    assert reading.counted == taken
    if not taken:
        assert reading.set_aside == (
            SetAside(kind, "order", 0, "", f"status {status}", "Warfarin Sodium 5 MG"),
        )
    assert not reading.notes  # every one of these statuses is known


@pytest.mark.parametrize(
    ("kind", "field", "value", "reason"),
    [
        ("MedicationRequest", "doNotPerform", True, "doNotPerform"),
        ("MedicationStatement", "taken", "n", "taken n"),
        ("MedicationDispense", "notDone", True, "notDone"),
        ("MedicationAdministration", "notGiven", True, "notGiven"),
    ],
)
def test_what_did_not_happen_is_set_aside(
    kind: str, field: str, value: object, reason: str
) -> None:
    resource = request(resourceType=kind)
    resource[field] = value
    assert read_fhir(resource).set_aside_reasons == {reason: 1}
    resource[field] = False if value is True else "y"
    assert read_fhir(resource).counted == 1


def test_an_unknown_status_counts_and_says_so() -> None:
    reading = read_fhir(request(status="suspended"))
    assert reading.counted == 1
    assert "'suspended' is not known for a MedicationRequest: counted" in reading.notes[0].text


def test_the_ips_no_information_placeholder_is_set_aside() -> None:
    absent = {
        "coding": [
            {
                "system": "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips",
                "code": "no-medication-info",
                "display": "No information about medications",
            }
        ]
    }
    reading = read_fhir(request(absent, resourceType="MedicationStatement", status="unknown"))
    assert reading.profile.medications == ()
    assert reading.set_aside_reasons == {"says there is no information": 1}


# --- dosage --------------------------------------------------------------------------------------


def _vitamin(
    dosages: list[dict[str, Any]], name: str = "dosageInstruction", text: str = "MK-7"
) -> Any:
    return request({"text": text}, **{name: dosages})


def _daily(*dosages: dict[str, Any]) -> tuple[Fraction, ...]:
    profile = profile_from_fhir(_vitamin(list(dosages)))
    return tuple(s.mcg_per_day for s in profile.supplements)


def _dose(value: object, ucum: str = "ug", timing: dict[str, Any] | None = None) -> dict[str, Any]:
    dosage: dict[str, Any] = {
        "doseAndRate": [{"doseQuantity": {"value": value, "system": UCUM, "code": ucum}}]
    }
    if timing is not None:
        dosage["timing"] = timing
    return dosage


@pytest.mark.parametrize(
    ("unit", "days"),
    [
        ("s", Fraction(1, 86400)),
        ("min", Fraction(1, 1440)),
        ("h", Fraction(1, 24)),
        ("d", 1),
        ("wk", 7),
        ("mo", Fraction(30_4375, 10_000)),
        ("a", Fraction(365_25, 100)),
    ],
)
def test_every_period_unit_is_exact(unit: str, days: Fraction) -> None:
    repeat = {"frequency": 2, "period": 3, "periodUnit": unit}
    assert _daily(_dose(0.03, timing={"repeat": repeat})) == (Fraction(6, 100) / (3 * days),)


def test_doses_in_every_unit_and_shape() -> None:
    every_day = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
    assert _daily(_dose(0.1, "mg", every_day)) == (Fraction(100),)
    assert _daily(_dose(180, "mcg", every_day)) == (Fraction(180),)
    assert _daily(_dose(180000, "ng", every_day)) == (Fraction(180),)
    stu3 = {"doseQuantity": {"value": 45, "unit": "µg"}, "timing": every_day}
    assert _daily(stu3) == (Fraction(45),)
    ranged = {
        "doseAndRate": [
            {"doseRange": {"low": {"value": 1, "code": "ug"}, "high": {"value": 2, "code": "ug"}}}
        ]
    }
    assert _daily({**ranged, "timing": every_day}) == (Fraction(2),)  # the high end
    most = {"repeat": {"frequency": 1, "frequencyMax": 3, "period": 1, "periodUnit": "d"}}
    assert _daily(_dose(10, timing=most)) == (Fraction(30),)  # frequencyMax: the most it may be
    assert _daily(_dose(10, timing={"repeat": {"timeOfDay": ["08:00:00", "20:00:00"]}})) == (
        Fraction(20),
    )
    bid = {
        "code": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation",
                    "code": "BID",
                }
            ]
        }
    }
    assert _daily(_dose(10, timing=bid)) == (Fraction(20),)
    d3 = profile_from_fhir(_vitamin([_dose(2000, "[iU]", every_day)], text="cholecalciferol"))
    assert d3.supplements[0].dose == "2000 IU/day"


def test_concurrent_dosages_add_up_and_consecutive_ones_do_not() -> None:
    day = {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}}
    together = [_dose(100, timing=day), _dose(50, timing=day)]
    assert _daily(*together) == (Fraction(150),)
    taper = [{**_dose(100, timing=day), "sequence": 1}, {**_dose(300, timing=day), "sequence": 2}]
    assert _daily(*taper) == (Fraction(300),)


def test_a_dose_without_timing_is_one_a_day_and_noted() -> None:
    reading = read_fhir(_vitamin([_dose(100)]))
    assert reading.profile.supplements[0].mcg_per_day == 100
    assert (
        reading.notes[0].text == "dosageInstruction[0].timing is not given: read as one dose a day"
    )


def test_a_statement_reads_its_dosage() -> None:
    statement = _vitamin([_dose(100)], name="dosage", text="phytonadione")
    statement["resourceType"] = "MedicationStatement"
    assert profile_from_fhir(statement).supplements[0].ingredient is Form.K1


@pytest.mark.parametrize(
    ("dosages", "why"),
    [
        ([], "no dose is stated"),
        ([_dose(1, "{tablet}")], "its dose is in '{tablet}', not an amount of it"),
        ([_dose(1, "ug"), _dose(40, "[iU]")], "its doses mix IU and units of mass"),
    ],
)
def test_no_amount_lists_a_product_whose_dose_is_not_stated(dosages: list[Any], why: str) -> None:
    reading = read_fhir(_vitamin(dosages, text="Vitamin D3 1000 unit tablet"))
    (product,) = reading.profile.supplements
    assert isinstance(product, k2safety.Product)
    assert product.product == "Vitamin D3 1000 unit tablet"
    assert [(row.ingredient, row.amount) for row in product.per_serving] == [("D3", None)]
    assert reading.profile.medications == ()
    assert f"is vitamin D3, but {why}: listed as a product of which no amount" in (
        reading.notes[-1].text
    )


def test_a_product_of_several_vitamins_is_a_product_whose_doses_are_not_stated() -> None:
    reading = read_fhir(_vitamin([_dose(100)], text="Vitamin D3 + K2 MK-7"))
    (product,) = reading.profile.supplements
    assert isinstance(product, k2safety.Product)
    assert [(row.ingredient, row.amount) for row in product.per_serving] == [
        ("D3", None),
        ("MK-7", None),
    ]
    assert "names vitamin D3 and MK-7 (vitamin K2)" in reading.notes[-1].text


def test_warfarin_and_a_vitamin_k_product_without_a_dose_fire_k2_vka() -> None:
    """Before "dose not stated" could be said, such a product was a medication by name and the
    rules did not count it as vitamin K: a warfarin user's vitamin K got no K2-VKA."""
    warfarin = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "medicationCodeableConcept": {"text": "Warfarin Sodium 5 MG Oral Tablet"},
    }
    vitamin_k = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {"text": "Vitamin K2 MK-7 capsule"},
    }
    report = k2safety.check(read_fhir([warfarin, vitamin_k]).profile)
    assert report.codes[0] == "K2-VKA"
    assert "K2-DOSE-NOT-STATED" in report.codes


def test_a_vitamin_product_that_names_a_medication_is_both() -> None:
    reading = read_fhir(_vitamin([_dose(100)], text="warfarin with vitamin K1"))
    assert [s.ingredient for s in reading.profile.supplements] == [Form.K1]
    assert [m.name for m in reading.profile.medications] == ["warfarin with vitamin K1"]


def test_vitamin_k_in_iu_is_refused_at_its_dose() -> None:
    with pytest.raises(ProfileError) as error:
        read_fhir(_vitamin([_dose(100, "[iU]")]))
    ((path, text),) = error.value.problems
    assert path == "dosageInstruction[0].doseAndRate[0].doseQuantity"
    assert "MK-7 cannot be dosed in IU" in text
    assert "(MedicationRequest/order, resource 0)" in text


# --- input shapes, patients, dedupe --------------------------------------------------------------


def test_every_input_shape_reads_the_same() -> None:
    resource = request()
    expected = read_fhir(bundle(resource)).profile
    text = json.dumps(resource)
    for data in (
        resource,
        [resource],
        (resource,),
        iter([resource]),
        text,
        text.encode(),
        f"{text}\n\n{text}\n",
        [text, "", text],
        json.dumps(bundle(resource), indent=2),
        [bundle(resource)],
    ):
        assert profile_from_fhir(data) == expected


def test_cds_hooks_requests_read_draft_orders_and_prefetch() -> None:
    warfarin = request()
    ketorolac = request({"text": "ketorolac 10 mg"}, status="draft", id=None)
    body = {
        "hook": "order-sign",
        "context": {"patientId": "p1", "draftOrders": bundle(ketorolac)},
        "prefetch": {"meds": bundle(warfarin), "patient": {"resourceType": "Patient", "id": "p1"}},
    }
    reading = read_fhir(body)
    assert [m.name for m in reading.profile.medications] == [
        "ketorolac 10 mg",
        "Warfarin Sodium 5 MG",
    ]
    stu3 = {"context": {"medications": {"resourceType": "Bundle", "entry": [warfarin]}}}
    assert anticoagulant_class(profile_from_fhir(stu3)) == "vka"
    wrapped = {
        "context": {
            "prefetch": {"item1": {"response": {"status": "200"}, "resource": bundle(warfarin)}}
        }
    }
    assert anticoagulant_class(profile_from_fhir(wrapped)) == "vka"
    assert read_fhir(body, patient="Patient/p1").profile == reading.profile
    with pytest.raises(ProfileError, match="the request is about 'p1', not 'p2'"):
        read_fhir(body, patient="p2")


def test_several_patients_need_patient_and_it_chooses() -> None:
    mine = request(subject={"reference": "urn:uuid:11111111-0000-4000-8000-000000000001"})
    theirs = request({"text": "apixaban"}, id="theirs", subject={"reference": "Patient/p2"})
    data = {
        "resourceType": "Bundle",
        "entry": [
            {
                "fullUrl": "urn:uuid:11111111-0000-4000-8000-000000000001",
                "resource": {"resourceType": "Patient", "id": "p1"},
            },
            {"resource": mine},
            {"resource": theirs},
        ],
    }
    with pytest.raises(ProfileError) as error:
        read_fhir(data)
    assert error.value.problems == (
        ("(input)", "is about 2 patients (p1, p2); choose one with patient="),
    )
    reading = read_fhir(data, patient="Patient/p1")
    assert anticoagulant_class(reading.profile) == "vka"
    assert (reading.patient, reading.other_patients, reading.counted) == ("p1", 1, 1)
    other = read_fhir(data, patient="p2")
    assert anticoagulant_class(other.profile) == "other_anticoagulant"
    with pytest.raises(ProfileError, match="'p3' is not in the input; patients: p1, p2"):
        read_fhir(data, patient="p3")
    no_subject = request(id="no-subject")
    del no_subject["subject"]
    alone = read_fhir([request(), no_subject], patient="p1")
    assert alone.counted == 2
    assert alone.notes[0].text == "has no subject: counted as the chosen patient's"


def test_repeated_records_of_one_product_count_once() -> None:
    dispenses = [
        request(resourceType="MedicationDispense", id=f"d{n}", status="completed") for n in range(8)
    ]
    reading = read_fhir([request(), *dispenses])
    assert reading.counted == 9
    assert len(reading.profile.medications) == 1


def test_more_than_a_profile_holds_is_an_error() -> None:
    many = [request({"text": f"medicine number {n}"}, id=str(n)) for n in range(101)]
    with pytest.raises(
        ProfileError, match="101 different medications are taken; a profile holds at most 100"
    ):
        read_fhir(many)


def test_a_long_name_is_cut_at_a_space_and_noted() -> None:
    name = "warfarin " + "word " * 60
    reading = read_fhir(request({"text": name}))
    (medication,) = reading.profile.medications
    assert medication.name is not None
    assert len(medication.name) <= 200
    assert name.startswith(medication.name)
    assert medication.name.endswith("word")
    assert "longer than 200 characters" in reading.notes[0].text


def test_other_resource_types_are_counted_not_read() -> None:
    reading = read_fhir([{"resourceType": "Condition", "code": 5}, request()])
    assert (reading.other_resources, reading.counted) == (1, 1)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path", "text"),
    [
        ({"status": 3}, "entry[0].resource.status", "must be text, got a number"),
        ({"id": 7}, "entry[0].resource.id", "must be text, got a number"),
        (
            {"medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "85x"}]}},
            "entry[0].resource.medicationCodeableConcept.coding[0].code",
            "'85x' is not an RxNorm id",
        ),
        (
            {"medicationCodeableConcept": {"coding": [{"system": ATC, "code": 1.5}]}},
            "entry[0].resource.medicationCodeableConcept.coding[0].code",
            "must be text (or a whole number), got a number",
        ),
        (
            {"medicationCodeableConcept": {"coding": {"code": "1"}}},
            "entry[0].resource.medicationCodeableConcept.coding",
            "must be a list, got an object",
        ),
        (
            {"medicationCodeableConcept": None, "medicationReference": {"reference": ["#m"]}},
            "entry[0].resource.medicationCodeableConcept",
            "must be an object, got null",
        ),
        ({"subject": "Patient/p1"}, "entry[0].resource.subject", "must be an object (a Reference)"),
        ({"doNotPerform": "yes"}, "entry[0].resource.doNotPerform", "must be true or false"),
    ],
)
def test_a_bad_resource_is_named_with_its_field(
    change: dict[str, Any], path: str, text: str
) -> None:
    with pytest.raises(ProfileError) as error:
        read_fhir(bundle(request(**change)))
    ((got_path, got_text),) = error.value.problems
    assert got_path == path
    assert text in got_text
    assert "resource 0)" in got_text


def test_no_medication_at_all_is_an_error() -> None:
    resource = request()
    del resource["medicationCodeableConcept"]
    with pytest.raises(ProfileError, match=r"medication\[x\]: is required"):
        read_fhir(resource)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (42, "FHIR input must be a Bundle, a resource, a list of resources"),
        ({"medications": []}, "has no resourceType"),
        ("{not json", "is not JSON"),
        (['{"resourceType": "MedicationRequest"}', "{oops"], "line 2: is not JSON"),
        ([[1]], r"\[0\]: must be a FHIR resource \(an object\), got a list"),
        ({"resourceType": "Bundle", "entry": {}}, "entry: must be a list"),
        ('{"resourceType": "Bundle", "resourceType": "Patient"}', "resourceType: is given 2 times"),
    ],
)
def test_input_of_no_known_shape_is_an_error(data: object, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        read_fhir(data)


def test_several_bad_resources_are_all_named() -> None:
    with pytest.raises(ProfileError) as error:
        read_fhir([request(status=1), request(id=2)])
    assert [path for path, _ in error.value.problems] == ["[0].status", "[1].id"]


# --- a profile, written as FHIR and read back, gives the same report -----------------------------


def _as_fhir(profile: Profile, draw: st.DataObject) -> list[dict[str, Any]]:
    """The profile's medications and supplements as FHIR resources, in shapes chosen by ``draw``."""
    resources: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "p"}]
    kinds = st.sampled_from(
        [
            ("MedicationRequest", "active", "dosageInstruction"),
            ("MedicationStatement", "intended", "dosage"),
            ("MedicationDispense", "completed", "dosageInstruction"),
        ]
    )
    for number, medication in enumerate(profile.medications):
        codings = []
        if medication.rxnorm:
            codings.append({"system": RXNORM, "code": medication.rxnorm})
        if medication.atc:
            codings.append({"system": ATC, "code": medication.atc})
        concept: dict[str, Any] = {"coding": codings}
        if medication.name:
            concept["text"] = medication.name
        kind, status, _ = draw.draw(kinds)
        resource: dict[str, Any] = {
            "resourceType": kind,
            "id": f"m{number}",
            "status": status,
            "subject": {"reference": "Patient/p"},
        }
        shape = draw.draw(st.sampled_from(["concept", "r5", "contained", "bundled"]))
        if shape == "concept":
            resource["medicationCodeableConcept"] = concept
        elif shape == "r5":
            resource["medication"] = {"concept": concept}
        elif shape == "contained":
            resource["contained"] = [{"resourceType": "Medication", "id": "x", "code": concept}]
            resource["medicationReference"] = {"reference": "#x"}
        else:
            resources.append({"resourceType": "Medication", "id": f"med{number}", "code": concept})
            resource["medicationReference"] = {"reference": f"Medication/med{number}"}
        resources.append(resource)
    for number, supplement in enumerate(profile.supplements):
        amount = supplement.mcg_per_day
        kind, status, dosage_field = draw.draw(kinds)
        dose = {"value": amount.numerator, "unit": "µg", "system": UCUM, "code": "ug"}
        timing = {"repeat": {"frequency": 1, "period": amount.denominator, "periodUnit": "d"}}
        resources.append(
            {
                "resourceType": kind,
                "id": f"s{number}",
                "status": status,
                "subject": {"reference": "Patient/p"},
                "medicationCodeableConcept": {"text": _product_name(supplement.ingredient)},
                dosage_field: [{"timing": timing, "doseAndRate": [{"doseQuantity": dose}]}],
            }
        )
    return resources


def _product_name(form: Form) -> str:
    """A product's name for a form: "MK-7", "vitamin K" (a bare letter names no vitamin)."""
    return f"vitamin {form.value}" if len(form.value) == 1 else form.value


def _once_each(profile: Profile) -> dict[str, Any]:
    """Medications and supplements only (FHIR has no foods or goals), each given once."""
    supplements = {(s.ingredient, s.mcg_per_day): s for s in profile.supplements}
    return {
        "medications": [
            m.model_dump(exclude_none=True) for m in dict.fromkeys(profile.medications)
        ],
        "supplements": [s.model_dump(mode="json", exclude_none=True) for s in supplements.values()],
    }


@given(k2st.profiles(), st.data())
def test_a_profile_written_as_fhir_reads_back_to_the_same_report(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    """Records of one product at one daily amount count once (an order and its dispenses are one
    therapy), so the profile's repeated entries are given once on both sides."""
    profile = Profile.model_validate(data)
    resources = _as_fhir(profile, draw)
    order = draw.draw(st.permutations(resources))
    reading = read_fhir(copy.deepcopy(order))
    assert reading.counted == len(resources) - 1 - sum(
        r["resourceType"] in ("Patient", "Medication") for r in resources[1:]
    )
    assert not reading.set_aside
    assert k2safety.check(reading.profile) == k2safety.check(_once_each(profile))


def test_the_reading_is_immutable_and_typed() -> None:
    reading = read_fhir(request())
    assert isinstance(reading, FhirReading)
    with pytest.raises(AttributeError):
        reading.counted = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    "data",
    [
        "{not json",
        ['{"resourceType": "Patient", "id": "a", "id": "b"}'],
        [request(status=1)],
        [request(), request(subject={"reference": "Patient/other"})],
        _vitamin([_dose(100, "[iU]")]),
    ],
)
def test_errors_carry_no_context_and_pickle(data: object) -> None:
    """Raised outside any except block, like the profile's own errors, so that reducers that
    follow exception chains (Dask's) meet no cycle."""
    with pytest.raises(ProfileError) as caught:
        read_fhir(data)
    assert caught.value.__context__ is None
    assert pickle.loads(pickle.dumps(caught.value)).problems == caught.value.problems


def test_early_cds_hooks_drafts_list_their_medications() -> None:
    body = {"hook": "medication-prescribe", "context": {"medications": [request()]}}
    reading = read_fhir(body)
    assert reading.set_aside == ()
    assert reading.notes == ()
    assert [m.rxnorm for m in reading.profile.medications] == ["855332"]


def test_absolute_and_versioned_references_find_their_medication() -> None:
    medication = {"resourceType": "Medication", "id": "w", "code": {"text": "warfarin 1 mg"}}
    for reference in (
        "Medication/w",
        "http://example.org/fhir/Medication/w",
        "http://example.org/fhir/Medication/w/_history/3",
    ):
        order = request(medicationReference={"reference": reference})
        del order["medicationCodeableConcept"]
        reading = read_fhir([medication, order])
        assert [m.name for m in reading.profile.medications] == ["warfarin 1 mg"], reference
        assert reading.notes == ()


@pytest.mark.parametrize("text", ["biscoumacétate d'éthyle", "K-Dur 20 mEq", "Calcium + D 600 mg"])
def test_a_bare_letter_in_a_product_name_is_no_vitamin_as_in_a_profile(text: str) -> None:
    resource = {
        "resourceType": "MedicationRequest",
        "id": "m",
        "status": "active",
        "medicationCodeableConcept": {"text": text},
    }
    reading = read_fhir([resource])
    assert reading.profile.supplements == ()
    assert k2safety.check(reading.profile) == k2safety.check({"medications": [text]})


# --- no silent pass: what cannot be read is reported, never dropped ------------------------------

SNOMED = "http://snomed.info/sct"
NDC = "http://hl7.org/fhir/sid/ndc"


def _screen(reading: FhirReading) -> k2safety.Report:
    """The reading's profile screened with vitamin K2 planned."""
    return k2safety.check(with_vitamin_k(reading.profile))


def _incomplete(reading: FhirReading, *unrecognized: str) -> None:
    """The screen of ``reading`` with vitamin K2 planned is incomplete, for ``unrecognized``."""
    report = _screen(reading)
    assert report.profile.unrecognized_medications == unrecognized
    assert report.screening_complete is False
    assert "K2-INCOMPLETE-SCREEN" in report.codes


@pytest.mark.parametrize(
    ("coding", "label"),
    [
        ({"system": SNOMED, "code": "372756006"}, "SNOMED CT 372756006"),
        ({"system": NDC, "code": "00056-0172-70"}, "NDC 00056-0172-70"),
        ({"system": "urn:oid:2.16.840.1.113883.6.69", "code": "0056-0172"}, "NDC 0056-0172"),
        ({"system": "urn:oid:2.16.840.1.113883.6.96", "code": 372756006}, "SNOMED CT 372756006"),
        ({"system": "http://example.org/drugs", "code": "X 1"}, "http://example.org/drugs X 1"),
        ({"code": "372756006"}, "code 372756006"),
    ],
)
def test_a_medication_named_only_by_a_code_not_read_is_not_recognized(
    coding: dict[str, Any], label: str
) -> None:
    reading = read_fhir(bundle(request({"coding": [coding]}, id="m1")))
    assert reading.counted == 1
    assert reading.set_aside == ()
    assert [m.name for m in reading.profile.medications] == [label]
    (note,) = reading.notes
    assert note.id == "m1"
    assert f"names its medication only by {label}, a code k2safety does not read" in note.text
    assert f"listed as the medication {label!r}, which is not recognized" in note.text
    _incomplete(reading, label)


def test_a_code_not_read_names_a_resource_set_aside() -> None:
    stopped = request({"coding": [{"system": SNOMED, "code": "372756006"}]}, status="stopped")
    (entry,) = read_fhir(stopped).set_aside
    assert (entry.reason, entry.medication) == ("status stopped", "SNOMED CT 372756006")


def test_a_reference_to_nothing_is_not_recognized() -> None:
    order = request(medicationReference={"reference": "Medication/w"})
    del order["medicationCodeableConcept"]
    reading = read_fhir(order)
    assert reading.counted == 1
    assert [m.name for m in reading.profile.medications] == ["Medication/w (not in the input)"]
    assert (
        "only by a reference to 'Medication/w', which points at nothing" in reading.notes[-1].text
    )
    _incomplete(reading, "Medication/w (not in the input)")
    # A Medication that is found but names nothing itself is a medication not named.
    empty = {"resourceType": "Medication", "id": "w"}
    reading = read_fhir([empty, order])
    _incomplete(reading, "MedicationRequest order (no medication named)")


@pytest.mark.parametrize(
    "medication",
    [
        {"medicationCodeableConcept": {}},
        {"medicationCodeableConcept": {"text": "  ", "coding": []}},
        {"medicationCodeableConcept": {"coding": [{"system": SNOMED}]}},
        {"medicationCodeableConcept": {"coding": [{"system": SNOMED, "code": " "}]}},
        {"medicationReference": {"display": ""}},
        {"medication": {}},
    ],
)
def test_a_resource_that_names_no_medication_is_not_recognized(
    medication: dict[str, Any],
) -> None:
    order = {**request(id="m1"), **medication}
    if "medicationCodeableConcept" not in medication:
        del order["medicationCodeableConcept"]
    reading = read_fhir(order)
    assert reading.counted == 1
    assert reading.set_aside == ()
    assert "names no medication: no code, text, display or reference" in reading.notes[-1].text
    _incomplete(reading, "MedicationRequest m1 (no medication named)")
    del order["id"]
    _incomplete(read_fhir(order), "MedicationRequest (no medication named)")
    # Not taken, it is set aside as before: nothing is taken that could not be read.
    order["status"] = "completed"
    (entry,) = read_fhir(order).set_aside
    assert (entry.reason, entry.medication) == ("status completed", None)


@pytest.mark.parametrize(
    ("change", "label"),
    [
        (
            {"id": "warfarin", "medicationCodeableConcept": {}},
            "MedicationRequest (no medication named)",
        ),
        (
            {
                "medicationCodeableConcept": {
                    "coding": [{"system": "http://x.org/warfarin", "code": "1"}]
                }
            },
            "MedicationRequest (medication not read)",
        ),
        (
            {"medicationCodeableConcept": {"coding": [{"code": "Vitamin K2 MK-7"}]}},
            "MedicationRequest (medication not read)",
        ),
        (
            {"medicationCodeableConcept": {"coding": [{"code": "x" * 300}]}},
            "MedicationRequest (medication not read)",
        ),
    ],
)
def test_a_label_that_would_name_a_medicine_is_replaced_by_a_plain_one(
    change: dict[str, Any], label: str
) -> None:
    """An id, a URL or a code of the input could spell a medicine or a vitamin: a label made of
    them would be "recognized" as what it spells, and the screen would read complete."""
    reading = read_fhir(request(**change))
    _incomplete(reading, label)


def test_the_plain_labels_name_nothing() -> None:
    from k2safety._matching import match_medication
    from k2safety._profile import forms_in_text
    from k2safety.fhir import MEDICATION_RESOURCES

    plain = [
        f"{kind} ({what})"
        for kind in MEDICATION_RESOURCES
        for what in ("medication not read", "no medication named")
    ]
    plain += [
        "medications not read: an item of the request is an OperationOutcome",
        "medications not read: an item of the request failed",
        "medications not read: the input is an OperationOutcome",
        "medications not read: a search bundle reports a problem with its search",
        "medications not read: a search bundle has a next page of search results",
        "medications not read: 56 more search matches than a bundle holds",
    ]
    for text in plain:
        assert match_medication(text, None, None) == (), text
        assert forms_in_text(text) == (), text


def _outcome(code: str = "timeout", severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": "the server gave up"}],
    }


def _hook(prefetch: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "h1",
        "context": {"patientId": "p1"},
        "prefetch": prefetch,
    }


def test_a_failed_prefetch_is_medications_not_read() -> None:
    reading = read_fhir(_hook({"medicationRequests": _outcome(), "statements": bundle()}))
    label = "medications not read: prefetch.medicationRequests is an OperationOutcome (timeout)"
    _incomplete(reading, label)
    (note,) = reading.notes
    assert (note.resource_type, note.location) == (
        "OperationOutcome",
        "prefetch.medicationRequests",
    )
    assert "(timeout): 'the server gave up', not the data asked for" in note.text
    assert reading.other_resources == 1
    # Wrapped as CDS Hooks 1.0 drafts did, inside context, or as the whole input.
    wrapped = {"response": {"status": "200 OK"}, "resource": _outcome("too-costly")}
    reading = read_fhir({"context": {"prefetch": {"meds": wrapped}}})
    _incomplete(
        reading,
        "medications not read: context.prefetch.meds.resource is an OperationOutcome (too-costly)",
    )
    failed = {"response": {"status": "504 Gateway Timeout"}}
    _incomplete(
        read_fhir(_hook({"meds": failed})),
        "medications not read: prefetch.meds failed (504 Gateway Timeout)",
    )
    _incomplete(
        read_fhir(json.dumps(_outcome("not-found"))),
        "medications not read: the input is an OperationOutcome (not-found)",
    )
    # A prefetch key (or an issue code) that spells a medicine gives the plain label.
    _incomplete(
        read_fhir(_hook({"warfarin": _outcome()})),
        "medications not read: an item of the request is an OperationOutcome",
    )
    # Given as null, the client has no such data: nothing is missing.
    assert _screen(read_fhir(_hook({"medicationRequests": None}))).screening_complete


def _searchset(*resources: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
        **fields,
    }


def test_a_search_cut_short_is_medications_not_read() -> None:
    warfarin = request()
    medication = {"resourceType": "Medication", "id": "m", "code": {"text": "warfarin"}}
    short = _searchset(warfarin, total=57)
    short["entry"].append({"resource": medication, "search": {"mode": "include"}})
    reading = read_fhir(short)
    _incomplete(reading, "medications not read: 56 more MedicationRequests than the bundle holds")
    assert reading.profile.medications[0].name == "Warfarin Sodium 5 MG"
    (note,) = reading.notes
    assert (note.resource_type, note.location, note.index) == ("Bundle", "", 0)
    assert note.text.startswith("the bundle is a search of total 57; it holds 1 of them")
    paged = _searchset(warfarin, link=[{"relation": "next", "url": "http://x.org/p2"}])
    reading = read_fhir(_hook({"medicationRequests": paged}))
    label = (
        "medications not read: the bundle at prefetch.medicationRequests has a next page of "
        "search results"
    )
    _incomplete(reading, label)
    assert "links to the next ('http://x.org/p2')" in reading.notes[0].text
    both = _searchset(warfarin, total=2, link=[{"relation": "next", "url": "http://x.org/p2"}])
    _incomplete(
        read_fhir(both), "medications not read: 1 more MedicationRequest than the bundle holds"
    )
    # Complete: as many matches as the total, and no next page.
    whole = _searchset(warfarin, total=1, link=[{"relation": "self", "url": "http://x.org/p1"}])
    reading = read_fhir(whole)
    assert reading.notes == ()
    assert _screen(reading).screening_complete


def test_a_search_that_reports_a_problem_is_medications_not_read() -> None:
    problem = _searchset(request())
    problem["entry"].append({"resource": _outcome("too-costly"), "search": {"mode": "outcome"}})
    reading = read_fhir(problem)
    _incomplete(
        reading, "medications not read: the bundle reports a problem with its search (too-costly)"
    )
    # An outcome whose issues are all information says nothing is missing: a note only.
    problem["entry"][-1]["resource"] = _outcome("informational", "information")
    reading = read_fhir(problem)
    assert _screen(reading).screening_complete
    (note,) = reading.notes
    assert note.text == (
        "the search reports (informational): 'the server gave up' as information only"
    )
    # An OperationOutcome in a collection is only another resource.
    reading = read_fhir(bundle(request(), _outcome()))
    assert (reading.notes, reading.other_resources) == ((), 1)


def test_a_bundle_entry_without_a_resource_is_noted() -> None:
    data = bundle(request())
    data["entry"] += [{"resource": None}, {"fullUrl": "urn:x", "request": {"method": "DELETE"}}]
    reading = read_fhir(data)
    assert [(n.resource_type, n.text) for n in reading.notes] == [
        ("Bundle", "entry[1] holds no resource: skipped"),
        ("Bundle", "entry[2] holds no resource (a DELETE request): skipped"),
    ]
    assert reading.counted == 1


def _nested(resource: dict[str, Any], depth: int) -> dict[str, Any]:
    for _ in range(depth):
        resource = {"resourceType": "Bundle", "entry": [{"resource": resource}]}
    return resource


def test_input_nested_too_deeply_is_a_profile_error_never_a_recursion_error() -> None:
    for data in (_nested(request(), 1000), _nested(request(), 70)):
        with pytest.raises(ProfileError, match="is nested too deeply to read") as caught:
            read_fhir(data)
        ((path, _),) = caught.value.problems
        assert path == ".".join(["entry[0].resource"] * 64)  # the 65th Bundle
    # As JSON text too deep to parse, and as text that parses but nests too deeply.
    text = '{"resourceType": "Bundle", "entry": [{"resource": ' * 1000 + "{}" + "}]}" * 1000
    with pytest.raises(ProfileError, match=r"\(input\): is nested too deeply to read"):
        read_fhir(text)
    with pytest.raises(ProfileError, match=r"entry.*: is nested too deeply to read"):
        read_fhir(json.dumps(_nested(request(), 70)))
    cycle: dict[str, Any] = {"resourceType": "Bundle", "entry": []}
    cycle["entry"].append({"resource": cycle})
    with pytest.raises(ProfileError, match="is nested too deeply to read"):
        read_fhir(cycle)
    lists: Any = request()
    for _ in range(1000):
        lists = [lists]
    with pytest.raises(ProfileError, match=r"context.medications.*is nested too deeply"):
        read_fhir({"context": {"medications": lists}})
    wrapped: Any = request()
    for _ in range(1000):
        wrapped = {"resource": wrapped}
    with pytest.raises(ProfileError, match=r"prefetch.meds.resource.*is nested too deeply"):
        read_fhir({"prefetch": {"meds": wrapped}})
    # As deep as real input goes, it reads.
    assert read_fhir(_nested(request(), 60)).counted == 1


def test_a_dose_whose_unit_and_code_disagree_is_not_stated() -> None:
    quantity = {"value": 100, "unit": "ug", "system": UCUM, "code": "mg"}
    reading = read_fhir(_vitamin([{"doseAndRate": [{"doseQuantity": quantity}]}]))
    (product,) = reading.profile.supplements
    assert isinstance(product, k2safety.Product)
    assert "gives its unit as 'ug' and its code as 'mg', which disagree" in reading.notes[-1].text
    # The same unit written two ways agrees; so does a unit in words.
    for unit in ("mcg", "µg", "micrograms (ug)"):
        agreeing = {**quantity, "unit": unit, "code": "ug"}
        dosage = {"doseAndRate": [{"doseQuantity": agreeing}]}
        assert profile_from_fhir(_vitamin([dosage])).supplements[0].mcg_per_day == 100


def test_another_dose_in_a_later_dose_and_rate_is_noted() -> None:
    first = {"doseQuantity": {"value": 100, "code": "ug"}}
    other = {"doseQuantity": {"value": 500, "code": "ug"}}
    reading = read_fhir(_vitamin([{"doseAndRate": [first, other]}]))
    assert reading.profile.supplements[0].mcg_per_day == 100
    assert (
        "dosageInstruction[0].doseAndRate[1].doseQuantity gives another dose than "
        "dosageInstruction[0].doseAndRate[0].doseQuantity: only the first was read"
    ) in [note.text for note in reading.notes]
    same = read_fhir(_vitamin([{"doseAndRate": [first, dict(first)]}]))
    assert not any("another dose" in note.text for note in same.notes)


_WARFARIN_ORDER = {
    "resourceType": "MedicationRequest",
    "id": "w",
    "status": "active",
    "subject": {"reference": "Patient/p"},
    "medicationCodeableConcept": {"text": "warfarin 5 mg"},
}


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        ({"entry": [{"resource": _WARFARIN_ORDER}]}, "prefetch.meds is not a FHIR resource"),
        ("error", "prefetch.meds is not a FHIR resource"),
        ({}, "prefetch.meds is not a FHIR resource"),
        ({"response": {"status": "200 OK"}}, "prefetch.meds holds no resource (200 OK)"),
        ({"response": {}}, "prefetch.meds failed (no status)"),
    ],
)
def test_a_prefetch_value_that_is_not_fhir_data_leaves_the_screen_incomplete(
    value: object, missing: str
) -> None:
    request = {"hook": "patient-view", "context": {"patientId": "p"}, "prefetch": {"meds": value}}
    reading = read_fhir(request)
    assert [m.name for m in reading.profile.medications] == [f"medications not read: {missing}"]
    assert reading.notes
    report = k2safety.check(
        {
            "medications": [m.model_dump(exclude_none=True) for m in reading.profile.medications],
            "supplements": [{"ingredient": "MK-7", "dose": "100 mcg"}],
        }
    )
    assert not report.screening_complete
    assert "K2-INCOMPLETE-SCREEN" in report.codes


def test_a_prefetch_value_of_null_is_no_data_and_no_gap() -> None:
    request = {"hook": "patient-view", "context": {"patientId": "p"}, "prefetch": {"meds": None}}
    reading = read_fhir(request)
    assert reading.profile.medications == ()
    assert reading.notes == ()


@pytest.mark.parametrize(
    ("value", "missing"),
    [
        (["junk"], "prefetch.meds[0] is not a FHIR resource"),
        (
            [{"type": "searchset", "entry": [{"resource": _WARFARIN_ORDER}]}],
            "prefetch.meds[0] is not a FHIR resource",
        ),
        (
            {"resource": {"type": "searchset", "entry": [{"resource": _WARFARIN_ORDER}]}},
            "prefetch.meds.resource is not a FHIR resource",
        ),
        ({"response": {"status": "500"}, "resource": {"x": 1}}, "prefetch.meds failed (500)"),
    ],
)
def test_prefetch_data_that_is_not_fhir_inside_a_list_or_wrapper_is_a_gap(
    value: object, missing: str
) -> None:
    request = {"hook": "patient-view", "context": {"patientId": "p"}, "prefetch": {"meds": value}}
    reading = read_fhir(request)
    assert [m.name for m in reading.profile.medications] == [f"medications not read: {missing}"]


def test_a_wrapper_that_answers_with_entries_has_them_read() -> None:
    """As the HL7 PDDI guide's examples write it: a 2xx response beside entries of its own."""
    wrapper = {"response": {"status": "200 OK"}, "resource": "Bundle"}
    wrapper["entry"] = [{"resource": _WARFARIN_ORDER}]
    request = {"hook": "patient-view", "context": {"patientId": "p"}, "prefetch": {"m": wrapper}}
    reading = read_fhir(request)
    assert [m.name for m in reading.profile.medications] == ["warfarin 5 mg"]


@pytest.mark.parametrize("references", [[1], "abc", 5])
def test_references_must_be_an_object(references: object) -> None:
    with pytest.raises(ProfileError, match=r"\(references\): must be an object"):
        read_fhir([_WARFARIN_ORDER], references=references)  # type: ignore[arg-type]


def test_the_ips_no_information_code_beside_a_real_code_is_a_medication() -> None:
    ips = "http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips"
    codings = [
        {"system": ips, "code": "no-medication-info"},
        {"system": "http://snomed.info/sct", "code": "372756006"},
    ]
    resource = {"resourceType": "MedicationRequest", "id": "x", "status": "active"}
    resource["medicationCodeableConcept"] = {"coding": codings}
    reading = read_fhir([resource])
    assert reading.set_aside == ()
    assert [m.name for m in reading.profile.medications] == ["SNOMED CT 372756006"]


def _warfarin_search(**more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": _WARFARIN_ORDER}],
        **more,
    }


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"total": "5"}, "total"),
        ({"total": 5.0}, "total"),
        ({"total": True}, "total"),
        ({"total": -1}, "total"),
        ({"link": {"relation": "next", "url": "http://x/p2"}}, "link"),
    ],
)
def test_a_search_bundle_s_paging_that_cannot_be_read_is_refused(
    more: dict[str, Any], field: str
) -> None:
    with pytest.raises(ProfileError) as raised:
        read_fhir(_warfarin_search(**more))
    assert [path for path, _ in raised.value.problems] == [field]


def test_a_next_link_counts_whatever_the_case_of_its_relation() -> None:
    reading = read_fhir(_warfarin_search(link=[{"relation": "Next", "url": "http://x/p2"}]))
    assert [m.name for m in reading.profile.medications][-1] == (
        "medications not read: the bundle has a next page of search results"
    )


def test_an_included_medication_is_no_match_of_the_search() -> None:
    medication = {"resourceType": "Medication", "id": "m", "code": {"text": "warfarin"}}
    bundle = _warfarin_search(total=2)
    bundle["entry"].append({"resource": medication})  # search.mode is optional in FHIR
    names = [m.name for m in read_fhir(bundle).profile.medications]
    assert "medications not read: 1 more MedicationRequest than the bundle holds" in names


def test_a_failed_entry_of_a_batch_response_is_a_gap() -> None:
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "x"}]}
    bundle = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"resource": _warfarin_search(), "response": {"status": "200 OK"}},
            {"response": {"status": "500 Internal Server Error", "outcome": outcome}},
            {"resource": outcome, "response": {"status": "404 Not Found"}},
        ],
    }
    names = [m.name for m in read_fhir(bundle).profile.medications]
    assert names == [
        "warfarin 5 mg",
        "medications not read: entry[1] failed (500 Internal Server Error)",
        "medications not read: entry[2] failed (404 Not Found)",
    ]
