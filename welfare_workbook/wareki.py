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
