"""Loads the knowledge base from ``k2safety/data/`` and refuses an inconsistent one.

The data files are the knowledge; this module reads them into typed, frozen objects, joins each
rule to the function that decides it, and checks that everything holds together:

* every id is unique; every cited claim, source, threshold, drug class and form exists;
* every claim is cited (by a rule, threshold, drug class or food) or marked as background;
* a claim a rule cites for one of its notes exists, is not background, and is not also among the
  rule's own claims;
* a threshold says whether its number is the source's or the project's own choice;
* the forms and goals in ``terms.toml`` are exactly the :class:`~k2safety.Form` and
  :class:`~k2safety.Goal` members the rules name;
* a rule's function takes only parts of the normalized profile and, keyword-only, thresholds
  and the rule's own parameters; its texts name only thresholds and vocabulary lists in braces,
  and never write a threshold's number out by hand;
* a rule whose severity changes when a doctor supervises reads ``medical_supervision``, so that
  its words can say what applies to a supervised person;
* all files carry the same version.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from k2safety._claims import Claim, Severity, Source
from k2safety._data import DATA_FILES, DATA_FOLDER, read_data, read_data_files
from k2safety._terms import Form, Goal
from k2safety._text import fold

__all__ = [
    "DATA_FILES",
    "DATA_FOLDER",
    "RULE_INPUTS",
    "DrugClass",
    "Food",
    "Ingredient",
    "Knowledge",
    "KnowledgeError",
    "RuleSpec",
    "Substance",
    "Threshold",
    "build_knowledge",
    "decimal_text",
    "knowledge",
    "read_data",
    "read_data_files",
]

RULE_INPUTS = (
    "supplements",
    "vitamin_k",
    "medications",
    "drug_classes",
    "foods",
    "unrecognized_foods",
    "goals",
    "conditions",
    "medical_supervision",
)
"""The parts of a normalized profile a rule may take, by parameter name (see _normalized.Facts)."""


class KnowledgeError(Exception):
    """The knowledge base in ``data/`` is malformed or inconsistent. A bug, never user input."""


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Downgrade(_Entry):
    """A lower severity a rule takes when a doctor supervises the person."""

    severity: Severity
    reason: str


class RuleSpec(_Entry):
    """A rule as the data describes it, joined at load to what its function takes."""

    code: str = Field(pattern=r"^K2-[A-Z0-9-]+$")
    severity: Severity
    title: str
    function: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    """The function that decides whether it fires: ``module.name`` inside ``k2safety.rules``."""
    parameters: dict[str, str] = Field(default_factory=dict)
    """Values the function takes by keyword besides thresholds (e.g. which drug class)."""
    claims: tuple[str, ...] = Field(min_length=1)
    checks: str
    why: str
    message: str
    notes: dict[str, str] = Field(default_factory=dict)
    note_claims: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """Claims a finding cites only when the note of that name applies, after the rule's own
    ``claims`` (which every finding of the rule cites)."""
    when_supervised: Downgrade | None = None
    inputs: tuple[str, ...] = ()
    """The parts of the profile the function reads: its parameters (filled in at load)."""
    thresholds: tuple[str, ...] = ()
    """The thresholds the function compares against or the texts name (filled in at load)."""


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
    id: str
    label: str
    atc_prefixes: tuple[str, ...]
    reversed_by_vitamin_k1: bool = False
    """Whether vitamin K1 is the antidote doctors use to reverse the class."""
    misspellings: bool = True
    """Whether a misspelled name may be read as this class (only where a guess errs toward
    caution: never for medicines screened as having no vitamin K concern)."""
    claims: tuple[str, ...]


class Substance(_Entry):
    id: str
    name: str
    drug_class: str = Field(alias="class")
    atc: tuple[str, ...] = ()
    rxnorm: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    provenance: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """The sources (ids in vocabulary_sources.toml) of each name (the name, each brand and
    synonym, by its text) and of the ``atc`` and ``rxnorm`` lists."""


class Ingredient(_Entry):
    form: Form
    label: str
    """How the form is named in a message, e.g. "MK-7 (vitamin K2)"."""
    aliases: tuple[str, ...]
    vitamin_k: bool
    k2: bool
    iu: bool


class Food(_Entry):
    id: str
    aliases: tuple[str, ...]
    supplies: Form | None = None
    """The form of vitamin K the food is a notable source of, if any."""
    note: str | None = None
    """A sentence a finding adds when the food is why it fired."""
    claims: tuple[str, ...] = ()


class GoalEntry(_Entry):
    id: Goal
    label: str


class _Versioned(_Entry):
    version: str = Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")


class _SourcesFile(_Versioned):
    sources: dict[str, dict[str, Any]]


class _ClaimsFile(_Versioned):
    claims: tuple[dict[str, Any], ...]


class _RulesFile(_Versioned):
    rules: tuple[RuleSpec, ...]


class _ThresholdsFile(_Versioned):
    thresholds: dict[str, Threshold]


class _VocabularyFile(_Versioned):
    classes: dict[str, DrugClass]
    substances: tuple[Substance, ...]

    @field_validator("classes", mode="before")
    @classmethod
    def _ids_from_keys(cls, classes: object) -> object:
        if isinstance(classes, dict):
            return {key: {"id": key, **entry} for key, entry in classes.items()}
        return classes


class _VocabularySourcesFile(_Versioned):
    sources: dict[str, dict[str, str]]


class _TermsFile(_Versioned):
    ingredients: tuple[Ingredient, ...]
    foods: tuple[Food, ...]
    goals: tuple[GoalEntry, ...]
    instruction_starts: tuple[str, ...]
    unit_words: tuple[str, ...]
    instruction_words: tuple[str, ...]
    dose_neutral_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleBinding:
    """A rule's data joined to its function and to the values the function takes."""

    spec: RuleSpec
    function: Callable[..., Any]
    claims: tuple[Claim, ...]
    """The claims every finding of the rule cites."""
    note_claims: Mapping[str, tuple[Claim, ...]]
    """The claims a finding cites besides, for each note of the rule that applies."""
    keywords: Mapping[str, object]
    """Thresholds (exact fractions) and parameters, by the function's keyword names; the
    ``drug_class`` parameter is given as its :class:`DrugClass`."""
    call: Callable[[tuple[Any, ...]], Any]
    """The function applied to the facts (a tuple in the order of :data:`RULE_INPUTS`): picks
    the parts it names and passes its keywords."""


@dataclass(frozen=True, slots=True, eq=False)
class Knowledge:
    """The whole knowledge base, loaded and checked."""

    version: str
    sources: Mapping[str, Source]
    claims: Mapping[str, Claim]
    rules: Mapping[str, RuleSpec]
    thresholds: Mapping[str, Threshold]
    classes: Mapping[str, DrugClass]
    substances: Mapping[str, Substance]
    ingredients: tuple[Ingredient, ...]
    foods: tuple[Food, ...]
    goals: tuple[GoalEntry, ...]
    bindings: tuple[RuleBinding, ...]
    """Every rule joined to its function, in code order."""
    ingredient_terms: Mapping[str, Ingredient]
    """Each form's name and aliases, folded, to the ingredient."""
    food_terms: Mapping[str, Food]
    """Each food's id and aliases, folded, to the food."""
    ingredient_of: Mapping[Form, Ingredient]
    """Each form's ingredient entry."""
    goal_labels: Mapping[Goal, str]
    """The words shown for each goal."""
    vitamin_k_forms: frozenset[Form]
    k2_forms: frozenset[Form]
    iu_forms: frozenset[Form]
    instruction_starts: frozenset[str]
    """Words that, first in a part of a medication's text, make it say how, when or why the
    medicine is taken (terms.toml)."""
    instruction_words: frozenset[str]
    """Words that say how a medicine is taken, never what it is (terms.toml)."""
    unit_words: frozenset[str]
    """Units that, right after a number, say how much of a medicine is taken (terms.toml)."""
    dose_neutral_words: frozenset[str]
    """Words that may follow an amount in a medication's text without changing it (terms.toml)."""

    def threshold(self, name: str) -> Fraction:
        """The exact value of a threshold, by name."""
        return self.thresholds[name].value

    def claims_for(self, ids: Iterable[str]) -> tuple[Claim, ...]:
        return tuple(self.claims[claim_id] for claim_id in ids)

    def citations(self) -> dict[str, list[tuple[str, str]]]:
        """Who cites each claim, by claim id: ``(kind, name)`` pairs, where ``kind`` is
        ``rule``, ``threshold``, ``drug class`` or ``food``; rules first, in code order. A rule
        cites its own claims and those of its notes."""
        cited: dict[str, list[tuple[str, str]]] = {}
        owners: list[tuple[str, str, Iterable[str]]] = [
            ("rule", code, _all_claims(spec)) for code, spec in self.rules.items()
        ]
        owners += [("threshold", name, t.claims) for name, t in self.thresholds.items()]
        owners += [("drug class", name, c.claims) for name, c in self.classes.items()]
        owners += [("food", food.id, food.claims) for food in self.foods]
        for kind, name, claim_ids in owners:
            for claim_id in claim_ids:
                cited.setdefault(claim_id, []).append((kind, name))
        return cited


def build_knowledge(raw: Mapping[str, Mapping[str, Any]]) -> Knowledge:
    """Validate raw data-file contents, join the rules to their functions, check consistency."""
    try:
        sources_file = _SourcesFile.model_validate(raw["sources"])
        claims_file = _ClaimsFile.model_validate(raw["claims"])
        rules_file = _RulesFile.model_validate(raw["rules"])
        thresholds_file = _ThresholdsFile.model_validate(raw["thresholds"])
        vocabulary = _VocabularyFile.model_validate(raw["vocabulary"])
        vocabulary_sources = _VocabularySourcesFile.model_validate(raw["vocabulary_sources"])
        terms = _TermsFile.model_validate(raw["terms"])
        sources = {key: Source(id=key, **entry) for key, entry in sources_file.sources.items()}
        claims = _claims(claims_file.claims, sources)
    except ValidationError as error:
        raise KnowledgeError(f"malformed data file: {error}") from None
    files = [sources_file, claims_file, rules_file, thresholds_file, vocabulary, terms]
    files.append(vocabulary_sources)
    versions = {file.version for file in files}
    _require(len(versions) == 1, f"data files disagree on the version: {sorted(versions)}")
    thresholds = thresholds_file.thresholds
    substances = _unique({s.id: s for s in vocabulary.substances}, vocabulary.substances, "id")
    vocabulary_names = _check_vocabulary(vocabulary, vocabulary_sources.sources.keys())
    _check_terms(terms)
    prose = _prose_values(thresholds, vocabulary, terms)
    rules: dict[str, RuleSpec] = {}
    bindings = []
    for spec in sorted(rules_file.rules, key=lambda spec: spec.code):
        _require(spec.code not in rules, f"rule code {spec.code!r} is used twice")
        spec, binding = _bind(spec, claims, thresholds, vocabulary.classes, prose)
        rules[spec.code] = spec
        bindings.append(binding)
    _check_functions_used(rules.values())
    kb = Knowledge(
        version=versions.pop(),
        sources=MappingProxyType(sources),
        claims=MappingProxyType(claims),
        rules=MappingProxyType(rules),
        thresholds=MappingProxyType(thresholds),
        classes=MappingProxyType(vocabulary.classes),
        substances=MappingProxyType(substances),
        ingredients=terms.ingredients,
        foods=terms.foods,
        goals=terms.goals,
        bindings=tuple(bindings),
        ingredient_terms=MappingProxyType(
            {fold(name): i for i in terms.ingredients for name in (i.form.value, *i.aliases)}
        ),
        food_terms=MappingProxyType(
            {fold(name): food for food in terms.foods for name in (food.id, *food.aliases)}
        ),
        ingredient_of=MappingProxyType({i.form: i for i in terms.ingredients}),
        goal_labels=MappingProxyType({goal.id: goal.label for goal in terms.goals}),
        vitamin_k_forms=frozenset(i.form for i in terms.ingredients if i.vitamin_k),
        k2_forms=frozenset(i.form for i in terms.ingredients if i.k2),
        iu_forms=frozenset(i.form for i in terms.ingredients if i.iu),
        instruction_starts=frozenset(terms.instruction_starts),
        instruction_words=frozenset(terms.instruction_words),
        dose_neutral_words=frozenset(terms.dose_neutral_words),
        unit_words=frozenset(terms.unit_words),
    )
    _check_instruction_words(kb, vocabulary_names)
    _check_citations(kb)
    return kb


def _check_instruction_words(kb: Knowledge, vocabulary_names: set[str]) -> None:
    """No word that says how a medicine is taken is also the name of one (``vocabulary_names``:
    the substances' names, brands and synonyms, folded) or of a vitamin."""
    words = kb.instruction_starts | kb.instruction_words | kb.unit_words
    named = sorted(
        word for word in words if word in vocabulary_names or word in kb.ingredient_terms
    )
    _require(not named, f"instruction words {named} also name a medicine or a vitamin")


def _claims(entries: Iterable[dict[str, Any]], sources: Mapping[str, Source]) -> dict[str, Claim]:
    claims: dict[str, Claim] = {}
    for entry in entries:
        claim_id, source_id = entry.get("id"), entry.get("source")
        _require(isinstance(claim_id, str), f"a claim has no id: {entry}")
        _require(claim_id not in claims, f"claim id {claim_id!r} is used twice")
        _require(source_id in sources, f"claim {claim_id!r} cites unknown source {source_id!r}")
        claims[str(claim_id)] = Claim.model_validate({**entry, "source": sources[str(source_id)]})
    return claims


def _unique(
    by_id: dict[str, Substance], entries: tuple[Substance, ...], what: str
) -> dict[str, Substance]:
    _require(len(by_id) == len(entries), f"a substance {what} is used twice")
    return by_id


_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def _prose_values(
    thresholds: Mapping[str, Threshold], vocabulary: _VocabularyFile, terms: _TermsFile
) -> dict[str, str]:
    """What a rule's texts may name in braces besides the values its function gives."""
    values = {name: decimal_text(threshold.value) for name, threshold in thresholds.items()}
    vitamin_k = [i.form for i in terms.ingredients if i.vitamin_k]
    values["vitamin_k_forms"] = ", ".join(vitamin_k)
    values["vitamin_k_foods"] = ", ".join(f.id for f in terms.foods if f.supplies in vitamin_k)
    values["mk7_foods"] = ", ".join(f.id for f in terms.foods if f.supplies is Form.MK7)
    for class_id, drug_class in vocabulary.classes.items():
        names = [s.name for s in vocabulary.substances if s.drug_class == class_id]
        values[f"{class_id}_substances"] = ", ".join(names)
        values[f"{class_id}_atc"] = ", ".join(drug_class.atc_prefixes)
    return values


def _bind(
    spec: RuleSpec,
    claims: Mapping[str, Claim],
    thresholds: Mapping[str, Threshold],
    classes: Mapping[str, DrugClass],
    prose: Mapping[str, str],
) -> tuple[RuleSpec, RuleBinding]:
    code = spec.code
    _require(
        not spec.inputs and not spec.thresholds,
        f"rule {code}: inputs and thresholds are "
        "worked out from its function and texts; do not write them in rules.toml",
    )
    for claim_id in spec.claims:
        _require(claim_id in claims, f"rule {code} cites unknown claim {claim_id!r}")
        _require(
            not claims[claim_id].background,
            f"rule {code} rests on {claim_id!r}, which is marked as background",
        )
    for note, note_claim_ids in spec.note_claims.items():
        _require(note in spec.notes, f"rule {code} gives claims for {note!r}, which is no note")
        for claim_id in note_claim_ids:
            _require(
                claim_id in claims, f"rule {code} cites unknown claim {claim_id!r} for {note!r}"
            )
            _require(
                not claims[claim_id].background,
                f"rule {code} rests on {claim_id!r} for {note!r}, which is marked as background",
            )
            _require(
                claim_id not in spec.claims,
                f"rule {code} cites {claim_id!r} for {note!r} and among its own claims; "
                "list it once: every finding cites the rule's own claims",
            )
    drug_class = spec.parameters.get("drug_class")
    _require(
        drug_class is None or drug_class in classes,
        f"rule {code}: unknown drug class {drug_class!r}",
    )
    function = _rule_function(spec)
    inputs, keyword_names = _signature(code, function)
    _require(
        spec.when_supervised is None or "medical_supervision" in inputs,
        f"rule {code} changes its severity when a doctor supervises, so its function must read "
        "medical_supervision to say what applies to a supervised person",
    )
    unknown = [
        name for name in keyword_names if name not in thresholds and name not in spec.parameters
    ]
    _require(
        not unknown,
        f"rule {code}: its function takes {unknown}, which are neither "
        "thresholds nor parameters of the rule",
    )
    unused = sorted(set(spec.parameters) - set(keyword_names))
    _require(not unused, f"rule {code}: parameters {unused} are not taken by its function")
    texts = {"title": spec.title, "checks": spec.checks, "why": spec.why}
    named = [
        name
        for text in (*texts.values(), spec.message, *spec.notes.values())
        for name in _PLACEHOLDER.findall(text)
        if name in thresholds
    ]
    rule_thresholds = tuple(
        dict.fromkeys([name for name in keyword_names if name in thresholds] + named)
    )
    for field, text in texts.items():
        for name in _PLACEHOLDER.findall(text):
            _require(
                name in prose,
                f"rule {code}: {field} names {{{name}}}, which is neither a "
                "threshold nor a vocabulary list",
            )
    _check_no_written_numbers(spec, thresholds)
    filled = {name: prose[name] for name in rule_thresholds}
    spec = spec.model_copy(
        update={
            "title": _fill(spec.title, prose),
            "checks": _fill(spec.checks, prose),
            "why": _fill(spec.why, prose),
            "message": _fill_some(spec.message, filled),
            "notes": {name: _fill_some(text, filled) for name, text in spec.notes.items()},
            "inputs": inputs,
            "thresholds": rule_thresholds,
        }
    )
    keywords: dict[str, object] = {
        name: thresholds[name].value
        if name in thresholds
        else classes[spec.parameters[name]]
        if name == "drug_class"
        else spec.parameters[name]
        for name in keyword_names
    }
    binding = RuleBinding(
        spec=spec,
        function=function,
        claims=tuple(claims[claim_id] for claim_id in spec.claims),
        note_claims=MappingProxyType(
            {
                note: tuple(claims[claim_id] for claim_id in dict.fromkeys(ids))
                for note, ids in spec.note_claims.items()
            }
        ),
        keywords=MappingProxyType(keywords),
        call=_caller(function, inputs, keywords),
    )
    return spec, binding


def _caller(
    function: Callable[..., Any], inputs: tuple[str, ...], keywords: Mapping[str, object]
) -> Callable[[tuple[Any, ...]], Any]:
    # One call per rule per check: no layer that is not needed (a partial only for keywords).
    positions = [RULE_INPUTS.index(name) for name in inputs]
    bound = functools.partial(function, **keywords) if keywords else function
    if len(positions) == 1:
        (only,) = positions
        return lambda facts: bound(facts[only])
    if len(positions) == 2:
        first, second = positions
        return lambda facts: bound(facts[first], facts[second])
    pick = operator.itemgetter(*positions)
    return lambda facts: bound(*pick(facts))


def _rule_function(spec: RuleSpec) -> Callable[..., Any]:
    module_name, name = spec.function.split(".")
    try:
        module = importlib.import_module(f"k2safety.rules.{module_name}")
        function: Callable[..., Any] = getattr(module, name)
    except (ImportError, AttributeError):
        problem = f"rule {spec.code}: no function {spec.function} in k2safety.rules"
        raise KnowledgeError(problem) from None
    _require(bool(inspect.getdoc(function)), f"rule {spec.code}: {spec.function} has no docstring")
    return function


def _signature(code: str, function: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    inputs: list[str] = []
    keywords: list[str] = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keywords.append(parameter.name)
        elif parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            _require(
                parameter.name in RULE_INPUTS,
                f"rule {code}: parameter {parameter.name!r} "
                f"is not a part of the profile; parts: {list(RULE_INPUTS)}",
            )
            inputs.append(parameter.name)
        else:
            raise KnowledgeError(
                f"rule {code}: parameter {parameter.name!r} must be a profile part or keyword-only"
            )
    _require(bool(inputs), f"rule {code}: its function reads no part of the profile")
    return tuple(inputs), tuple(keywords)


def _fill(text: str, values: Mapping[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: values[match[1]], text)


def _fill_some(text: str, values: Mapping[str, str]) -> str:
    """Fill the thresholds a message names now; the function's values are filled when it fires."""
    return _PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), text)


_NUMBER = re.compile(r"(?<![\w.{])\d+(?:\.\d+)?(?![\w}]|\.\d)")


def _check_no_written_numbers(spec: RuleSpec, thresholds: Mapping[str, Threshold]) -> None:
    """A threshold's number appears in a rule's texts only through its placeholder."""
    numbers = {decimal_text(t.value): name for name, t in thresholds.items()}
    texts = [spec.title, spec.checks, spec.why, spec.message, *spec.notes.values()]
    for text in texts:
        for written in _NUMBER.findall(text):
            _require(
                written not in numbers,
                f"rule {spec.code} writes {written} by hand; "
                f"write {{{numbers.get(written)}}} so the number comes from thresholds.toml",
            )


def _check_functions_used(specs: Iterable[RuleSpec]) -> None:
    used: dict[str, str] = {}
    for spec in specs:
        owner = used.setdefault(spec.function, spec.code)
        _require(
            owner == spec.code or "drug_class" in spec.parameters,
            f"rules {owner} and {spec.code} share {spec.function} without parameters",
        )
    from k2safety import rules

    # A rules module lists its rule functions in __all__ (tools such as mutmut add functions of
    # their own to a module, so "every public function" would not do).
    for module in rules.MODULES:
        short = module.__name__.rsplit(".", 1)[-1]
        listed: list[str] = getattr(module, "__all__", [])
        _require(bool(listed), f"k2safety.rules.{short} lists its rule functions in __all__")
        for name in listed:
            _require(f"{short}.{name}" in used, f"rule function {short}.{name} is used by no rule")
    for function in used:
        short, name = function.split(".")
        module = next(m for m in rules.MODULES if m.__name__.endswith(f".{short}"))
        _require(name in module.__all__, f"{function} is named by a rule but not in its __all__")


def _check_vocabulary(vocabulary: _VocabularyFile, source_ids: Iterable[str]) -> set[str]:
    """Check the substances; return their names, brands and synonyms, folded."""
    # Checked with plain ifs, not _require: its message would be formatted for each of the
    # ~9,000 checks, which cost a fresh process's first check several milliseconds.
    seen_terms: dict[str, str] = {}
    seen_codes: dict[str, str] = {}
    known_sources = set(source_ids)
    other_groups = {
        class_id: tuple(
            prefix
            for other_id, other in vocabulary.classes.items()
            if other_id != class_id
            for prefix in other.atc_prefixes
        )
        for class_id in vocabulary.classes
    }
    for substance in vocabulary.substances:
        drug_class = vocabulary.classes.get(substance.drug_class)
        if drug_class is None:
            raise KnowledgeError(f"{substance.id}: class not defined")
        for code in substance.atc:
            inside = (
                code.startswith(drug_class.atc_prefixes)
                if drug_class.atc_prefixes
                else not code.startswith(other_groups[substance.drug_class])
            )
            if not inside:
                raise KnowledgeError(
                    f"{substance.id}: ATC {code} is outside its class {substance.drug_class}"
                )
        _check_provenance(substance, known_sources)
        for code in (*substance.atc, *substance.rxnorm):
            owner = seen_codes.setdefault(code, substance.id)
            if owner != substance.id:
                raise KnowledgeError(f"code {code} is listed for {owner} and {substance.id}")
        for rxcui in substance.rxnorm:
            if not rxcui.isdigit():
                raise KnowledgeError(f"{substance.id}: RxNorm id {rxcui!r} is not all digits")
        for term in (substance.name, *substance.brands, *substance.synonyms):
            owner = seen_terms.setdefault(fold(term), substance.id)
            if owner != substance.id:
                raise KnowledgeError(f"name {term!r} is listed for {owner} and {substance.id}")
    return set(seen_terms)


def _check_provenance(substance: Substance, known_sources: set[str]) -> None:
    """Every name and code list of a substance names its sources, and only known ones."""
    needed = [substance.name, *substance.brands, *substance.synonyms]
    needed += [field for field in ("atc", "rxnorm") if getattr(substance, field)]
    provenance = substance.provenance
    for key in needed:
        if not provenance.get(key):
            raise KnowledgeError(f"{substance.id}: {key!r} has no source in its provenance table")
    if not provenance.keys() <= set(needed):
        unused = sorted(set(provenance) - set(needed))
        raise KnowledgeError(f"{substance.id}: provenance names {unused}, which it does not list")
    for key, source_ids in provenance.items():
        if not known_sources.issuperset(source_ids):
            unknown = sorted(set(source_ids) - known_sources)
            raise KnowledgeError(f"{substance.id}: {key!r} cites unknown sources {unknown}")


def _check_terms(terms: _TermsFile) -> None:
    for word in (*terms.instruction_starts, *terms.instruction_words, *terms.unit_words):
        _require(
            word.isalpha() and word == fold(word), f"instruction word {word!r}: one folded word"
        )
    for word in terms.dose_neutral_words:
        _require(word.isalpha() and word == fold(word), f"dose word {word!r}: one folded word")
    forms = [ingredient.form for ingredient in terms.ingredients]
    _require(sorted(forms) == sorted(Form), f"terms.toml forms {forms} must be {list(Form)}")
    goals = [goal.id for goal in terms.goals]
    _require(sorted(goals) == sorted(Goal), f"terms.toml goals {goals} must be {list(Goal)}")
    for ingredient in terms.ingredients:
        _require(not ingredient.k2 or ingredient.vitamin_k, f"{ingredient.form}: K2 is vitamin K")
    vitamin_k = {ingredient.form for ingredient in terms.ingredients if ingredient.vitamin_k}
    for food in terms.foods:
        _require(
            food.supplies is None or food.supplies in vitamin_k,
            f"food {food.id}: supplies {food.supplies}, which is not a form of vitamin K",
        )
    seen: dict[str, str] = {}
    for owner, names in [(i.form.value, (i.form.value, *i.aliases)) for i in terms.ingredients] + [
        (food.id, (food.id, *food.aliases)) for food in terms.foods
    ]:
        for name in names:
            first = seen.setdefault(fold(name), owner)
            _require(first == owner, f"term {name!r} is listed for {first} and {owner}")


def _check_citations(kb: Knowledge) -> None:
    cited = kb.citations()
    for owner_claims in cited.items():
        claim_id, owners = owner_claims
        kind, name = owners[0]
        _require(claim_id in kb.claims, f"{kind} {name} cites unknown claim {claim_id!r}")
    for name, threshold in kb.thresholds.items():
        _require(
            threshold.origin == "editorial" or bool(threshold.claims),
            f"threshold {name} says it comes from a source but cites no claim",
        )
    # Findings rest only on the claims rules cite; any other claim is background, which
    # thresholds, drug classes and foods may still cite for where their facts come from.
    by_rules = {claim_id for spec in kb.rules.values() for claim_id in _all_claims(spec)}
    for claim in kb.claims.values():
        _require(
            (claim.id in by_rules) != claim.background,
            f"claim {claim.id!r} must be either cited by a rule or marked as background, not "
            + ("both" if claim.background else "neither"),
        )


def _all_claims(spec: RuleSpec) -> tuple[str, ...]:
    """A rule's own claims and then its notes' claims, each once."""
    note_claims = (claim_id for ids in spec.note_claims.values() for claim_id in ids)
    return tuple(dict.fromkeys((*spec.claims, *note_claims)))


def decimal_text(value: Fraction) -> str:
    """An exact fraction as decimal text when it has a finite expansion (thresholds always do).

    >>> decimal_text(Fraction(90)), decimal_text(Fraction(1, 8)), decimal_text(Fraction(1, 3))
    ('90', '0.125', '1/3')
    """
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:
        return str(value)
    scaled, places = value, 0
    while scaled.denominator != 1:
        scaled *= 10
        places += 1
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    whole, fraction = (digits[:-places], digits[-places:]) if places else (digits, "")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


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
