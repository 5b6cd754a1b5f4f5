"""Dose text in, exact amount per day out; everything ambiguous refused."""

from __future__ import annotations

import enum
import gc
import importlib.util
import subprocess
import sys
import threading
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import k2safety
from k2safety import _units
from k2safety._units import ACCEPTED_UNITS, MAX_DOSE_TEXT, DailyDose, DoseProblem, parse_dose

ROOT = Path(__file__).resolve().parent.parent

MCG_180 = [
    "180 mcg",
    "180 µg",  # micro sign
    "180 μg",  # Greek mu
    "180 ug",
    "180mcg",
    "0.18 mg",
    "180000 ng",
    "180 micrograms",
    "180 microgram",
    "0.00018 g",
    "180 MCG",
    "180 Mcg",
    "180 UG",
    "  180 mcg  ",
    "1.8e2 mcg",
    "180 mcg/day",
    "180 mcg/d",
    "1.26 mg/week",
    "1260 mcg/wk",
    "6.3 mg/(5 week)",
    "7.5 mcg/h",
]


@pytest.mark.parametrize("text", MCG_180)
def test_every_spelling_of_180_mcg_a_day(text: str) -> None:
    assert parse_dose(text) == DailyDose(per_day=Fraction(180), unit="mcg")


@pytest.mark.parametrize(
    ("dose", "per", "expected"),
    [
        ("0.63 mg", "week", Fraction(90)),
        ("2.52 mg", "week", Fraction(360)),
        ("630 mcg", "week", Fraction(90)),
        ("0.09 mg", "day", Fraction(90)),
        ("90000 ng", None, Fraction(90)),
        ("0.00036 g", None, Fraction(360)),
        ("1 mg", "week", Fraction(1000, 7)),
        ("0.1 mg", None, Fraction(100)),
        ({"value": 0.63, "unit": "mg"}, "week", Fraction(90)),
        ({"value": 0.1, "unit": "mg"}, None, Fraction(100)),
        ({"value": 90, "unit": "ug"}, None, Fraction(90)),
        ({"value": 2.52, "unit": "mg/week"}, None, Fraction(360)),
    ],
)
def test_amounts_are_exact(dose: object, per: _units.Period | None, expected: Fraction) -> None:
    daily = parse_dose(dose, per)
    assert daily.per_day == expected
    assert isinstance(daily.per_day, Fraction)


def test_decimal_text_is_not_read_through_a_float() -> None:
    # In floats, 0.00036 g is 360.00000000000006 mcg: above the typical range by round-off.
    assert 0.00036 / 1e-6 > 360
    assert parse_dose("0.00036 g").per_day == 360
    assert parse_dose("2.52e-3 g/week").per_day == 360


def test_iu_is_reported_as_iu() -> None:
    assert parse_dose("2000 IU") == DailyDose(per_day=Fraction(2000), unit="IU")
    assert parse_dose("14000 iu/week") == DailyDose(per_day=Fraction(2000), unit="IU")


@pytest.mark.parametrize(
    ("dose", "per", "fragment"),
    [
        ("mcg", None, "does not start with a number"),
        ("180", None, "has no unit"),
        ("180 mL", None, "is a volume"),
        ("180 kcal", None, "is an energy"),
        ("180 mcg/kg", None, "per body weight"),
        ("180 mcg/kg/day", None, "per body weight"),
        ("180 furlongs", None, "is not known"),
        ("180 gr", None, "is not known"),
        ("0 mcg", None, "more than zero"),
        ("-5 mcg", None, "more than zero"),
        ("nan mcg", None, "does not start with a number"),
        ("inf mcg", None, "does not start with a number"),
        ("1e400 mcg", None, "out of range"),
        ("1e-400 mcg", None, "out of range"),
        ("1e-999999999 mcg", None, "out of range"),
        ("", None, "is empty"),
        ("   ", None, "is empty"),
        ("1,5 mg", None, "comma"),
        ("1,500 mcg", None, "comma"),
        ("180 mcg + 1 mg", None, "arithmetic"),
        ("180 mcg * 2", None, "arithmetic"),
        ("180 μ g", None, "one word"),
        ("180 mcg mcg", None, "one word"),
        ("180 mcg/day", "day", "already a rate"),
        ("1.26 mg/week", "week", "already a rate"),
        ("9" * 70 + " mcg", None, "longer than"),
        (True, None, "got a boolean"),
        (180, None, "got a number"),
        (None, None, "got null"),
        (["180 mcg"], None, "got a list"),
        ({"value": 180}, None, "missing key(s): unit"),
        ({"value": 180, "unit": "mcg", "per": "day"}, None, "unknown key(s): per"),
        ({"value": True, "unit": "mcg"}, None, "must be a number"),
        ({"value": "180", "unit": "mcg"}, None, "must be a number"),
        ({"value": float("nan"), "unit": "mcg"}, None, "finite"),
        ({"value": float("inf"), "unit": "mcg"}, None, "infinite"),
        ({"value": -1, "unit": "mcg"}, None, "more than zero"),
        ({"value": 180, "unit": 5}, None, "'unit' must be text"),
        ({"value": 180, "unit": ""}, None, "has no unit"),
        ("180 days", None, "is a time"),
        ("180 g/l", None, "is not a mass"),
        ("12.6 mg/(5 week", None, "not understood"),
        ("2000 international units", None, "several words"),
        ("1/2 mg", None, "as a fraction; write it as a decimal number, e.g. '0.5 mg'"),
        ("½ mg", None, "as a fraction"),
        ("180 mcg per 2 days", None, "period of several days in words"),
        ("100 mcg every 2 days", None, "e.g. '100 mcg/(2 day)'"),
        ("1 mg each 3 Weeks", None, "e.g. '1 mg/(3 week)'"),
        ("2000 international_unit", None, "not understood"),
        ("1 week", "week", "is a time"),
        ("180 μmicrograms", None, "has a prefix already"),
        ("180 mcg/(0 week)", None, "period of zero"),
        ("180 mcg/(05 week)", None, "is not known"),
        ("180 mcg/(5 mcg)", None, "per mass"),
        ("180 mcg/(5 week)", "week", "already a rate"),
        ("9" * (MAX_DOSE_TEXT - 2) + "mcg", None, "longer than 64 characters"),
        (180.0, None, "got a number"),
        ({180}, None, "got set"),
    ],
)
def test_rejected_with_a_reason(dose: object, per: _units.Period | None, fragment: str) -> None:
    with pytest.raises(DoseProblem, match=None) as raised:
        parse_dose(dose, per)
    assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("dose", "fragments"),
    [
        (
            "100 kmcg",
            ("the prefix 'k' on 'mcg', which has a prefix already", "'kmcg' would be 'mg'"),
        ),
        ("100 KMCG", ("the prefix 'k' on 'mcg'",)),
        ("100 kmcg/day", ("the prefix 'k' on 'mcg'",)),
        ("100 mmcg", ("the prefix 'm' on 'mcg'", "'mmcg' would be 'ng'")),
        ("100 µmcg", ("the prefix 'μ' on 'mcg'",)),
        ("5 mmg", ("the prefix 'm' on 'mg'", "'mmg' would be 'µg'")),
        ("5 kmg", ("the prefix 'k' on 'mg'", "'kmg' would be 'g'")),
        ("5 umicrograms", ("the prefix 'u' on 'micrograms'",)),
    ],
)
def test_a_prefix_on_a_prefixed_unit_is_refused_saying_so(
    dose: str, fragments: tuple[str, ...]
) -> None:
    # Pint itself reads "kmcg" as kilo-mcg, that is a milligram.
    with pytest.raises(DoseProblem) as raised:
        parse_dose(dose)
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert "one prefix" in str(raised.value)


def test_the_units_with_a_prefix_come_from_units_txt() -> None:
    _units._registry()
    assert _units._prefixed_units == {"mcg"}


@pytest.mark.parametrize(
    ("dose", "fragment"),
    [
        ("1_000 mcg", "separates the digits of its number with '_'"),
        ("1_000_000 ng", "separates the digits of its number with '_'"),
        ("1 000 mcg", "separates the digits of its number with a space"),
        ("1\u202f000 mcg", "separates the digits of its number with a space"),
        ("1'000 mcg", 'separates the digits of its number with "\'"'),
        ("1.000.000 mcg", "more than one decimal point"),
    ],
)
def test_digit_separators_are_named(dose: str, fragment: str) -> None:
    with pytest.raises(DoseProblem) as raised:
        parse_dose(dose)
    assert fragment in str(raised.value)
    assert "e.g. '1000" in str(raised.value)


@pytest.mark.parametrize(
    "dose", ["100 mcg/(0 day)", "100 mcg/(0.0 week)", "100 mcg/(00 day)", "1 mg/(0 hour)"]
)
def test_a_period_of_zero_is_named(dose: str) -> None:
    with pytest.raises(DoseProblem, match="divides by a period of zero") as raised:
        parse_dose(dose)
    assert "more than zero" in str(raised.value)


def test_numpy_numbers_are_read_as_the_numbers_they_are() -> None:
    numpy = pytest.importorskip("numpy")
    assert parse_dose({"value": numpy.int64(180), "unit": "mcg"}).per_day == 180
    assert parse_dose({"value": numpy.uint16(90), "unit": "ug"}).per_day == 90
    # numpy.float64 is a float: read through its shortest decimal, like any float.
    assert parse_dose({"value": numpy.float64(0.1), "unit": "mg"}).per_day == 100
    assert parse_dose({"value": numpy.float64(2.52), "unit": "mg/week"}).per_day == 360


class Strength(enum.IntEnum):
    LOW = 90


class LabelledFloat(float):
    def __repr__(self) -> str:
        return f"LabelledFloat({float(self)})"


def test_int_and_float_subclasses_are_read_by_their_value() -> None:
    assert parse_dose({"value": Strength.LOW, "unit": "mcg"}).per_day == 90
    assert parse_dose({"value": LabelledFloat(0.18), "unit": "mg"}).per_day == 180


@pytest.mark.parametrize(
    "value",
    [Decimal("0.1"), Fraction(1, 10), complex(1, 0), "numpy.float32", "numpy.longdouble"],
)
def test_other_number_types_are_refused_naming_the_type(value: object) -> None:
    if isinstance(value, str):
        numpy = pytest.importorskip("numpy")
        value = getattr(numpy, value.split(".")[1])(0.1)
    with pytest.raises(DoseProblem) as raised:
        parse_dose({"value": value, "unit": "mg"})
    assert f"got {type(value).__name__}" in str(raised.value)
    assert "convert it first" in str(raised.value)


def test_numpy_booleans_are_not_numbers() -> None:
    numpy = pytest.importorskip("numpy")
    with pytest.raises(DoseProblem, match="'value' must be a number, got bool"):
        parse_dose({"value": numpy.bool_(True), "unit": "mcg"})


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (10**4400, "out of range"),  # more digits than Python turns into text
        (-(10**4400), "out of range"),
        (10**301, "out of range"),
        (1.7976931348623157e308, "out of range"),
        (1e301, "out of range"),
        (5e-324, "out of range"),
        (2.2250738585072014e-308, "out of range"),
        (float("inf"), "infinite"),
        (float("-inf"), "infinite"),
        (float("nan"), "NaN"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, int) else str(value),
)
def test_numbers_out_of_range_are_refused_without_printing_them(
    value: float, fragment: str
) -> None:
    with pytest.raises(DoseProblem, match=fragment):
        parse_dose({"value": value, "unit": "mcg"})


def test_the_least_int_limit_python_allows_still_prints_every_accepted_value() -> None:
    limit = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(640)  # the least Python accepts
        with pytest.raises(DoseProblem, match="out of range"):
            parse_dose({"value": 10**700, "unit": "mcg"})
        assert parse_dose({"value": 10**300, "unit": "ng"}).per_day == 10**297
    finally:
        sys.set_int_max_str_digits(limit)


@pytest.mark.parametrize(
    ("dose", "fragment"),
    [
        # Exponents too long for Decimal itself: out of range, not "no readable number".
        ("1e999999999999999999999 mcg", "out of range"),
        ("1e-99999999999999999999999 mcg", "out of range"),
        ("5e+0000000000000000000000000000000000000000000000301 mcg", "out of range"),
        ("0e99999999999999999999999 mcg", "more than zero"),
        ("1e300 mcg", None),
        ("1e-300 mcg", None),
        ("1.5e+0000000000000000000000000000000000000000000000002 mcg", None),
    ],
)
def test_huge_exponents_in_text_are_out_of_range(dose: str, fragment: str | None) -> None:
    if fragment is None:
        assert parse_dose(dose).per_day > 0
        return
    with pytest.raises(DoseProblem, match=fragment):
        parse_dose(dose)


def test_rejections_say_what_would_be_accepted() -> None:
    with pytest.raises(DoseProblem) as raised:
        parse_dose("180")
    assert "180 mcg" in str(raised.value)
    assert "per day or week" in str(raised.value)


def test_per_is_blamed_when_it_conflicts_with_a_rate() -> None:
    with pytest.raises(DoseProblem) as raised:
        parse_dose("180 mcg/day", "week")
    assert raised.value.about_per


def test_import_builds_no_unit_registry() -> None:
    code = "import sys, k2safety; print('pint' in sys.modules, k2safety._units._registry_instance)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "None"]


def test_registry_is_built_once_under_concurrent_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_units, "_registry_instance", None)
    built: list[object] = []
    real_build = _units._build_registry

    def counting_build() -> object:
        registry = real_build()
        built.append(registry)
        return registry

    monkeypatch.setattr(_units, "_build_registry", counting_build)
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        barrier.wait()
        seen.append(_units._registry())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert all(registry is built[0] for registry in seen)


def test_the_registry_knows_only_the_project_units() -> None:
    registry = _units._build_registry()
    assert registry.parse_expression("mcg").to("microgram").magnitude == 1
    for foreign in ("grain", "pound", "furlong"):
        with pytest.raises(Exception, match=foreign):
            registry.parse_expression(foreign)


def test_a_dose_text_may_be_max_dose_text_long() -> None:
    assert MAX_DOSE_TEXT == 64
    text = "1" + " " * (MAX_DOSE_TEXT - 4) + "mcg"
    assert len(text) == MAX_DOSE_TEXT
    assert parse_dose(text).per_day == 1


# The unit table: generated from pint, checked against it.


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "generate_unit_table.py"
    if not path.exists():  # a copy of the project without scripts/ (an sdist, mutmut's copy)
        pytest.skip("scripts/generate_unit_table.py is not in this copy of the project")
    spec = importlib.util.spec_from_file_location("generate_unit_table", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_unit_table_is_what_pint_says_today() -> None:
    """Regenerated with pint and the project's registry, the table is the committed file."""
    generator = _generator()
    assert generator.TABLE == ROOT / "k2safety" / "data" / "unit_table.txt"
    assert generator.render() == generator.TABLE.read_text("utf-8")


def test_the_table_holds_every_common_spelling() -> None:
    table = _units._table()
    for text in ("mcg", "μg", "ug", "mg", "ng", "g", "gm", "microgram", "milligrams", "iu", "ui"):
        assert table[text][0] == "amount"
        for period in ("day", "d", "week", "wk"):
            assert table[f"{text}/{period}"][0] == "rate"
    assert table["mg/week"] == ("rate", "mcg", 1000, 7)
    assert table["ng"] == ("amount", "mcg", 1, 1000)
    assert table["week"] == ("period", "day", 7, 1)


def _outcome(read: Callable[[str], object], unit_key: str) -> object:
    try:
        return read(unit_key)
    except DoseProblem as problem:
        return str(problem)


def test_units_worked_out_from_the_table_read_as_pint_reads_them() -> None:
    table = _units._table()
    amounts = [key for key, (kind, *_) in table.items() if kind == "amount"]
    periods = [key for key, (kind, *_) in table.items() if kind == "period"]
    keys = [
        f"{amount}/({count}{period})"
        for amount in (*amounts, "kg", "day")
        for count in ("", "5 ", "5", "2.5 ", "0.5 ", "1 ", "10 ", "0 ", "0.0 ", "05 ")
        for period in (*periods, "h", "mcg")
    ]
    keys += periods
    for key in keys:
        expected = _outcome(_units._pint_reading_uncached, key)
        assert _outcome(_units._unit_reading, key) == expected, key
    assert _units._unit_reading("mg/(5 week)") == ("rate", "mcg", 200, 7)


def test_a_double_prefix_is_refused_whatever_pint_has_read_before() -> None:
    # Reading "microgram" makes pint define it, and from then on it reads "μmicrogram" too.
    _units._registry().parse_expression("micrograms")
    with pytest.raises(DoseProblem, match="puts the prefix 'μ' on 'micrograms'"):
        _units._pint_reading_uncached("μmicrograms")
    # Three prefixes: pint reads "mmicrogram" (milli on the microgram it has defined), but
    # only the units of units.txt count, so the word is not read as a prefix on it.
    with pytest.raises(DoseProblem, match="unit 'kmmicrogram' is not known"):
        _units._pint_reading_uncached("kmmicrogram")


COMMON_PROFILE = {
    "medications": ["warfarin 5 mg"],
    "supplements": [
        {"ingredient": "MK-7", "dose": "180 mcg"},
        {"ingredient": "D3", "dose": "2000 IU"},
        {"ingredient": "MK-4", "dose": "1.26 mg/week"},
        {"ingredient": "MK-7", "dose": {"value": 90, "unit": "µg"}},
        {"ingredient": "MK-7", "dose": "12.6 mg/(5 week)"},
    ],
}


def _imports_pint(profile: object) -> bool:
    code = f"import sys, k2safety; k2safety.check({profile!r}); print('pint' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return {"True": True, "False": False}[result.stdout.strip()]


def test_checking_a_profile_in_common_units_does_not_import_pint() -> None:
    assert not _imports_pint(COMMON_PROFILE)


@pytest.mark.parametrize("dose", ["0.00018 kg", "7.5 mcg/hour"])
def test_an_unusual_unit_is_read_by_pint(dose: str) -> None:
    assert _imports_pint({"supplements": [{"ingredient": "MK-7", "dose": dose}]})


# The memos: bounded, of text only, holding plain numbers and text.


def test_a_dose_text_is_remembered_once_whatever_per_is() -> None:
    text = "631 mcg"
    assert parse_dose(text, "week").per_day == Fraction(631, 7)
    remembered = len(_units._read_dose_text)
    assert parse_dose(text).per_day == 631
    assert parse_dose(text, "day").per_day == 631
    assert len(_units._read_dose_text) == remembered
    with pytest.raises(DoseProblem, match="already a rate"):
        parse_dose("631 mcg/day", "week")
    assert parse_dose("631 mcg/day").per_day == 631


def test_remembered_readings_are_plain_numbers_and_text() -> None:
    for text in ("180 mcg", "1.26 mg/week", "2000 IU", "0.00018 kg", "6.3 mg/(5 week)"):
        reading = _units._read_dose_text(text)
        assert [type(part) for part in reading] == [str, str, int, int]
    gc.collect()
    assert not gc.is_tracked(_units._read_dose_text("180 mcg"))


def test_only_unusual_units_are_remembered_as_units() -> None:
    before = len(_units._pint_reading)
    parse_dose("1 mcg/(3 week)")
    parse_dose("7 mg/wk")
    assert len(_units._pint_reading) == before
    parse_dose("1 kg")
    parse_dose("2 kg")
    assert len(_units._pint_reading) == before + 1


def test_no_lru_cache_is_left() -> None:
    assert not [name for name, value in vars(_units).items() if hasattr(value, "cache_info")]


# --- Issue 13: doses as people write them -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_day"),
    [
        ("100 mcg daily", Fraction(100)),
        ("100 mcg per day", Fraction(100)),
        ("100 mcg a day", Fraction(100)),
        ("100 mcg each day", Fraction(100)),
        ("100 mcg once daily", Fraction(100)),
        ("100 mcg twice daily", Fraction(200)),
        ("100 mcg twice a day", Fraction(200)),
        ("100 mcg 3 times a day", Fraction(300)),
        ("2 x 100 mcg", Fraction(200)),
        ("2x100 mcg daily", Fraction(200)),
        ("2 \u00d7 45 mcg", Fraction(90)),
        ("100 mcg every other day", Fraction(50)),
        ("1 mg once a week", Fraction(1000, 7)),
        ("0.63 mg weekly", Fraction(90)),
        ("2520 mcg once a week", Fraction(360)),
        ("15 mg three times daily", Fraction(45000)),
        ("100 mcg 2x daily", Fraction(200)),
        ("100 mcg 2X daily", Fraction(200)),
        ("100 mcg one time a day", Fraction(100)),
        # the singular or plural "time" as people write it, after a word or a digit
        ("100 mcg two time daily", Fraction(200)),
        ("100 mcg three time a day", Fraction(300)),
        ("100 mcg 1 times daily", Fraction(100)),
        # a count of a strength, taken more than once a day: both multiply
        ("2 x 100 mcg twice daily", Fraction(400)),
        ("100 mcg thrice weekly", Fraction(300, 7)),
    ],
)
def test_dose_phrases_are_read_exactly(text: str, per_day: Fraction) -> None:
    assert parse_dose(text) == DailyDose(per_day, "mcg")


def test_a_phrase_is_a_rate_so_per_is_refused() -> None:
    with pytest.raises(DoseProblem, match="already a rate") as caught:
        parse_dose("100 mcg daily", "week")
    assert caught.value.about_per
    assert parse_dose("2 x 45 mcg", "day") == DailyDose(Fraction(90), "mcg")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1 capsule", "the strength is needed"),
        ("2 softgels", "the strength is needed"),
        ("2 softgels daily", "the strength is needed"),
        ("1 tablet twice daily", "the strength is needed"),
        ("100 mcg/day daily", "gives a period twice"),
        ("100 mcg twice", "how many times but not how often"),
    ],
)
def test_counts_without_a_strength_and_doubled_periods_are_refused(
    text: str, fragment: str
) -> None:
    with pytest.raises(DoseProblem, match=fragment):
        parse_dose(text)
    with pytest.raises(k2safety.ProfileError, match=fragment):
        k2safety.Profile.model_validate({"supplements": [{"ingredient": "MK-7", "dose": text}]})


# The shortcut for plain doses ("180 mcg"): the same answer as the general reading, always.


def _as_amount(reading: tuple[str, str, int, int]) -> tuple[str, str, Fraction]:
    kind, unit, numerator, denominator = reading
    return kind, unit, Fraction(numerator, denominator)


@pytest.mark.parametrize("number", ["180", "0.63", "1.26", "000.5", "123456789012345.999"])
def test_every_table_unit_is_read_alike_by_the_shortcut_and_the_general_reading(
    number: str,
) -> None:
    for unit in _units._table():
        for text in (f"{number} {unit}", f"{number}{unit.upper()}"):
            plain = _units._PLAIN_DOSE.fullmatch(text)
            if plain is None:  # "μg": not ASCII, so always read the general way
                assert not unit.isascii(), text
                continue
            shortcut = _units._plain_reading(*plain.groups())
            if _units._table()[unit][0] == "period":
                assert shortcut is None, text
                with pytest.raises(DoseProblem):
                    _units._general_reading(text)
                continue
            assert shortcut is not None, text
            assert _as_amount(shortcut) == _as_amount(_units._general_reading(text)), text


@pytest.mark.parametrize("text", ["0 mcg", "0.0 mg", "2 softgels", "5 daily", "1 d", "3 x"])
def test_the_shortcut_leaves_what_it_does_not_read_to_the_general_reading(text: str) -> None:
    plain = _units._PLAIN_DOSE.fullmatch(text)
    assert plain is not None
    assert _units._plain_reading(*plain.groups()) is None
    with pytest.raises(DoseProblem):
        _units._dose_text_uncached(text)


@given(
    st.from_regex(_units._PLAIN_DOSE, fullmatch=True)
    | st.builds(
        "{} {}".format,
        st.decimals(min_value=0, max_value=10**6, places=4).map(str),
        st.sampled_from(sorted(_units._table())),
    )
)
def test_any_plain_looking_text_reads_as_the_general_reading_says(text: str) -> None:
    try:
        expected: object = _as_amount(_units._general_reading(text))
    except DoseProblem:
        expected = DoseProblem
    try:
        got: object = _as_amount(_units._dose_text_uncached(text))
    except DoseProblem:
        got = DoseProblem
    assert got == expected


# Whole messages, where a fragment would let a changed word through. Each names the problem and
# what to write instead; the numbers in the hints are worked out by hand in the comments.

_WHOLE_MESSAGES = [
    (
        "1.000.5 mcg",
        "'1.000.5 mcg' has a number with more than one decimal point; write it with one "
        "decimal point and no separators, e.g. '1000.5 mcg'",
    ),
    (
        "1 000 mcg",
        "'1 000 mcg' separates the digits of its number with a space; write the number "
        "without separators, e.g. '1000 mcg'",
    ),
    (
        "180 µ g",
        "'180 µ g' has a unit of several words; write the unit as one word with its prefix "
        "attached, e.g. '180 µg' (not '180 µ g') or '180 mcg' (not '180 mcg mcg')",
    ),
    (
        "1 mcg/(0 day)",
        "unit 'mcg/(0 day)' divides by a period of zero (0 day); the number of days or weeks "
        "must be more than zero, e.g. 'mg/(5 week)'",
    ),
    # micro on microgram: a picogram, for which no prefix and symbol are written here
    (
        "5 μmicrogram",
        "unit 'μmicrogram' puts the prefix 'μ' on 'microgram', which has a prefix already; "
        "write the unit with one prefix, such as 'mg' or 'g'",
    ),
    # milli (1e-3) on kilo (1e3) on micro (1e-6) gram: 1e-6 gram, a microgram
    (
        "5 mkmcg",
        "unit 'mkmcg' puts the prefix 'm' on 'kmcg', which has a prefix already; write the "
        "unit with one prefix, such as 'mg' or 'g'; 'mkmcg' would be 'µg'",
    ),
    # milli on micro gram: 1e-9 gram, a nanogram
    (
        "5 mmcg",
        "unit 'mmcg' puts the prefix 'm' on 'mcg', which has a prefix already; write the unit "
        "with one prefix, such as 'mg' or 'g'; 'mmcg' would be 'ng'",
    ),
    (
        "5 mg/kg",
        f"unit 'mg/kg' is a ratio (per body weight or per mass); a dose must be {ACCEPTED_UNITS}",
    ),
    ("5 ml", f"unit 'ml' is a volume; a dose must be {ACCEPTED_UNITS}"),
    ("5 kcal", f"unit 'kcal' is an energy; a dose must be {ACCEPTED_UNITS}"),
    ("5 hour", f"unit 'hour' is a time; a dose must be {ACCEPTED_UNITS}"),
    # a volume a day has two dimensions: not "a volume"
    ("5 ml/day", f"unit 'ml/day' is not a mass; a dose must be {ACCEPTED_UNITS}"),
    ("5 mg/day/day", f"unit 'mg/day/day' is not a mass; a dose must be {ACCEPTED_UNITS}"),
    ("5 ppm", f"unit 'ppm' is not known; expected {ACCEPTED_UNITS}"),
    (
        "1,5 mg",
        "'1,5 mg' contains a comma, which could be a decimal comma or a thousands separator; "
        "write the number with a decimal point and no separators, e.g. '1.5 mg'",
    ),
    ("0 mcg", "'0 mcg' is not a positive amount; a dose must be more than zero"),
    # 1000000e295 is about 1e301: the digits' own exponent and the written one add up
    (
        "1000000e295 mcg",
        "'1000000e295 mcg' is out of range; write an ordinary amount such as '180 mcg'",
    ),
    (
        "2 softgels",
        "'2 softgels' is a count of softgels without their strength; the strength is needed: "
        "give the amount of the vitamin, e.g. '100 mcg' for one softgel of 100 mcg (the label's "
        "Supplement Facts give it per serving)",
    ),
]


@pytest.mark.parametrize(("dose", "message"), _WHOLE_MESSAGES)
def test_the_whole_message_of_a_refused_dose(dose: str, message: str) -> None:
    with pytest.raises(DoseProblem) as refused:
        parse_dose(dose)
    assert str(refused.value) == message


# The parts that are built once per process: called here directly, since by the time a test
# runs a dose through them they may have been built already.


def test_the_unit_table_reads_a_factor_with_and_without_a_denominator() -> None:
    text = "# a comment\nmcg  amount  mcg  1\n\nmg/week  rate  mcg  1000/7\n"
    assert _units._read_table(text) == {
        "mcg": ("amount", "mcg", 1, 1),
        "mg/week": ("rate", "mcg", 1000, 7),
    }


def test_the_registry_converts_exactly() -> None:
    registry = _units._build_registry()
    factor = registry.Quantity(1, "mcg").to("gram").magnitude
    assert factor == Fraction(1, 10**6)
    assert isinstance(factor, Fraction)


def test_the_units_with_a_prefix_are_the_prefixed_multiples_of_one_unit() -> None:
    # units.txt defines mcg as 1e-6 gram, a prefix's factor times one unit; an hour (a 24th of a
    # day) and a week (seven days) are multiples too, but not by a prefix's factor
    assert _units._units_with_a_prefix(_units._build_registry()) == {"mcg"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("180", "'value' must be a number, got text"),
        ([180], "'value' must be a number, got a list"),
        (
            Decimal("1.5"),
            "'value' must be a whole number or a float (a JSON number), got Decimal; convert it "
            "first, e.g. with float(), so that the amount read is the one you mean",
        ),
    ],
)
def test_the_whole_message_of_a_value_that_is_not_a_plain_number(
    value: object, message: str
) -> None:
    with pytest.raises(DoseProblem) as refused:
        _units.plain_number(value)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("dose", "message"),
    [
        (
            {"value": 1, "unit": "mcg", "per": "day", "x": 1},
            "unknown key(s): per, x; expected an object with exactly 'value' and 'unit'",
        ),
        ({}, "missing key(s): unit, value; expected an object with exactly 'value' and 'unit'"),
        (
            {"value": 1},
            "missing key(s): unit; expected an object with exactly 'value' and 'unit'",
        ),
        ({"value": float("nan"), "unit": "mcg"}, "'value' must be a finite number, got NaN"),
        (
            {1: 2, "value": 1, "unit": "mcg"},
            "unknown key(s): 1; expected an object with exactly 'value' and 'unit'",
        ),
        ({"value": 1, "unit": 5}, "'unit' must be text such as 'mcg', got a number"),
        (
            {"value": 1, "unit": "m" * 33},
            "'unit' is longer than 32 characters; expected e.g. 'mcg'",
        ),
        # The value and unit are named together, as the person wrote them
        (
            {"value": 0, "unit": "mcg"},
            "'0 mcg' is not a positive amount; a dose must be more than zero",
        ),
        (
            {"value": 1, "unit": "mcg mcg"},
            "'1 mcg mcg' has a unit of several words; write the unit as one word with its prefix "
            "attached, e.g. '180 µg' (not '180 µ g') or '180 mcg' (not '180 mcg mcg')",
        ),
        (
            {"value": float("inf"), "unit": "mcg"},
            "'value' is out of range: it is infinite (a JSON number too large for a float, such "
            "as 1e400, reads as infinity); write an ordinary amount such as 180",
        ),
    ],
)
def test_the_whole_message_of_a_dose_object_refused(dose: object, message: str) -> None:
    with pytest.raises(DoseProblem) as refused:
        parse_dose(dose)
    assert str(refused.value) == message


def test_a_unit_may_be_32_characters_long_in_a_dose_object() -> None:
    assert parse_dose({"value": 1, "unit": " " * 29 + "mcg"}).per_day == 1


def test_a_dose_object_that_is_a_rate_refuses_per_naming_the_dose() -> None:
    with pytest.raises(DoseProblem) as refused:
        parse_dose({"value": 1, "unit": "mcg/day"}, "week")
    assert str(refused.value).startswith("'1 mcg/day' is already a rate, so 'per' must not be")


def test_a_dose_text_that_is_a_rate_refuses_per_naming_the_text() -> None:
    with pytest.raises(DoseProblem) as refused:
        parse_dose("631 mcg/day", "week")
    assert str(refused.value).startswith("'631 mcg/day' is already a rate, so 'per' must not be")
