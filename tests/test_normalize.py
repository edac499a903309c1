"""Unit and property tests of the value normalisers (welfare_workbook.normalize),
over the values the seeds show departments typing."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from welfare_workbook.normalize import (
    NA_VALUE, cell_value, clean_chars, is_na, normalize_choice, normalize_number, normalize_text, same_as_kind,
)

FULLWIDTH_DIGITS = str.maketrans("0123456789-,.", "０１２３４５６７８９－，．")


# ---------------------------------------------------------------------------
# seed values


@pytest.mark.parametrize("raw", ["8（156人）", "男性17.87／女性20.64", "希望者すべて", "(R3)男性18.03／女性21.08",
                                 "約100", "25,770/年度末", "12（210人）"])
def test_composite_values_stay_text(raw: str) -> None:
    assert normalize_number(raw) == (raw, "")
    assert normalize_number(raw, integer=True) == (raw, "")
    assert normalize_text(raw) == (raw, "")  # full-width （）／ are Japanese punctuation, kept
    assert not is_na(raw)
    assert same_as_kind(raw) is None


@pytest.mark.parametrize("raw,unit,value,words", [
    ("3,600/年", "", 3600, ("/年", "カンマ")),
    ("12,000/年", "部", 12000, ("/年", "カンマ")),
    ("1,234", "", 1234, ("カンマ",)),
    ("10,848", "件", 10848, ("カンマ",)),
    ("12人", "人", 12, ("人",)),
    ("７か所", "か所", 7, ("全角", "か所")),
    ("１，２３４人", "人", 1234, ("全角", "人", "カンマ")),
    ("０", "", 0, ("全角",)),
    ("１２３", "", 123, ("全角",)),
    ("３９３４．５", "時間", 3934.5, ("全角",)),
    ("405チーム", "チーム", 405, ("チーム",)),
])
def test_numbers_from_text(raw: str, unit: str, value: Any, words: tuple) -> None:
    got, note = normalize_number(raw, unit=unit)
    assert got == value and type(got) is type(value)
    for word in words:
        assert word in note


@pytest.mark.parametrize("raw,value", [
    ("3934.5", 3934.5), ("0", 0), ("64", 64), (" 64 ", 64), ("12.0", 12), (3934.5, 3934.5), (12.0, 12), (7, 7),
    (0, 0), (0.0, 0),
])
def test_plain_numbers_need_no_note(raw: Any, value: Any) -> None:
    got, note = normalize_number(raw)
    assert got == value and type(got) is type(value)
    assert note == ""


@pytest.mark.parametrize("raw", ["－", "―", "ー", "-", "なし", "該当なし", "特になし", "N/A", " なし ", "\u3000―\u3000",
                                 "該当無し"])
def test_na_words(raw: str) -> None:
    assert is_na(raw)


@pytest.mark.parametrize("raw", ["0", "０", 0, None, "", "希望者すべて", "なしの場合は記入不要", "該当者なし（今年度は0人）",
                                 "8（156人）"])
def test_not_na(raw: Any) -> None:
    assert not is_na(raw)


def test_dash_is_not_a_number() -> None:
    """－ means 'nothing to report'; as a number it is left alone (collect reads it as 該当なし first)."""
    assert normalize_number("－") == ("－", "")
    assert normalize_number("―") == ("―", "")
    assert NA_VALUE == "該当なし" and is_na(NA_VALUE)


@pytest.mark.parametrize("raw,list_key,value", [
    ("〇", "grade", "○"), ("◯", "grade", "○"), (" ○ ", "grade", "○"), ("まる", "grade", "○"), ("ｏ", "grade", "○"),
    ("二重丸", "grade", "◎"), ("▲", "grade", "△"), ("✕", "grade", "×"), ("Ｘ", "grade", "×"),
    ("継続実施", "direction", "継続"), ("現状維持", "direction", "継続"), ("拡大", "direction", "拡充"),
    ("改善", "direction", "見直し"), ("終了", "direction", "廃止"), ("\u3000見直し\u3000", "direction", "見直し"),
])
def test_choice_synonyms(raw: str, list_key: str, value: str) -> None:
    got, note = normalize_choice(raw, list_key)
    assert got == value
    if raw.strip() != value:
        assert value in note


@pytest.mark.parametrize("value,list_key", [(v, "grade") for v in "◎○△×"] + [
    (v, "direction") for v in ("拡充", "継続", "見直し", "廃止")])
def test_canonical_choices_unchanged(value: str, list_key: str) -> None:
    assert normalize_choice(value, list_key) == (value, "")


@pytest.mark.parametrize("raw", ["良い", "A", "済", "継続する予定", "○○"])
def test_unknown_choice_left_for_validation(raw: str) -> None:
    assert normalize_choice(raw, "grade" if len(raw) < 3 else "direction") == (raw, "")


@pytest.mark.parametrize("raw,kind", [
    ("同左", "left"), ("同 左", "left"), ("\u3000同左\u3000", "left"), ("左に同じ", "left"),
    ("同上", "above"), ("〃", "above"), ("″", "above"), ("上に同じ", "above"),
    ("同左の内容に加え、研修を1回実施", None), ("同じ", None), ("", None), (12, None), (None, None),
])
def test_same_as_kind(raw: Any, kind: Any) -> None:
    assert same_as_kind(raw) == kind


@pytest.mark.parametrize("raw,value,note", [
    ("ＮＰＯと１２回\u00a0", "NPOと12回", ("全角", "空白")),
    ("\u00a0 地域の関係づくりが進んだ。\u3000", "地域の関係づくりが進んだ。", ("空白",)),
    ("一行目\r\n二行目", "一行目\n二行目", ()),
    ("・5月30日 懇談\n・9月5日 意見交換会", "・5月30日 懇談\n・9月5日 意見交換会", ()),
    ("希望者すべて", "希望者すべて", ()),
])
def test_text(raw: str, value: str, note: tuple) -> None:
    got, got_note = normalize_text(raw)
    assert got == value
    for word in note:
        assert word in got_note
    if not note:
        assert got_note == ""


@pytest.mark.parametrize("raw,value", [
    (None, ""), ("", ""), (12.0, 12), (3934.5, 3934.5), (True, "TRUE"), ("文字", "文字"),
    (dt.datetime(2024, 5, 30), "2024-05-30"), (dt.datetime(2024, 5, 30, 9, 30), "2024-05-30 09:30:00"),
    (dt.date(2024, 5, 30), "2024-05-30"),
])
def test_cell_value(raw: Any, value: Any) -> None:
    got = cell_value(raw)
    assert got == value and type(got) is type(value)


# ---------------------------------------------------------------------------
# properties

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from hypothesis import given, settings, strategies as st  # noqa: E402

UNITS = st.sampled_from(["", "人", "回", "件", "団体", "か所", "部", "チーム", "時間", "年", "％"])
SEEDISH = st.sampled_from([
    "8（156人）", "3,600/年", "3934.5", "男性17.87／女性20.64", "希望者すべて", "同左", "―", "０", "－", "〃", "〇",
    "継続実施", "１，２３４人", "約100", "\u00a0", "\u3000", "\r\n", "同上", "該当なし", ",", ".", "人", "/年",
])
# everything a cell can hold: text (with the odd characters departments paste), numbers, booleans, dates
TEXT = st.one_of(st.text(), st.lists(SEEDISH | st.text(max_size=3), max_size=6).map("".join))
VALUES = st.one_of(
    TEXT, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)
EXCEL_INT = st.integers(min_value=-(10 ** 15) + 1, max_value=10 ** 15 - 1)  # what a cell holds exactly
# HYPOTHESIS_EXAMPLES=20000 for a long run; no deadline (no wall-clock assertions)
SETTINGS = settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")), deadline=None)


@SETTINGS
@given(VALUES, UNITS, st.booleans())
def test_never_raises(raw: Any, unit: str, integer: bool) -> None:
    value = cell_value(raw)
    normalize_number(value, unit=unit, integer=integer)
    normalize_text(value)
    normalize_choice(value, "grade")
    normalize_choice(value, "direction")
    is_na(value)
    same_as_kind(value)


@SETTINGS
@given(VALUES, UNITS)
def test_number_idempotent(raw: Any, unit: str) -> None:
    once, _ = normalize_number(cell_value(raw), unit=unit)
    assert normalize_number(once, unit=unit) == (once, "")


@SETTINGS
@given(TEXT)
def test_text_idempotent(raw: str) -> None:
    once, _ = normalize_text(raw)
    assert normalize_text(once) == (once, "")
    assert once == once.strip()


@SETTINGS
@given(TEXT)
def test_text_can_always_be_stored(raw: str) -> None:
    """What normalize_text returns holds no character an .xlsx or a UTF-8 CSV refuses."""
    import openpyxl

    once, note = normalize_text(raw)
    once.encode("utf-8")
    openpyxl.Workbook().active["A1"] = once  # raises IllegalCharacterError on control characters
    assert clean_chars(once) == (once, "")


@SETTINGS
@given(TEXT, st.sampled_from(["grade", "direction"]))
def test_choice_idempotent(raw: str, list_key: str) -> None:
    once, _ = normalize_choice(raw, list_key)
    assert normalize_choice(once, list_key) == (once, "")


@SETTINGS
@given(TEXT)
def test_na_and_same_as_are_stable_under_normalising(raw: str) -> None:
    once, _ = normalize_text(raw)
    assert is_na(once) == is_na(raw)
    assert same_as_kind(once) == same_as_kind(raw)


@SETTINGS
@given(EXCEL_INT, UNITS)
def test_integers_round_trip(n: int, unit: str) -> None:
    assert normalize_number(n) == (n, "")
    assert normalize_number(float(n)) == (n, "")
    assert normalize_number(str(n)) == (n, "")
    assert normalize_number(str(n) + unit, unit=unit)[0] == n
    assert normalize_number(f"{n:,}")[0] == n
    got, note = normalize_number(f"{n:,}".translate(FULLWIDTH_DIGITS) + unit, unit=unit)
    assert got == n and type(got) is int and "全角" in note


@SETTINGS
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_floats_round_trip(x: float) -> None:
    value, note = normalize_number(x)
    assert value == x and note == ""
    assert type(value) is (int if x.is_integer() else float)
    text = repr(x)
    if "e" not in text:  # plain decimal notation, as a person types it
        assert normalize_number(text)[0] == x
        assert normalize_number(text.translate(FULLWIDTH_DIGITS))[0] == x


@SETTINGS
@given(st.integers(min_value=0, max_value=10 ** 9), st.integers(min_value=0, max_value=99))
def test_decimal_text_round_trip(whole: int, fraction: int) -> None:
    text = f"{whole:,}.{fraction:02d}"
    expected = float(f"{whole}.{fraction:02d}")
    value, _ = normalize_number(text)
    assert value == (int(expected) if expected.is_integer() else expected)
