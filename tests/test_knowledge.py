"""The knowledge base loads, and an inconsistent one is refused at load."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from k2safety import Evidence, _data
from k2safety._knowledge import KnowledgeError, build_knowledge, knowledge, read_data_files
from k2safety._text import fold

SOURCE_TEXT = Path(__file__).resolve().parents[2] / "shared" / "source"


def test_packaged_knowledge_loads_with_one_version() -> None:
    kb = knowledge()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", kb.version)
    assert len(kb.rules) == 17
    assert kb.threshold("mk7_typical_min") == 90
    assert kb.threshold("mk7_typical_max") == 360
    assert kb.threshold("mk4_pharmacological") == 1000
    assert kb.threshold("d3_iu_per_mcg") == 40


def test_thresholds_say_where_they_come_from() -> None:
    thresholds = knowledge().thresholds
    assert thresholds["mk7_typical_min"].origin == "source"
    assert thresholds["mk7_typical_max"].origin == "source"
    assert thresholds["mk4_pharmacological"].origin == "editorial"
    for threshold in thresholds.values():
        assert threshold.reason.strip()


def test_required_article_claims_are_present_with_locators() -> None:
    claims = knowledge().claims
    for claim_id in (
        "art.anticoagulant-consult",
        "art.anticoagulant-supervision",
        "art.mk7-typical-dose",
        "art.mk4-prescription-japan",
        "art.mk7-half-life",
        "art.k2-d3-synergy",
        "art.k2-d3-together",
        "art.natto-mk7",
        "art.reversal-limited",
        "art.time-to-effect",
        "art.consult-before-supplements",
    ):
        claim = claims[claim_id]
        assert claim.source.id == "article"
        assert claim.locator.strip()
    assert claims["art.animal-reversal"].evidence is Evidence.ANIMAL


@pytest.mark.skipif(not SOURCE_TEXT.exists(), reason="the source article is outside the repo")
def test_article_claims_are_paraphrased_not_copied() -> None:
    (article,) = SOURCE_TEXT.glob("*.txt")
    words = article.read_text("utf-8").lower().split()
    # Six words in a row, the same as the article's, is copying rather than paraphrase.
    copied = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}
    kb = knowledge()
    texts = {claim.id: claim.statement for claim in kb.claims.values()}
    texts |= {f"{rule.code} message": rule.message for rule in kb.rules.values()}
    texts |= {f"{rule.code} why": rule.why for rule in kb.rules.values()}
    texts |= {
        f"{rule.code} note {name}": note
        for rule in kb.rules.values()
        for name, note in rule.notes.items()
    }
    texts |= {f"food {food.id} note": food.note for food in kb.foods if food.note}
    for owner, text in texts.items():
        statement = text.lower().split()
        runs = {" ".join(statement[i : i + 6]) for i in range(len(statement) - 5)}
        assert not runs & copied, f"{owner} copies the article's wording: {runs & copied}"


def test_every_article_claim_says_where_as_section_and_item() -> None:
    for claim in knowledge().claims.values():
        if claim.source.id == "article":
            section, _, item = claim.locator.partition(" › ")
            assert section.strip(), f"{claim.id}: {claim.locator!r}"
            assert item.strip(), f"{claim.id}: {claim.locator!r} names no item of the section"


_OTHER_KINDS = {
    Evidence.HUMAN_TRIAL: ("animal", "rat ", "rats", "population", "diet held", "ate more"),
    Evidence.OBSERVATIONAL: ("animal", "rat ", "rats"),
    Evidence.ANIMAL: ("in people", "trial", "population"),
}


@pytest.mark.parametrize("kind", list(_OTHER_KINDS))
def test_a_claim_of_one_kind_of_study_does_not_also_report_another(kind: Evidence) -> None:
    # A passage mixing kinds is split, or labelled by its weakest part; a claim labelled with a
    # study kind that also reports a weaker or different kind of study is mislabelled.
    for claim in knowledge().claims.values():
        if claim.evidence is kind:
            text = claim.statement.lower()
            found = [word for word in _OTHER_KINDS[kind] if word in text]
            assert not found, f"{claim.id} is labelled {kind.value} but reports {found}"


def test_no_claim_ranks_cheese_below_natto() -> None:
    # The source lists some cheeses with natto among the best food sources of K2.
    for claim in knowledge().claims.values():
        text = " ".join(claim.statement.lower().split())
        if "chees" in text:
            assert not re.search(r"(smaller|less|lower)[^.;]*than natto", text), claim.id


def test_the_foods_the_source_names_as_k2_sources_are_recognized() -> None:
    kb = knowledge()
    for name in ("natto", "cheese", "cheeses", "egg yolks", "eggs", "meat", "meats"):
        assert fold(name) in kb.food_terms, name
    for food in kb.foods:
        assert food.claims, f"food {food.id} cites no claim"
        assert all(kb.claims[c].source.id == "article" for c in food.claims), food.id
        # A note is what a finding adds when the food is why it fired; only a food counted as
        # vitamin K can be that.
        assert (food.note is None) == (food.supplies is None), food.id
    # Only natto is called a rich source; the others have K2 in amounts the source does not
    # call rich (egg yolks, meat) or only in some kinds it does not name (cheese).
    assert [food.id for food in kb.foods if food.supplies is not None] == ["natto"]


def test_a_food_note_cites_the_claims_of_the_foods_that_can_fill_it() -> None:
    kb = knowledge()
    suppliers = {claim for food in kb.foods if food.supplies is not None for claim in food.claims}
    for code in ("K2-VKA", "K2-ANTICOAGULANT"):
        spec = kb.rules[code]
        assert "{food_notes}" in spec.notes["food"]
        # Every food that can fill the note cites the same claims the note does: a food with
        # other claims needs its own citation, not the claims of another food.
        assert set(spec.note_claims["food"]) == suppliers, code
        for food in kb.foods:
            if food.supplies is not None:
                assert set(food.claims) == suppliers, food.id


def test_every_locator_names_a_section_of_the_article() -> None:
    if not SOURCE_TEXT.exists():
        pytest.skip("the source article is outside the repo")
    (article,) = SOURCE_TEXT.glob("*.txt")
    text = article.read_text("utf-8")
    for claim in knowledge().claims.values():
        if claim.source.id != "article" or claim.locator.startswith("Introduction"):
            continue
        section = claim.locator.split(" › ")[0].split(" (")[0]
        assert section in text, f"{claim.id}: {section!r} is not a heading of the article"


Mutation = Callable[[dict[str, Any]], None]


def _broken(mutate: Mutation) -> dict[str, Any]:
    raw = copy.deepcopy(read_data_files())
    mutate(raw)
    return raw


def _rule(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(rule for rule in raw["rules"]["rules"] if rule["code"] == code)


def _claim(raw: dict[str, Any], claim_id: str) -> dict[str, Any]:
    return next(claim for claim in raw["claims"]["claims"] if claim["id"] == claim_id)


def _add_brand(substance: dict[str, Any], brand: str) -> None:
    """Add a brand with a source, as the vocabulary asks of every name."""
    substance["brands"].append(brand)
    if "provenance" in substance:
        substance["provenance"][brand] = list(substance["provenance"][substance["name"]])


BROKEN: list[tuple[str, Mutation, str]] = [
    (
        "dangling claim",
        lambda raw: _rule(raw, "K2-VKA")["claims"].append("art.no-such-claim"),
        "unknown claim 'art.no-such-claim'",
    ),
    (
        "thresholds listed by hand",
        lambda raw: _rule(raw, "K2-MK7-DOSE-LOW").update(thresholds=["mk7_typical_min"]),
        "worked out from its function and texts",
    ),
    (
        "unknown name in braces",
        lambda raw: _rule(raw, "K2-MK7-DOSE-LOW").update(checks="Less than {nope}."),
        "checks names {nope}, which is neither a threshold nor a vocabulary list",
    ),
    (
        "a threshold's number written by hand",
        lambda raw: _rule(raw, "K2-MK7-DOSE-HIGH").update(checks="More than 360 mcg a day."),
        "writes 360 by hand; write {mk7_typical_max}",
    ),
    (
        "a function that does not exist",
        lambda raw: _rule(raw, "K2-CONSULT").update(function="consultation.nope"),
        "no function consultation.nope",
    ),
    (
        "a rule function no rule names",
        lambda raw: raw["rules"]["rules"].remove(_rule(raw, "K2-MK4-HALF-LIFE")),
        "forms.mk4_planned is used by no rule",
    ),
    (
        "an unknown drug class",
        lambda raw: _rule(raw, "K2-VKA").update(parameters={"drug_class": "antiplatelet"}),
        "unknown drug class 'antiplatelet'",
    ),
    (
        "a parameter the function does not take",
        lambda raw: _rule(raw, "K2-CONSULT").update(parameters={"drug_class": "vka"}),
        "not taken by its function",
    ),
    (
        "a form missing from the terms",
        lambda raw: raw["terms"]["ingredients"].pop(),
        "forms",
    ),
    (
        "a goal the code does not know",
        lambda raw: raw["terms"]["goals"].append({"id": "weight_loss", "label": "weight"}),
        "malformed",
    ),
    (
        "a food supplying a form that is not vitamin K",
        lambda raw: raw["terms"]["foods"][0].update(supplies="D3"),
        "not a form of vitamin K",
    ),
    (
        "unknown source",
        lambda raw: _claim(raw, "art.natto-mk7").update(source="blog"),
        "unknown source 'blog'",
    ),
    (
        "duplicate claim id",
        lambda raw: raw["claims"]["claims"].append(dict(_claim(raw, "art.natto-mk7"))),
        "used twice",
    ),
    (
        "duplicate rule code",
        lambda raw: raw["rules"]["rules"].append(dict(_rule(raw, "K2-VKA"))),
        "used twice",
    ),
    (
        "uncited claim",
        lambda raw: _claim(raw, "art.disclaimer").update(background=False),
        "must be either cited by a rule or marked as background, not neither",
    ),
    (
        "rule resting on background",
        lambda raw: _rule(raw, "K2-CONSULT")["claims"].append("art.disclaimer"),
        "marked as background",
    ),
    (
        "source threshold without a claim",
        lambda raw: raw["thresholds"]["thresholds"]["mk7_typical_min"].update(claims=[]),
        "cites no claim",
    ),
    (
        "threshold without origin",
        lambda raw: raw["thresholds"]["thresholds"]["mk7_typical_min"].pop("origin"),
        "malformed",
    ),
    (
        "threshold as a float",
        lambda raw: raw["thresholds"]["thresholds"]["mk7_typical_min"].update(value=90.0),
        "decimal strings",
    ),
    ("version mismatch", lambda raw: raw["claims"].update(version="2020.1.0"), "disagree"),
    (
        "brand listed twice",
        lambda raw: _add_brand(raw["vocabulary"]["substances"][1], "Coumadin"),
        "'Coumadin' is listed for warfarin",
    ),
    (
        "ATC outside its class",
        lambda raw: raw["vocabulary"]["substances"][0]["atc"].append("B01AF09"),
        "outside its class",
    ),
    (
        "a substance of a class that is not defined",
        lambda raw: raw["vocabulary"]["substances"][0].update({"class": "no_such_class"}),
        "warfarin: class not defined",
    ),
    (
        "one code listed for two substances",
        lambda raw: raw["vocabulary"]["substances"][1]["rxnorm"].append(
            raw["vocabulary"]["substances"][0]["rxnorm"][0]
        ),
        "code 11289 is listed for warfarin and acenocoumarol",
    ),
    (
        "an instruction word that names a medicine",
        lambda raw: raw["terms"]["instruction_words"].append("coumadin"),
        "instruction words ['coumadin'] also name a medicine or a vitamin",
    ),
    (
        "an instruction start that names a vitamin",
        lambda raw: raw["terms"]["instruction_starts"].append("menaquinone"),
        "instruction words ['menaquinone'] also name a medicine or a vitamin",
    ),
    (
        "an instruction word not folded",
        lambda raw: raw["terms"]["instruction_words"].append("Daily"),
        "instruction word 'Daily': one folded word",
    ),
    (
        "a dose word of two words",
        lambda raw: raw["terms"]["dose_neutral_words"].append("soft gel"),
        "dose word 'soft gel': one folded word",
    ),
    (
        "a dose word not folded",
        lambda raw: raw["terms"]["dose_neutral_words"].append("BID"),
        "dose word 'BID': one folded word",
    ),
    (
        "RxNorm id that is not digits",
        lambda raw: raw["vocabulary"]["substances"][0]["rxnorm"].append("RX1"),
        "not all digits",
    ),
    (
        "unknown evidence kind",
        lambda raw: _claim(raw, "art.natto-mk7").update(evidence="anecdote"),
        "malformed",
    ),
    (
        "a note claim that does not exist",
        lambda raw: _rule(raw, "K2-VKA")["note_claims"]["k1"].append("ref.nope"),
        "rule K2-VKA cites unknown claim 'ref.nope' for 'k1'",
    ),
    (
        "a note claim that is background",
        lambda raw: _rule(raw, "K2-VKA")["note_claims"]["k1"].append("art.disclaimer"),
        "rests on 'art.disclaimer' for 'k1', which is marked as background",
    ),
    (
        "a note claim the rule also cites for every finding",
        lambda raw: _rule(raw, "K2-VKA")["note_claims"]["k1"].append("ref.atc-b01aa"),
        "cites 'ref.atc-b01aa' for 'k1' and among its own claims",
    ),
    (
        "claims for a note the rule does not have",
        lambda raw: _rule(raw, "K2-VKA")["note_claims"].update(nope=["ref.vka-antidote"]),
        "gives claims for 'nope', which is no note",
    ),
    (
        "a claim cited only for a note still counts as cited",
        lambda raw: _claim(raw, "ref.vka-antidote").update(background=True),
        "rests on 'ref.vka-antidote' for 'k1', which is marked as background",
    ),
    (
        "a supervised severity without reading supervision",
        lambda raw: _rule(raw, "K2-MK7-DOSE-HIGH").update(
            when_supervised={"severity": "info", "reason": "r"}
        ),
        "rule K2-MK7-DOSE-HIGH changes its severity when a doctor supervises",
    ),
    (
        "rule without claims",
        lambda raw: _rule(raw, "K2-CONSULT").update(claims=[]),
        "malformed",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "problem"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_inconsistent_knowledge_is_refused(mutate: Mutation, problem: str) -> None:
    with pytest.raises(KnowledgeError, match=re.escape(problem)):
        build_knowledge(_broken(mutate))


def test_the_unbroken_data_builds() -> None:
    assert build_knowledge(_broken(lambda raw: None)).version == knowledge().version


def test_the_code_and_the_terms_file_name_the_same_forms_and_goals() -> None:
    from k2safety import Form, Goal

    kb = knowledge()
    assert [ingredient.form for ingredient in kb.ingredients] == [form.value for form in Form]
    assert [goal.id for goal in kb.goals] == [goal.value for goal in Goal]


def test_a_rule_function_may_take_only_parts_of_the_profile_and_keywords() -> None:
    from k2safety._knowledge import _signature

    def reads_the_whole_profile(profile: object) -> None:
        """Reads what it should not."""

    def reads_a_part(supplements: object, *, mk7_typical_min: object) -> None:
        """Reads a part, and a threshold by keyword."""

    with pytest.raises(KnowledgeError, match="'profile' is not a part of the profile"):
        _signature("K2-X", reads_the_whole_profile)
    assert _signature("K2-X", reads_a_part) == (("supplements",), ("mk7_typical_min",))


def test_rule_texts_show_the_thresholds_and_vocabulary_they_name() -> None:
    kb = knowledge()
    low = kb.rules["K2-MK7-DOSE-LOW"]
    assert low.thresholds == ("mk7_typical_min", "mk7_typical_max")
    assert "less than 90 micrograms" in low.checks
    assert "below the 90-360 mcg a day" in low.message
    assert "{total}" in low.message  # filled in by the rule when it fires
    vka = kb.rules["K2-VKA"]
    names = [s.name for s in kb.substances.values() if s.drug_class == "vka"]
    assert ", ".join(names) in vka.checks
    assert "ATC B01AA" in vka.checks
    assert vka.inputs == ("drug_classes", "vitamin_k", "medical_supervision")


def test_citations_name_every_owner_of_a_claim() -> None:
    cited = knowledge().citations()
    assert ("threshold", "d3_iu_per_mcg") in cited["ref.d3-iu-per-mcg"]
    assert ("rule", "K2-VKA") in cited["art.anticoagulant-supervision"]
    assert ("drug class", "vka") in cited["ref.vka-antidote"]
    assert ("food", "natto") in cited["art.natto-mk7"]
    assert ("rule", "K2-VKA") in cited["ref.vka-antidote"]  # for its k1 note
    assert ("food", "cheese") in cited["art.cheese-k2"]


def test_rules_cite_claims_per_note() -> None:
    kb = knowledge()
    vka = kb.rules["K2-VKA"]
    assert vka.note_claims["k1"] == ("ref.vka-antidote",)
    assert vka.note_claims["food"] == ("art.natto-mk7",)
    assert not {"ref.vka-antidote", "art.natto-mk7"} & set(vka.claims)
    anticoagulant = kb.rules["K2-ANTICOAGULANT"]
    assert "art.anticoagulant-supervision" in anticoagulant.claims


# --- The parsed copy of the TOML files ----------------------------------------------------------


def _toml_as_tomllib_reads_it() -> dict[str, dict[str, Any]]:
    import tomllib

    return {name: tomllib.loads(_data.read_data(f"{name}.toml")) for name in _data.DATA_FILES}


def test_the_parsed_copy_is_current() -> None:
    """data/parsed.json is what scripts/generate_parsed_data.py writes for today's TOML files."""
    assert _data.read_data(_data.PARSED_COPY) == _data.parsed_copy_text(), (
        "k2safety/data/parsed.json is out of date: run scripts/generate_parsed_data.py"
    )


def test_the_data_files_read_as_tomllib_reads_the_toml() -> None:
    assert read_data_files() == _toml_as_tomllib_reads_it()


def test_a_toml_file_edited_after_the_copy_is_read_from_the_toml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = _data.read_data

    def edited(name: str) -> str:
        text = real(name)
        if name == "thresholds.toml":
            return text.replace('value = "90"', 'value = "91"', 1)
        return text

    monkeypatch.setattr(_data, "read_data", edited)
    raw = read_data_files()
    assert raw["thresholds"]["thresholds"]["mk7_typical_min"]["value"] == "91"
    assert raw["claims"] == _toml_as_tomllib_reads_it()["claims"]


@pytest.mark.parametrize(
    "copy_text",
    [
        "",
        "not json",
        '{"files": []}',
        "[]",
        '{"files": {"terms": {"content": {}}}}',
        '{"files": {"terms": [1]}}',
        '{"files": {"terms": {"sha256": 1, "content": []}}}',
    ],
)
def test_without_a_usable_copy_every_file_is_read_from_the_toml(
    monkeypatch: pytest.MonkeyPatch, copy_text: str
) -> None:
    real = _data.read_data
    monkeypatch.setattr(
        _data, "read_data", lambda name: copy_text if name == _data.PARSED_COPY else real(name)
    )
    assert read_data_files() == _toml_as_tomllib_reads_it()


def test_a_missing_copy_is_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _data.read_data

    def without_copy(name: str) -> str:
        if name == _data.PARSED_COPY:
            raise FileNotFoundError(name)
        return real(name)

    monkeypatch.setattr(_data, "read_data", without_copy)
    assert read_data_files() == _toml_as_tomllib_reads_it()


def test_the_copy_refuses_a_value_json_would_change(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _data.read_data
    monkeypatch.setattr(
        _data,
        "read_data",
        lambda name: (
            real(name) + "\nchecked = 2026-11-30\n" if name == "terms.toml" else real(name)
        ),
    )
    with pytest.raises(ValueError, match=r"terms\.toml holds a value JSON cannot keep"):
        _data.parsed_copy_text()
