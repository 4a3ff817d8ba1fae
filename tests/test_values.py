"""Unit tests of property value parsing and formatting (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from revline.crm.properties.values import (
    MAX_STRING_LENGTH,
    ValueProblem,
    format_number,
    format_value,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_enumeration,
    parse_number,
    parse_string,
    parse_value,
)


def _code(fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(ValueProblem) as caught:
        fn(*args, **kwargs)
    return caught.value.code


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1500", Decimal("1500")),
        ("1500.50", Decimal("1500.50")),
        ("  42 ", Decimal("42")),
        ("1,234,567.5", Decimal("1234567.5")),
        ("-3.25", Decimal("-3.25")),
        ("1e3", Decimal("1000")),
        (12, Decimal("12")),
        (0.1, Decimal("0.1")),
        (Decimal("7.07"), Decimal("7.07")),
        ("999999999999999999", Decimal("999999999999999999")),
    ],
)
def test_parse_number_accepts_strings_and_json_numbers(raw: Any, expected: Decimal) -> None:
    value = parse_number(raw)
    assert isinstance(value, Decimal)
    assert value == expected


@pytest.mark.parametrize(
    "raw",
    ["abc", "", "12abc", "NaN", "nan", "Infinity", "-inf", float("nan"), float("inf"), True, False],
)
def test_parse_number_refuses_what_is_not_a_finite_number(raw: Any) -> None:
    assert _code(parse_number, raw) == "INVALID_NUMBER"


@pytest.mark.parametrize("raw", ["1e18", "-1e18", 10**18, "1000000000000000000000"])
def test_parse_number_refuses_numbers_too_large_to_store(raw: Any) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_number(raw)
    assert caught.value.code == "INVALID_NUMBER"
    assert "too large" in caught.value.message


@pytest.mark.parametrize("raw", ["1e-1000000", "0.00000000000000000000000000000000000000001"])
def test_parse_number_refuses_more_decimals_than_storage_keeps(raw: str) -> None:
    # PostgreSQL's numeric cannot hold these and a JSON document would hold a
    # million-character string: both are refused up front.
    assert _code(parse_number, raw) == "INVALID_NUMBER"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1500.00"), "1500"),
        (Decimal("1500.50"), "1500.5"),
        (Decimal("0.2"), "0.2"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.0000001"), "0.0000001"),
        (Decimal("-12.340"), "-12.34"),
        (Decimal("0"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("-0.000"), "0"),
        (Decimal("999999999999999999"), "999999999999999999"),
    ],
)
def test_format_number_is_plain_and_minimal(value: Decimal, text: str) -> None:
    assert format_number(value) == text
    assert "E" not in format_number(value)


# --- datetimes and dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1714566896789", datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)),
        (1714566896789, datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)),
        ("2024-05-01T12:34:56.789Z", datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=UTC)),
        ("2024-05-01T12:34:56z", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01T14:34:56+02:00", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01T12:34:56", datetime(2024, 5, 1, 12, 34, 56, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        (" 2024-05-01 ", datetime(2024, 5, 1, tzinfo=UTC)),
        ("123456789", datetime(1970, 1, 2, 10, 17, 36, 789000, tzinfo=UTC)),
    ],
)
def test_parse_datetime_accepts_iso_and_epoch_milliseconds(raw: Any, expected: datetime) -> None:
    value = parse_datetime(raw)
    assert value == expected
    assert value.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "raw",
    [
        "yesterday",
        "2024-02-30",
        "2024-13-01",
        "2024-05-01T25:00:00Z",
        "",
        True,
        # Epoch values and offsets that land outside the years Python can represent.
        "999999999999999",
        "-999999999999999",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
    ],
)
def test_parse_datetime_refuses_what_it_cannot_read(raw: Any) -> None:
    assert _code(parse_datetime, raw) == "INVALID_DATETIME"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("1714566896789", date(2024, 5, 1)),
        (1714521600000, date(2024, 5, 1)),
        ("2024-05-01T23:30:00-02:00", date(2024, 5, 2)),
        ("2024-05-01T00:00:00Z", date(2024, 5, 1)),
    ],
)
def test_parse_date_accepts_dates_epochs_and_datetimes(raw: Any, expected: date) -> None:
    value = parse_date(raw)
    assert value == expected
    assert not isinstance(value, datetime)


@pytest.mark.parametrize(
    "raw", ["2024-13-01", "2024-02-30", "next week", "01/05/2024", "999999999999999"]
)
def test_parse_date_refuses_what_it_cannot_read(raw: str) -> None:
    assert _code(parse_date, raw) == "INVALID_DATE"


# --- booleans, strings, enumerations -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("TRUE", True),
        (" True ", True),
        ("yes", True),
        ("1", True),
        (1, True),
        ("false", False),
        ("False", False),
        ("NO", False),
        ("0", False),
        (0, False),
    ],
)
def test_parse_bool_reads_common_spellings(raw: Any, expected: bool) -> None:
    assert parse_bool(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "ja", "t rue"])
def test_parse_bool_refuses_anything_else(raw: Any) -> None:
    assert _code(parse_bool, raw) == "INVALID_BOOLEAN"


def test_parse_string_keeps_text_and_stringifies_scalars() -> None:
    assert parse_string("  Ada  ") == "  Ada  "
    assert parse_string(15) == "15"
    assert parse_string(1.5) == "1.5"
    assert parse_string(True) == "true"
    assert parse_string("x" * MAX_STRING_LENGTH) == "x" * MAX_STRING_LENGTH


def test_parse_string_refuses_overlong_text() -> None:
    assert _code(parse_string, "x" * (MAX_STRING_LENGTH + 1)) == "VALUE_TOO_LONG"


@pytest.mark.parametrize("raw", ["nul\x00byte", "lone \ud800 surrogate"])
def test_parse_string_refuses_text_no_database_can_store(raw: str) -> None:
    assert _code(parse_string, raw) == "INVALID_STRING"


def test_parse_enumeration_checks_options() -> None:
    allowed = {"low", "medium", "high"}
    assert parse_enumeration(" medium ", allowed, multiple=False) == "medium"
    assert parse_enumeration("anything", None, multiple=False) == "anything"
    with pytest.raises(ValueProblem) as caught:
        parse_enumeration("urgent", allowed, multiple=False)
    assert caught.value.code == "INVALID_OPTION"
    assert "'urgent'" in caught.value.message
    assert "high, low, medium" in caught.value.message
    # Option values are case-sensitive, as in HubSpot.
    assert _code(parse_enumeration, "LOW", allowed, multiple=False) == "INVALID_OPTION"


def test_parse_enumeration_checkbox_takes_semicolon_lists() -> None:
    allowed = {"red", "green", "blue"}
    assert parse_enumeration("red;blue", allowed, multiple=True) == "red;blue"
    with pytest.raises(ValueProblem) as caught:
        parse_enumeration("red;pink", allowed, multiple=True)
    assert "'pink'" in caught.value.message
    assert "red" not in caught.value.message.split("was not")[0]
    # A single-select does not split.
    assert _code(parse_enumeration, "red;blue", allowed, multiple=False) == "INVALID_OPTION"


# --- parse_value dispatch ---------------------------------------------------------------


@pytest.mark.parametrize(
    "prop_type", ["string", "number", "date", "datetime", "enumeration", "bool"]
)
def test_parse_value_treats_null_and_empty_string_as_clearing(prop_type: str) -> None:
    assert parse_value(None, prop_type, {"a"}, "select") is None
    assert parse_value("", prop_type, {"a"}, "select") is None


@pytest.mark.parametrize(
    "prop_type", ["string", "number", "date", "datetime", "enumeration", "bool"]
)
@pytest.mark.parametrize("raw", [{"a": 1}, [1, 2], []])
def test_parse_value_refuses_objects_and_arrays(prop_type: str, raw: Any) -> None:
    assert _code(parse_value, raw, prop_type, None, "text") == "INVALID_TYPE"


def test_parse_value_dispatches_on_type() -> None:
    assert parse_value("12.5", "number", None, "number") == Decimal("12.5")
    assert parse_value("2024-05-01", "date", None, "date") == date(2024, 5, 1)
    assert parse_value("2024-05-01", "datetime", None, "date") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_value("yes", "bool", None, "booleancheckbox") is True
    assert parse_value("a;b", "enumeration", {"a", "b"}, "checkbox") == "a;b"
    assert _code(parse_value, "a;b", "enumeration", {"a", "b"}, "select") == "INVALID_OPTION"
    assert parse_value(42, "string", None, "text") == "42"
    assert _code(parse_value, "x", "number", None, "number") == "INVALID_NUMBER"
    assert _code(parse_value, "x", "date", None, "date") == "INVALID_DATE"
    assert _code(parse_value, "x", "datetime", None, "date") == "INVALID_DATETIME"
    assert _code(parse_value, "x", "bool", None, "booleancheckbox") == "INVALID_BOOLEAN"


# --- format_value -----------------------------------------------------------------------


def test_format_value_speaks_only_strings() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_value(None, "string") is None
    assert format_value(True, "bool") == "true"
    assert format_value(False, "bool") == "false"
    assert format_value(Decimal("1500.00"), "number") == "1500"
    assert format_value(7, "number") == "7"
    assert format_value(2.5, "number") == "2.5"
    assert format_value(date(2024, 5, 1), "date") == "2024-05-01"
    assert format_value(datetime(2024, 5, 1, 22, 0, tzinfo=UTC), "date") == "2024-05-01"
    assert (
        format_value(datetime(2024, 5, 1, 14, 34, 56, 789000, tzinfo=plus_two), "datetime")
        == "2024-05-01T12:34:56.789Z"
    )
    assert format_value(datetime(2024, 5, 1, tzinfo=UTC), "datetime") == "2024-05-01T00:00:00.000Z"
    assert format_value("already text", "string") == "already text"


def test_parse_then_format_round_trips() -> None:
    cases = [
        ("1,500.50", "number", "1500.5"),
        ("2024-05-01T14:34:56.5+02:00", "datetime", "2024-05-01T12:34:56.500Z"),
        ("1714566896789", "date", "2024-05-01"),
        ("No", "bool", "false"),
    ]
    for raw, prop_type, text in cases:
        assert format_value(parse_value(raw, prop_type, None, "text"), prop_type) == text


def test_format_value_pads_early_years() -> None:
    assert format_value(datetime(1, 1, 1, tzinfo=UTC), "datetime") == "0001-01-01T00:00:00.000Z"
    assert format_value(datetime(999, 5, 1, 7, 8, 9, tzinfo=UTC), "datetime") == (
        "0999-05-01T07:08:09.000Z"
    )
    assert format_value(parse_date("0010-02-03"), "date") == "0010-02-03"
