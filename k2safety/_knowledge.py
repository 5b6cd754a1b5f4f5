"""Loads the knowledge base from ``k2safety/data/`` and refuses an inconsistent one.

The data files are the knowledge; this module only reads them into typed, frozen objects and
checks that they hold together: every id is unique, every cited claim, source and threshold
exists, every claim is either cited or marked as background, every threshold says whether the
number is the source's or the project's, and all files carry the same version.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from k2safety._claims import Claim, Evidence, Severity, Source

__all__ = [
    "DATA_FILES",
    "DrugClass",
    "DrugClassId",
    "Food",
    "Ingredient",
    "Knowledge",
    "KnowledgeError",
    "RuleSpec",
    "Substance",
    "Threshold",
    "build_knowledge",
    "knowledge",
    "read_data_files",
]

DrugClassId = Literal["vka", "other_anticoagulant"]

DATA_FILES = ("sources", "claims", "rules", "thresholds", "vocabulary", "terms")


class KnowledgeError(Exception):
    """The knowledge base in ``data/`` is malformed or inconsistent. A bug, never user input."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _SourceEntry(_Entry):
    title: str
    kind: str
    author: str | None = None
    publisher: str | None = None
    year: int | None = None
    url: str | None = None
    note: str | None = None


class _ClaimEntry(_Entry):
    id: str
    source: str
    locator: str = Field(min_length=1)
    evidence: Evidence
    statement: str = Field(min_length=1)
    background: bool = False


class Downgrade(_Entry):
    """A lower severity a rule takes when a doctor supervises the person."""

    severity: Severity
    reason: str


class RuleSpec(_Entry):
    """Everything about a rule except the function that decides whether it fires."""

    code: str = Field(pattern=r"^K2-[A-Z0-9-]+$")
    severity: Severity
    title: str
    claims: tuple[str, ...] = Field(min_length=1)
    thresholds: tuple[str, ...] = ()
    checks: str
    why: str
    message: str
    notes: dict[str, str] = Field(default_factory=dict)
    when_supervised: Downgrade | None = None


class Threshold(_Entry):
    """A number a rule compares against, with where the number comes from."""

    value: Fraction
    unit: str
    origin: Literal["source", "editorial"]
    claims: tuple[str, ...] = ()
    reason: str = Field(min_length=1)

    @field_validator("value", mode="before")
    @classmethod
    def _exact_decimal_text(cls, value: object) -> Fraction:
        if not isinstance(value, str):
            raise ValueError('write threshold values as decimal strings, e.g. "90"')
        return Fraction(value)


class DrugClass(_Entry):
    label: str
    atc_prefixes: tuple[str, ...]
    claims: tuple[str, ...]


class Substance(_Entry):
    id: str
    name: str
    drug_class: DrugClassId = Field(alias="class")
    atc: tuple[str, ...] = ()
    rxnorm: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()


class Ingredient(_Entry):
    form: str
    aliases: tuple[str, ...]
    vitamin_k: bool
    k2: bool
    iu: bool


class Food(_Entry):
    id: str
    aliases: tuple[str, ...]
    vitamin_k: str | None = None
    claims: tuple[str, ...] = ()


class Goal(_Entry):
    id: str
    label: str


class _Versioned(_Entry):
    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")


class _SourcesFile(_Versioned):
    sources: dict[str, _SourceEntry]


class _ClaimsFile(_Versioned):
    claims: tuple[_ClaimEntry, ...]


class _RulesFile(_Versioned):
    rules: tuple[RuleSpec, ...]


class _ThresholdsFile(_Versioned):
    thresholds: dict[str, Threshold]


class _VocabularyFile(_Versioned):
    classes: dict[DrugClassId, DrugClass]
    substances: tuple[Substance, ...]


class _TermsFile(_Versioned):
    ingredients: tuple[Ingredient, ...]
    foods: tuple[Food, ...]
    goals: tuple[Goal, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Knowledge:
    """The whole knowledge base, loaded and checked."""

    version: str
    sources: Mapping[str, Source]
    claims: Mapping[str, Claim]
    rules: Mapping[str, RuleSpec]
    thresholds: Mapping[str, Threshold]
    classes: Mapping[DrugClassId, DrugClass]
    substances: Mapping[str, Substance]
    ingredients: tuple[Ingredient, ...]
    foods: tuple[Food, ...]
    goals: tuple[Goal, ...]

    def threshold(self, name: str) -> Fraction:
        """The exact value of a threshold, by name."""
        return self.thresholds[name].value

    def claims_for(self, ids: Iterable[str]) -> tuple[Claim, ...]:
        return tuple(self.claims[claim_id] for claim_id in ids)


def read_data_files() -> dict[str, dict[str, Any]]:
    """The raw TOML of every data file, by name (``"claims"``, ``"rules"``, ...)."""
    folder = resources.files("k2safety") / "data"
    return {
        name: tomllib.loads((folder / f"{name}.toml").read_text("utf-8")) for name in DATA_FILES
    }


def build_knowledge(raw: Mapping[str, Mapping[str, Any]]) -> Knowledge:
    """Validate raw data-file contents and check that they are consistent."""
    try:
        sources_file = _SourcesFile.model_validate(raw["sources"])
        claims_file = _ClaimsFile.model_validate(raw["claims"])
        rules_file = _RulesFile.model_validate(raw["rules"])
        thresholds_file = _ThresholdsFile.model_validate(raw["thresholds"])
        vocabulary_file = _VocabularyFile.model_validate(raw["vocabulary"])
        terms_file = _TermsFile.model_validate(raw["terms"])
    except ValidationError as error:
        raise KnowledgeError(f"malformed data file: {error}") from None
    files: list[_Versioned] = [
        sources_file,
        claims_file,
        rules_file,
        thresholds_file,
        vocabulary_file,
        terms_file,
    ]
    versions = {file.version for file in files}
    if len(versions) != 1:
        raise KnowledgeError(f"data files disagree on the version: {sorted(versions)}")

    sources = {
        source_id: Source(id=source_id, **entry.model_dump())
        for source_id, entry in sources_file.sources.items()
    }
    claims: dict[str, Claim] = {}
    for entry in claims_file.claims:
        _require(entry.id not in claims, f"claim id {entry.id!r} is used twice")
        _require(
            entry.source in sources, f"claim {entry.id!r} cites unknown source {entry.source!r}"
        )
        claims[entry.id] = Claim(
            **entry.model_dump(exclude={"source"}), source=sources[entry.source]
        )

    rules: dict[str, RuleSpec] = {}
    for spec in rules_file.rules:
        _require(spec.code not in rules, f"rule code {spec.code!r} is used twice")
        rules[spec.code] = spec

    substances: dict[str, Substance] = {}
    for substance in vocabulary_file.substances:
        _require(substance.id not in substances, f"substance id {substance.id!r} is used twice")
        substances[substance.id] = substance

    _check_references(claims, rules, thresholds_file.thresholds, vocabulary_file, terms_file)
    _check_vocabulary(vocabulary_file)
    return Knowledge(
        version=versions.pop(),
        sources=sources,
        claims=claims,
        rules=rules,
        thresholds=thresholds_file.thresholds,
        classes=vocabulary_file.classes,
        substances=substances,
        ingredients=terms_file.ingredients,
        foods=terms_file.foods,
        goals=terms_file.goals,
    )


def _check_references(
    claims: Mapping[str, Claim],
    rules: Mapping[str, RuleSpec],
    thresholds: Mapping[str, Threshold],
    vocabulary: _VocabularyFile,
    terms: _TermsFile,
) -> None:
    cited: set[str] = set()
    for spec in rules.values():
        for claim_id in spec.claims:
            _require(claim_id in claims, f"rule {spec.code} cites unknown claim {claim_id!r}")
            _require(
                not claims[claim_id].background,
                f"rule {spec.code} rests on {claim_id!r}, which is marked as background",
            )
        for name in spec.thresholds:
            _require(name in thresholds, f"rule {spec.code} uses unknown threshold {name!r}")
        cited.update(spec.claims)
    others = [(f"threshold {name}", t.claims) for name, t in thresholds.items()]
    others += [(f"drug class {name}", c.claims) for name, c in vocabulary.classes.items()]
    others += [(f"food {food.id}", food.claims) for food in terms.foods]
    for owner, claim_ids in others:
        for claim_id in claim_ids:
            _require(claim_id in claims, f"{owner} cites unknown claim {claim_id!r}")
    for name, threshold in thresholds.items():
        _require(
            threshold.origin == "editorial" or bool(threshold.claims),
            f"threshold {name} says it comes from a source but cites no claim",
        )
    for claim in claims.values():
        _require(
            claim.id in cited or claim.background,
            f"claim {claim.id!r} is cited by no rule and not marked as background",
        )


def _check_vocabulary(vocabulary: _VocabularyFile) -> None:
    seen_terms: dict[str, str] = {}
    seen_codes: dict[str, str] = {}
    for substance in vocabulary.substances:
        _require(substance.drug_class in vocabulary.classes, f"{substance.id}: class not defined")
        drug_class = vocabulary.classes[substance.drug_class]
        for code in substance.atc:
            _require(
                code.startswith(drug_class.atc_prefixes),
                f"{substance.id}: ATC {code} is outside its class {substance.drug_class}",
            )
        for code in (*substance.atc, *substance.rxnorm):
            owner = seen_codes.setdefault(code, substance.id)
            _require(owner == substance.id, f"code {code} is listed for {owner} and {substance.id}")
        for rxcui in substance.rxnorm:
            _require(rxcui.isdigit(), f"{substance.id}: RxNorm id {rxcui!r} is not all digits")
        for term in (substance.name, *substance.brands, *substance.synonyms):
            owner = seen_terms.setdefault(term.casefold(), substance.id)
            _require(
                owner == substance.id, f"name {term!r} is listed for {owner} and {substance.id}"
            )


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise KnowledgeError(problem)


_lock = threading.Lock()
_loaded: Knowledge | None = None


def knowledge() -> Knowledge:
    """The packaged knowledge base, loaded and checked once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = build_knowledge(read_data_files())
    return _loaded
