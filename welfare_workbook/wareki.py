"""Japanese fiscal years (年度) and dates, in 西暦 or 和暦.

Only the eras a welfare plan can meet are needed (昭和 for old data, 平成, 令和), so a
small table beats a dependency.

>>> parse_fiscal_year("令和6年度")
2024
>>> parse_fiscal_year("Ｒ６")
2024
>>> parse_fiscal_year("平成31年度")
2019
>>> parse_fiscal_year("2024")
2024
>>> fiscal_year_label(2019)
'令和元年度'
>>> short_label(2024)
'R6'
>>> parse_date("令和7年5月30日").isoformat()
'2025-05-30'
>>> date_like(dt.date(2027, 5, 28), "令和8年5月29日")
'令和9年5月28日'
>>> closed_because(dt.date(2027, 5, 29)), previous_working_day(dt.date(2027, 5, 29))
('土曜日', datetime.date(2027, 5, 28))
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Optional, Union

# era name -> (first 西暦 year of the era, latin initial)
ERAS = {"令和": (2019, "R"), "平成": (1989, "H"), "昭和": (1926, "S")}
_INITIALS = {initial: (name, start) for name, (start, initial) in ERAS.items()}

_ERA_RE = re.compile(r"^(令和|平成|昭和|[RHS])\s*(元|\d{1,2})\s*(?:年度?)?$")
_WESTERN_RE = re.compile(r"^(\d{4})\s*(?:年度?)?$")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().upper()


def parse_fiscal_year(value: Union[str, int, float, None]) -> Optional[int]:
    """Return the 西暦 fiscal year, or None when the text is not a year."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        year = int(value)
        return year if float(value) == year and 1900 <= year <= 2200 else None
    text = _clean(str(value))
    western = _WESTERN_RE.match(text)
    if western:
        year = int(western.group(1))
        return year if 1900 <= year <= 2200 else None
    era = _ERA_RE.match(text)
    if not era:
        return None
    name, number = era.group(1), era.group(2)
    start = ERAS[name][0] if name in ERAS else _INITIALS[name][1]
    n = 1 if number == "元" else int(number)
    return start + n - 1 if n >= 1 else None


def _era_of(year: int) -> tuple:
    for name, (start, initial) in ERAS.items():  # newest first
        if year >= start:
            return name, initial, year - start + 1
    raise ValueError(f"year before 昭和: {year}")


def fiscal_year_label(year: int) -> str:
    """令和6年度 for 2024; 元年 for the first year of an era."""
    name, _, n = _era_of(year)
    return f"{name}{'元' if n == 1 else n}年度"


def short_label(year: int) -> str:
    """R6 for 2024, as the seeds write column headings."""
    _, initial, n = _era_of(year)
    return f"{initial}{n}"


_DATE_ERA_RE = re.compile(r"^(令和|平成|昭和|[RHS])\s*(元|\d{1,2})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")
_DATE_WESTERN_RE = re.compile(r"^(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?")


def parse_date(value: Union[str, dt.date, dt.datetime, None]) -> Optional[dt.date]:
    """Parse 2025-05-30, 2025/5/30, 2025年5月30日, 令和7年5月30日 or R7.5.30."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _clean(value)
    match = _DATE_WESTERN_RE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DATE_ERA_RE.match(text)
        if not match:
            return None
        name, number = match.group(1), match.group(2)
        start = ERAS[name][0] if name in ERAS else _INITIALS[name][1]
        year = start + (1 if number == "元" else int(number)) - 1
        month, day = int(match.group(3)), int(match.group(4))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_label(day: dt.date) -> str:
    """令和7年5月30日（金） — how a deadline is written to departments."""
    year = day.year - 1 if day < dt.date(2019, 5, 1) and day.year == 2019 else day.year
    name, _, n = _era_of(year)
    if year != day.year:  # 平成31年1月–4月
        n += 1
    weekday = "月火水木金土日"[day.weekday()]
    return f"{name}{'元' if n == 1 else n}年{day.month}月{day.day}日（{weekday}）"


# ---------------------------------------------------------------------------
# a date written again in the style it was written in (rollover moves 提出期限)

# Full-width ASCII (０-９, Ｒ, ／ …) folded one character for one, so that a match on the
# folded text points at the same characters of the original.
_FOLD_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD_WIDTH[0x3000] = 0x20
_TO_WIDE = {code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)}
_STYLE_RE = re.compile(
    r"(?:(?P<era>令和|平成|昭和|[RHSrhs])\s*(?P<eyear>元|\d{1,2})|(?P<year>\d{4}))"
    r"\s*[年./-]\s*(?P<month>\d{1,2})\s*[月./-]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s*[(（](?P<weekday>[月火水木金土日])(?:曜日?)?[)）])?")
WEEKDAYS = "月火水木金土日"


def date_like(day: dt.date, written: str) -> str:
    """``day`` written in the style of ``written`` (a date :func:`parse_date` reads): 和暦 stays
    和暦 and 西暦 stays 西暦, with the same separators, zero padding, digit width and, when
    ``written`` has one, weekday; text around the date is kept. ``day.isoformat()`` when
    ``written`` is not a date.

    >>> date_like(dt.date(2026, 5, 29), "2025-05-30"), date_like(dt.date(2026, 5, 29), "2025/5/30")
    ('2026-05-29', '2026/5/29')
    >>> date_like(dt.date(2020, 4, 30), "平成31年4月30日（火）17時まで")
    '令和2年4月30日（木）17時まで'
    >>> date_like(dt.date(2026, 5, 29), "Ｒ７．５．３０"), date_like(dt.date(2019, 5, 7), "R6.5.30")
    ('Ｒ８．５．２９', 'R1.5.7')
    """
    folded = written.translate(_FOLD_WIDTH)
    match = _STYLE_RE.search(folded)
    if match is None or parse_date(folded[match.start():]) is None:
        return day.isoformat()
    parts = {"month": day.month, "day": day.day}
    if match.group("year"):
        parts["year"] = day.year
    else:
        name, initial, n = _era_of_date(day)
        era = match.group("era")
        parts["era"] = name if len(era) == 2 else (initial if era.isupper() else initial.lower())
        parts["eyear"] = "元" if n == 1 and len(era) == 2 else n
    if match.group("weekday"):
        parts["weekday"] = WEEKDAYS[day.weekday()]
    text = written
    for group in sorted(parts, key=match.start, reverse=True):  # right to left: spans stay valid
        start, end = match.span(group)
        text = text[:start] + _like(str(parts[group]), written[start:end]) + text[end:]
    return text


def _like(new: str, old: str) -> str:
    """``new`` with ``old``'s zero padding and width (Ｒ７ stays full-width)."""
    if new.isdigit() and len(old) == 2 and old.translate(_FOLD_WIDTH).startswith("0"):
        new = new.zfill(2)
    return new.translate(_TO_WIDE) if any(ord(c) in _FOLD_WIDTH for c in old) else new


def _era_of_date(day: dt.date) -> tuple:
    """(era name, initial, year of the era) of a day: 平成 ends on 30 April 2019."""
    if dt.date(2019, 1, 1) <= day < dt.date(2019, 5, 1):
        return "平成", "H", 31
    return _era_of(day.year)


def with_weekday(day: dt.date, text: str) -> str:
    """``text`` (``day`` as written) with its weekday right after the date; unchanged when it has one.

    >>> with_weekday(dt.date(2027, 5, 29), "令和9年5月29日"), with_weekday(dt.date(2027, 5, 28), "2027-05-28 17時")
    ('令和9年5月29日（土）', '2027-05-28（金） 17時')
    """
    match = _STYLE_RE.search(text.translate(_FOLD_WIDTH))
    if match is not None and match.group("weekday"):
        return text
    end = match.end() if match is not None else len(text)
    while end and text[end - 1].isspace():  # \s* after the day may have taken the space before other text
        end -= 1
    return f"{text[:end]}（{WEEKDAYS[day.weekday()]}）{text[end:]}"


# ---------------------------------------------------------------------------
# working days of a city office


def closed_because(day: dt.date) -> Optional[str]:
    """Why a city office is closed on ``day`` — 土曜日, 日曜日, the national holiday's name
    (振替休日 and 国民の休日 included), 年末年始 — or None on a working day.

    The holidays come from jpholiday, which follows the 祝日法 and its amendments (moved
    holidays, equinoxes computed for each year), so no table here goes out of date;
    12/29–1/3 is the 年末年始 every 休日条例 (地方自治法第4条の2) closes the offices on.
    """
    if day.weekday() >= 5:
        return WEEKDAYS[day.weekday()] + "曜日"
    if (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3):
        return "年末年始"
    import jpholiday  # lazily: only rollover needs the holidays

    return jpholiday.is_holiday_name(day)


def previous_working_day(day: dt.date) -> dt.date:
    """``day`` itself on a working day, else the last working day before it.

    >>> previous_working_day(dt.date(2026, 5, 6))  # 振替休日, after 憲法記念日… こどもの日
    datetime.date(2026, 5, 1)
    """
    while closed_because(day):
        day -= dt.timedelta(days=1)
    return day
