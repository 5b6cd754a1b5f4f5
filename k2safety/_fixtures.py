'''The rule fixtures: a rule's example profiles and what the rule must say about each.

``tests/rules/fixtures/<CODE>.toml`` holds the examples of the rule ``CODE``: profiles that fire
it (``[[fires]]``), each with the finding's expected severity, exact message and triggers, and
profiles that must not fire it (``[[ok]]``)::

    # Comments anywhere are kept when the expectations are refreshed, except inside
    # severity, message and triggers themselves.

    [[fires]]
    name = "Warfarin with a typical MK-7 supplement"
    severity = "critical"
    message = """You take warfarin, a vitamin K antagonist, and plan MK-7 (vitamin K2). \\
    Vitamin K works against ..."""
    triggers = [
      { field = "medications", value = "Warfarin sodium 5 mg tablet" },
      { field = "supplements", value = "MK-7 180 mcg/day" },
    ]
    [fires.profile]
    medications = ["Warfarin sodium 5 mg tablet"]
    supplements = [{ ingredient = "MK-7", dose = "180 mcg" }]

    [[ok]]
    name = "Warfarin with vitamin D3 only"
    [ok.profile]
    medications = ["warfarin"]
    supplements = [{ ingredient = "D3", dose = "1000 IU" }]

A firing example written without ``severity``, ``message`` and ``triggers`` has no expectation
yet: ``pytest --update-fixtures`` records what the rule says now, which a person then reads.

This module is the one reader of these files (the rule tests and the docs' rule catalog use it)
and their one writer (:func:`refresh`). It judges examples with :func:`k2safety.check` only.
'''

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k2safety import ProfileError, Severity, check

__all__ = [
    "Example",
    "FixtureError",
    "Outcome",
    "RuleExamples",
    "outcome",
    "read_fixture",
    "read_fixtures",
    "refresh",
    "refreshed_text",
    "verify",
]

_KINDS = ("fires", "ok")
_EXPECTATION = ("severity", "message", "triggers")
_EXAMPLE_KEYS = frozenset({"name", "profile", *_EXPECTATION})
_TRIGGER_KEYS = frozenset({"field", "value"})
_WIDTH = 100  # the longest line refresh writes, where a message can be wrapped

Triggers = tuple[tuple[str, str], ...]


class FixtureError(Exception):
    """A fixture file cannot be read or written, or an example does not do what it says."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a rule says about a profile: its finding's severity, message and triggers.

    ``triggers`` are ``(field, value)`` pairs in the finding's order.
    """

    severity: Severity
    message: str
    triggers: Triggers


@dataclass(frozen=True, slots=True)
class Example:
    """One example of a rule's fixture file.

    ``fires`` says whether the rule must fire; ``expected`` is the finding a firing example
    expects (``None`` until it is recorded; always ``None`` for an example that does not fire).
    ``index`` is the example's place among the file's examples of its kind, from 0.
    """

    name: str
    profile: Mapping[str, Any]
    fires: bool
    index: int
    expected: Outcome | None = None

    @property
    def kind(self) -> str:
        """``"fires"`` or ``"ok"``, the example's table in the file."""
        return _KINDS[0] if self.fires else _KINDS[1]


@dataclass(frozen=True, slots=True)
class RuleExamples:
    """The examples of one rule, from ``<CODE>.toml``: those that fire it and those that do not."""

    code: str
    path: Path
    fires: tuple[Example, ...]
    ok: tuple[Example, ...]

    @property
    def examples(self) -> tuple[Example, ...]:
        """Every example, the firing ones first, each kind in file order."""
        return self.fires + self.ok


def read_fixtures(folder: Path, codes: Iterable[str]) -> dict[str, RuleExamples]:
    """The examples of each rule in ``codes``, by code in sorted order.

    A rule without a fixture file, a file for no rule and a malformed file are errors.
    """
    wanted = set(codes)
    found = {path.stem: path for path in folder.glob("*.toml")}
    missing = sorted(wanted - set(found))
    stray = sorted(set(found) - wanted)
    if missing:
        raise FixtureError(f"no example fixture in {folder} for rules {missing}")
    if stray:
        raise FixtureError(f"fixtures in {folder} for rules that do not exist: {stray}")
    return {code: read_fixture(found[code]) for code in sorted(wanted)}


def read_fixture(path: Path) -> RuleExamples:
    """The examples in one fixture file, checked against the format (see the module docstring)."""
    try:
        return _parse(path.stem, path, tomllib.loads(path.read_text("utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
        raise FixtureError(f"{path}: cannot read the examples: {error}") from error


def _parse(code: str, path: Path, raw: Mapping[str, Any]) -> RuleExamples:
    unknown = sorted(set(raw) - set(_KINDS))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; a fixture holds only [[fires]] and [[ok]]")
    kinds: dict[str, tuple[Example, ...]] = {}
    for kind in _KINDS:
        entries = raw.get(kind, [])
        if not isinstance(entries, list):
            raise ValueError(f"{kind!r} must be an array of tables ([[{kind}]])")
        kinds[kind] = tuple(
            _example(entry, fires=kind == "fires", index=index)
            for index, entry in enumerate(entries)
        )
    names = [example.name for examples in kinds.values() for example in examples]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"examples named more than once: {repeated}")
    return RuleExamples(code=code, path=path, fires=kinds["fires"], ok=kinds["ok"])


def _example(entry: Any, *, fires: bool, index: int) -> Example:
    kind = _KINDS[0] if fires else _KINDS[1]
    where = f"[[{kind}]] number {index + 1}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} is not a table")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where} needs a name")
    where = f"example {name!r}"
    unknown = sorted(set(entry) - _EXAMPLE_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}")
    profile = entry.get("profile")
    if not isinstance(profile, dict):
        raise ValueError(f"{where} needs a profile table ([{kind}.profile])")
    given = [key for key in _EXPECTATION if key in entry]
    if not fires and given:
        raise ValueError(f"{where} does not fire, so it cannot have a {' or a '.join(given)}")
    expected = None
    if given:
        if len(given) < len(_EXPECTATION):
            raise ValueError(
                f"{where} gives {' and '.join(given)} only: severity, message and triggers go "
                "together (leave all three out and run pytest --update-fixtures to record them)"
            )
        expected = _expectation(entry, where)
    return Example(name=name, profile=profile, fires=fires, index=index, expected=expected)


def _expectation(entry: Mapping[str, Any], where: str) -> Outcome:
    message = entry["message"]
    if not isinstance(message, str):
        raise ValueError(f"{where}: message must be text")
    triggers = entry["triggers"]
    if not isinstance(triggers, list):
        raise ValueError(f"{where}: triggers must be a list of {{ field, value }} tables")
    pairs = []
    for item in triggers:
        if (
            not isinstance(item, dict)
            or set(item) != _TRIGGER_KEYS
            or not all(isinstance(text, str) for text in item.values())
        ):
            raise ValueError(f"{where}: a trigger must be {{ field = text, value = text }}")
        pairs.append((item["field"], item["value"]))
    try:
        severity = Severity(entry["severity"])
    except ValueError:
        accepted = ", ".join(member.value for member in Severity)
        raise ValueError(
            f"{where}: severity {entry['severity']!r} is not one of {accepted}"
        ) from None
    return Outcome(severity=severity, message=message, triggers=tuple(pairs))


# --- judging examples --------------------------------------------------------------------------


def outcome(code: str, profile: Mapping[str, Any]) -> Outcome | None:
    """What the rule ``code`` says about ``profile`` now: ``None`` when it does not fire.

    Raises :class:`k2safety.ProfileError` when ``profile`` is not a valid profile.
    """
    for finding in check(profile).findings:
        if finding.code == code:
            return Outcome(
                severity=finding.severity,
                message=finding.message,
                triggers=tuple((trigger.field, trigger.value) for trigger in finding.triggers),
            )
    return None


def verify(code: str, example: Example) -> Outcome | None:
    """Check that ``example`` does what its fixture says; return the finding's outcome, if any.

    Raises :class:`FixtureError` naming every difference, also when a firing example has no
    recorded expectation.
    """
    where = f"{code} example {example.name!r}"
    try:
        actual = outcome(code, example.profile)
    except ProfileError as error:
        raise FixtureError(f"{where}: {error}") from error
    if example.fires and actual is None:
        raise FixtureError(f"{where} does not fire, unlike its fixture")
    if not example.fires and actual is not None:
        raise FixtureError(f"{where} fires, unlike its fixture")
    if actual is None:
        return None
    expected = example.expected
    if expected is None:
        raise FixtureError(
            f"{where} fires, but its fixture records no severity, message and triggers "
            "(run pytest --update-fixtures, then read what it wrote)"
        )
    differences = []
    if actual.severity != expected.severity:
        differences.append(
            f"fires at {actual.severity.value}, its fixture expects {expected.severity.value}"
        )
    if actual.message != expected.message:
        differences.append(f"says {actual.message!r}, its fixture expects {expected.message!r}")
    if actual.triggers != expected.triggers:
        differences.append(
            f"is triggered by {list(actual.triggers)}, its fixture expects "
            f"{list(expected.triggers)}"
        )
    if differences:
        raise FixtureError(f"{where} " + "; ".join(differences))
    return actual


# --- refreshing the expectations --------------------------------------------------------------


def refresh(path: Path, outcomes: Mapping[int, Outcome]) -> bool:
    """Record ``outcomes`` as the expectations of firing examples, by index; True if it changed.

    Everything else in the file (names, profiles, comments, layout) is left as written.
    """
    text = path.read_text("utf-8")
    updated = refreshed_text(text, outcomes)
    if updated == text:
        return False
    before = _parse(path.stem, path, tomllib.loads(text))
    after = _parse(path.stem, path, tomllib.loads(updated))
    for old, new in zip(before.examples, after.examples, strict=True):
        expected = outcomes.get(new.index, old.expected) if new.fires else None
        if (old.name, old.profile, new.expected) != (new.name, new.profile, expected):
            raise FixtureError(f"{path}: refreshing {old.name!r} would change more than it should")
    path.write_text(updated, "utf-8")
    return True


def refreshed_text(text: str, outcomes: Mapping[int, Outcome]) -> str:
    """``text`` of a fixture file with the given firing examples' expectations rewritten.

    ``outcomes`` maps an example's index among the ``[[fires]]`` examples to what it should
    expect. The old ``severity``, ``message`` and ``triggers`` lines of those examples are
    replaced where they were (after ``name`` when there were none); nothing else changes.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    output: list[str] = []
    firing = -1
    own_keys = False  # inside a [[fires]] table, before any sub-table
    inserted = True
    for statement, key, header in _statements(lines):
        if header is not None:
            if own_keys and not inserted:
                raise FixtureError(f"[[fires]] number {firing + 1} has no name")
            own_keys = header == "fires"
            firing += own_keys
            inserted = not (own_keys and firing in outcomes)
            output += statement
            continue
        if own_keys and not inserted and key in _EXPECTATION:
            output += _render(outcomes[firing])
            inserted = True
        if not (own_keys and firing in outcomes and key in _EXPECTATION):
            output += statement
        if own_keys and not inserted and key == "name":
            output += _render(outcomes[firing])
            inserted = True
    if own_keys and not inserted:
        raise FixtureError(f"[[fires]] number {firing + 1} has no name")
    missing = sorted(index for index in outcomes if not 0 <= index <= firing)
    if missing:
        raise FixtureError(f"no [[fires]] example number {[index + 1 for index in missing]}")
    return "".join(output)


def _statements(lines: list[str]) -> Iterable[tuple[list[str], str | None, str | None]]:
    """The file as (lines, key, header) pieces: a key/value over its lines, or any other line.

    ``key`` names a key/value's top-level key; ``header`` is ``fires`` or ``ok`` for an
    ``[[fires]]`` or ``[[ok]]`` line and ``""`` for any other table header. A key/value ends at
    the first line where the text from its start reads as TOML: an incomplete multi-line string
    or array does not.
    """
    start = 0
    while start < len(lines):
        stripped = lines[start].strip()
        if not stripped or stripped.startswith("#"):
            yield [lines[start]], None, None
            start += 1
            continue
        if stripped.startswith("["):
            parsed = tomllib.loads(lines[start])
            ((name, value),) = parsed.items()
            yield [lines[start]], None, name if isinstance(value, list) else ""
            start += 1
            continue
        end = start + 1
        while True:
            try:
                parsed = tomllib.loads("".join(lines[start:end]))
                break
            except tomllib.TOMLDecodeError:
                if end == len(lines):
                    raise
                end += 1
        (key,) = parsed
        yield lines[start:end], key, None
        start = end


def _render(expected: Outcome) -> list[str]:
    """The severity, message and triggers lines of an expectation, in the fixture layout."""
    lines = [f"severity = {_string(expected.severity.value)}\n"]
    lines += _message_lines(expected.message)
    if expected.triggers:
        lines.append("triggers = [\n")
        for field, value in expected.triggers:
            lines.append(f"  {{ field = {_string(field)}, value = {_string(value)} }},\n")
        lines.append("]\n")
    else:
        lines.append("triggers = []\n")
    rendered = "".join(lines)
    if _parsed_expectation(rendered) != expected:
        raise FixtureError(f"cannot write {expected!r} so that it reads back the same")
    return lines


def _parsed_expectation(text: str) -> Outcome:
    return _expectation(tomllib.loads(text), "the written expectation")


def _message_lines(message: str) -> list[str]:
    """The message as a TOML multi-line string, wrapped at spaces with a line-ending backslash."""
    words = re.findall(r"[^ ]+ *| +", _escaped(message)) or [""]
    lines: list[str] = []
    line = 'message = """'
    for number, word in enumerate(words, start=1):
        end = '"""' if number == len(words) else "\\"  # what follows the word on its line
        if line.endswith(" ") and len(line) + len(word) + len(end) > _WIDTH:
            lines.append(line + "\\\n")
            line = ""
        line += word
    lines.append(line + '"""\n')
    return lines


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def _escaped(text: str) -> str:
    """``text`` as the inside of a TOML basic string: quotes, backslashes and controls escaped.

    >>> print(_escaped('say "hi"\\n'))
    say \\"hi\\"\\n
    """
    return "".join(
        _ESCAPES.get(char)
        or (f"\\u{ord(char):04X}" if ord(char) < 0x20 or ord(char) == 0x7F else char)
        for char in text
    )


def _string(text: str) -> str:
    return f'"{_escaped(text)}"'
