"""Medications as records carry them: RxNorm codes at every term type, the roll-up table and its
provenance, the RRF loader that regenerates it, and the table read only when a code is looked up.

The externally authored value sets in ../shared/data/anticoagulant-valuesets/ are read where they
are present (never copied into the project): every anticoagulant row must resolve to its class by
code alone, by display alone and by both, and no antiplatelet control row may ever resolve to an
anticoagulant.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import k2safety
from k2safety import _matching
from k2safety._knowledge import knowledge, read_data
from k2safety._matching import (
    FORM_PREFIX,
    TERM_TYPES,
    match_medication,
    match_rxnorm,
    read_rxnorm_table,
    rxnorm_forms,
    rxnorm_rows,
)
from k2safety._terms import Form

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "anticoagulant-valuesets"
RRF = Path(__file__).parent / "data" / "rrf"
ANTICOAGULANTS = {"vka", "other_anticoagulant"}

sys.path.insert(0, str(ROOT / "scripts"))
import rxnorm_rollup  # noqa: E402


def _shared(name: str) -> list[dict[str, Any]]:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared value sets are not in this checkout")
    rows: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return rows


def _classes(name: str | None, rxnorm: str | None) -> set[str]:
    return {match.drug_class for match in match_medication(name, None, rxnorm)}


# --- The shared value sets ----------------------------------------------------------------------


def test_every_anticoagulant_row_resolves_to_its_class_by_code_by_display_and_by_both() -> None:
    rows = _shared("rxnorm_anticoagulants.json")
    assert len(rows) == 528
    wrong = [
        (row["code"], row["display"], how, got)
        for row in rows
        for how, got in (
            ("code", _classes(None, row["code"])),
            ("display", _classes(row["display"], None)),
            ("both", _classes(row["display"], row["code"])),
        )
        if got != {row["expected"]}
    ]
    assert not wrong, wrong[:10]


def test_no_control_row_is_ever_taken_for_an_anticoagulant() -> None:
    rows = _shared("rxnorm_controls.json")
    assert len(rows) == 130
    for row in rows:
        for name, code in (
            (None, row["code"]),
            (row["display"], None),
            (row["display"], row["code"]),
        ):
            assert not _classes(name, code) & ANTICOAGULANTS, row


def test_antiplatelet_controls_that_are_fully_known_resolve_as_screened_by_code() -> None:
    rows = _shared("rxnorm_controls.json")
    screened = {row["code"] for row in rows if _classes(None, row["code"]) == {"screened"}}
    assert {"309362", "855812", "1116635", "243670"} <= screened  # clopidogrel, prasugrel, ...


def test_uk_product_names_resolve_to_their_class() -> None:
    for row in _shared("uk_names_anticoagulants.json"):
        assert _classes(row["display"], None) == {row["expected"]}, row


def test_every_value_set_row_of_the_table_is_in_the_value_set_it_names() -> None:
    rows = _shared("rxnorm_anticoagulants.json") + _shared("rxnorm_controls.json")
    oids = {(row["code"], row["oid"]) for row in rows}
    sources, table = read_rxnorm_table(read_data("rxnorm.tsv"))
    for row in table:
        for key in row.sources:
            if key.startswith("V"):
                oid = sources[key].split('" ', 1)[1].split(" ", 1)[0]
                assert (row.rxcui, oid) in oids, (row, sources[key])


# --- The roll-up table --------------------------------------------------------------------------


def test_every_row_of_the_table_has_known_sources_targets_and_term_type() -> None:
    sources, rows = read_rxnorm_table(read_data("rxnorm.tsv"))
    substances, forms = knowledge().substances, {form.value for form in Form}
    vocabulary_codes = {code for s in substances.values() for code in s.rxnorm}
    assert len(rows) >= 200
    assert len({row.rxcui for row in rows}) == len(rows)
    for row in rows:
        assert row.tty in TERM_TYPES, row
        assert row.sources, row
        assert set(row.sources) <= set(sources), row
        assert row.name, row
        assert row.rxcui not in vocabulary_codes, f"{row.rxcui} lives in vocabulary.toml"
        for target in row.targets:
            if target.startswith(FORM_PREFIX):
                assert target.removeprefix(FORM_PREFIX) in forms, row
            else:
                assert target in substances, row
    for description in sources.values():
        assert description.strip()


def test_the_table_covers_the_term_types_records_carry() -> None:
    _, rows = read_rxnorm_table(read_data("rxnorm.tsv"))
    assert {row.tty for row in rows} >= {
        "PIN", "BN", "SCD", "SBD", "SCDC", "SBDC", "SCDF", "SBDF", "SCDG", "SBDG", "GPCK", "BPCK"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "substance", "tty"),
    [
        ("855332", "warfarin", "SCD"),  # Warfarin Sodium 5 MG Oral Tablet
        ("855334", "warfarin", "SBD"),  # ... [Coumadin]
        ("855308", "warfarin", "SCD"),  # an injectable warfarin only older lists hold
        ("1549682", "rivaroxaban", "GPCK"),
        ("1549683", "rivaroxaban", "BPCK"),
        ("1037041", "dabigatran", "PIN"),  # dabigatran etexilate mesylate
        ("225036", "enoxaparin", "BN"),  # Lovenox
        ("1173301", "dalteparin", "SBDG"),  # Fragmin Injectable Product
        ("1927856", "betrixaban", "SCD"),
        ("402248", "desirudin", "SCD"),
    ],
)
def test_product_codes_resolve_through_the_table(code: str, substance: str, tty: str) -> None:
    assert rxnorm_rows()[code].tty == tty
    (match,) = match_rxnorm(code)
    assert (match.substance, match.matched_by, match.matched_text) == (substance, "rxnorm", code)


def test_a_combination_product_resolves_to_each_of_its_ingredients() -> None:
    assert {m.substance for m in match_rxnorm("259081")} == {"aspirin", "dipyridamole"}


def test_vitamin_products_resolve_to_their_form_not_to_a_drug() -> None:
    assert rxnorm_forms("2418") == ("D3",)  # cholecalciferol
    assert match_rxnorm("2418") == ()
    assert rxnorm_forms("855332") == ()


def test_a_warfarin_record_by_code_alone_is_screened_as_warfarin() -> None:
    report = k2safety.check(
        {
            "medications": [{"rxnorm": "855332"}],
            "supplements": [{"ingredient": "MK-7", "dose": "180 mcg"}],
        }
    )
    assert "K2-VKA" in report.codes
    assert "K2-UNRECOGNIZED" not in report.codes


def test_screened_medicines_are_shown_and_not_reported_as_unrecognized() -> None:
    report = k2safety.check({"medications": ["metformin 500 mg", {"rxnorm": "309362"}, "Plavix"]})
    assert "K2-UNRECOGNIZED" not in report.codes
    shown = {
        medication.given: {(m.substance, m.drug_class) for m in medication.matches}
        for medication in report.profile.medications
    }
    assert shown["metformin 500 mg"] == {("metformin", "screened")}
    assert {("clopidogrel", "screened")} in shown.values()


# --- Lazy, thread-safe loading -----------------------------------------------------------------

_LAZY = """
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
import k2safety
report = k2safety.check(
    {"medications": ["warfarin 5 mg"], "supplements": [{"ingredient": "MK-7", "dose": "90 mcg"}]}
)
from k2safety import _matching
assert _matching._table is None, "a check by name read the code table"
assert not any(path.endswith("rxnorm.tsv") for path in opened), "import read the code table"
assert [m.substance for m in _matching.match_rxnorm("855332")] == ["warfarin"]
assert sum(path.endswith("rxnorm.tsv") for path in opened) == 1
_matching.match_rxnorm("855334")
assert sum(path.endswith("rxnorm.tsv") for path in opened) == 1, "read twice"
print("ok")
"""


def test_import_and_a_check_by_name_do_not_read_the_code_table() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LAZY], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_the_table_is_read_once_when_many_threads_look_up_codes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    real = _matching.read_data

    def counting(name: str) -> str:
        reads.append(name)
        return real(name)

    monkeypatch.setattr(_matching, "_table", None)
    monkeypatch.setattr(_matching, "read_data", counting)
    tables: list[object] = []
    barrier = threading.Barrier(8)

    def look_up() -> None:
        barrier.wait()
        tables.append(rxnorm_rows())

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == ["rxnorm.tsv"]
    assert all(table is tables[0] for table in tables)


# --- The RRF loader (scripts/rxnorm_rollup.py) -------------------------------------------------


def _built(**options: Any) -> dict[str, Any]:
    text = rxnorm_rollup.build(
        RRF,
        release_name="TEST",
        vocabulary_path=ROOT / "k2safety" / "data" / "vocabulary.toml",
        terms_path=ROOT / "k2safety" / "data" / "terms.toml",
        **options,
    )
    sources, rows = read_rxnorm_table(text)
    return {"sources": sources, "rows": {row.rxcui: row for row in rows}}


def test_the_rrf_loader_rolls_every_term_type_up_to_its_ingredient() -> None:
    rows = _built()["rows"]
    expected = {
        "9900001": "PIN", "9900002": "SCDC", "855332": "SCD", "855334": "SBD", "9900003": "BN",
        "9900006": "SBDC", "374319": "SCDF", "368417": "SBDF", "1161790": "SCDG",
        "9900007": "SBDG", "9900004": "GPCK", "9900005": "BPCK",
    }  # fmt: skip
    for code, tty in expected.items():
        assert (rows[code].tty, rows[code].targets) == (tty, ("warfarin",)), code
    assert rows["1364445"].targets == ("apixaban",)


def test_the_rrf_loader_leaves_out_vocabulary_ingredients_and_other_sources() -> None:
    rows = _built()["rows"]
    assert "11289" not in rows  # warfarin's ingredient code lives in vocabulary.toml
    assert rows["855332"].name == "Warfarin Sodium 5 MG Oral Tablet"  # not the MTHSPL atom


def test_the_rrf_loader_keeps_combinations_of_known_ingredients_only() -> None:
    rows = _built()["rows"]
    assert rows["9900020"].targets == ("aspirin", "clopidogrel")
    assert rows["9900050"].tty == "MIN"
    assert "9900031" not in rows  # aspirin with an ingredient the vocabulary does not know
    assert rows["861007"].targets == ("metformin",)
    assert "861007" not in _built(anticoagulants_only=True)["rows"]


def test_the_rrf_loader_maps_vitamin_products_to_their_form() -> None:
    rows = _built()["rows"]
    assert rows["9900040"].targets == ("form:D3",)


def test_the_rrf_loader_resolves_retired_codes_and_keeps_rows_of_an_earlier_table(
    tmp_path: Path,
) -> None:
    rows = _built()["rows"]
    assert rows["9900099"].targets == ("warfarin",)  # retired, replaced by 855332 (RXNCUI.RRF)
    assert "9900098" not in rows
    earlier = tmp_path / "rxnorm.tsv"
    earlier.write_text(read_data("rxnorm.tsv"), "utf-8")
    kept = _built(keep=earlier)
    assert kept["rows"]["855308"].targets == ("warfarin",)  # only the earlier table has it
    assert kept["rows"]["855332"].sources == ("R1",)  # the release's row wins
    assert set(kept["sources"]) >= {"R1", "PDDI"}


def test_the_rrf_loader_refuses_a_file_in_another_column_order(tmp_path: Path) -> None:
    for name in ("RXNCONSO.RRF", "RXNREL.RRF"):
        (tmp_path / name).write_text((RRF / name).read_text("utf-8"), "utf-8")
    (tmp_path / "RXNREL.RRF").write_text("11289|RO|855332|\n", "utf-8")
    with pytest.raises(ValueError, match=r"RXNREL\.RRF line 1"):
        _built_from(tmp_path)


def _built_from(folder: Path) -> str:
    return rxnorm_rollup.build(
        folder,
        release_name="TEST",
        vocabulary_path=ROOT / "k2safety" / "data" / "vocabulary.toml",
        terms_path=ROOT / "k2safety" / "data" / "terms.toml",
    )


def test_the_rrf_loader_writes_the_table_format_the_package_reads(tmp_path: Path) -> None:
    output = tmp_path / "rxnorm.tsv"
    status = rxnorm_rollup.main([str(RRF), "--release", "TEST", "--output", str(output)])
    assert status == 0
    sources, rows = read_rxnorm_table(output.read_text("utf-8"))
    assert sources == {"R1": "RxNorm release TEST (RXNCONSO.RRF, RXNREL.RRF)"}
    assert rows


def test_a_malformed_table_row_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        read_rxnorm_table("rxcui\ttty\tsubstances\tsources\tname\n12x\tSCD\twarfarin\tV01\tx\n")
