"""Clean values where they come in: what departments type becomes one vocabulary.

Each function returns the cleaned value and a short Japanese note of what changed
(empty when nothing did), so every change can be logged as an info issue.

>>> normalize_number("１，２３４人", unit="人")
(1234, '全角文字を半角にし、単位「人」を除き、桁区切りのカンマを除きました')
>>> normalize_number("約100")
('約100', '')
>>> normalize_choice(" 〇 ", "grade")
('○', '「〇」を「○」に読み替えました')
>>> normalize_choice("継続実施", "direction")
('継続', '「継続実施」を「継続」に読み替えました')
>>> normalize_text("ＮＰＯと１２回\u00a0")
('NPOと12回', '全角英数字を半角にしました・前後の空白を除きました')
>>> is_na("該当なし"), is_na("－"), is_na("0")
(True, True, False)
>>> clean_chars("地域\\x07の集い")
('地域の集い', '制御文字など、保存できない文字を除きました')
>>> clean_chars("\\ud800")[0] == "\\ufffd"
True
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any, Dict, Optional, Tuple, Union

from .spec import NA_VALUE, load_lists

__all__ = [
    "NA_VALUE", "NA_WORDS", "SAME_LEFT", "SAME_ABOVE", "COMMON_UNITS", "cell_value", "clean_chars", "is_clean_text",
    "is_na", "same_as_kind", "normalize_text", "normalize_number", "normalize_choice",
]

NA_WORDS = frozenset({
    "なし", "無し", "該当なし", "該当無し", "特になし", "特に無し", "非該当", "対象外", "実績なし",
    "―", "‐", "－", "-", "ー", "—", "–", "−", "─", "━", "ｰ", "n/a", "na", "N/A", "NA", "—",
})
SAME_LEFT = frozenset({"同左", "左に同じ", "左記に同じ", "同 左"})
SAME_ABOVE = frozenset({"同上", "〃", "″", "上に同じ", "上記に同じ", "同 上", "々"})
COMMON_UNITS = ("人", "名", "回", "件", "団体", "か所", "ヶ所", "箇所", "カ所", "部", "チーム", "時間", "％", "%",
                "世帯", "校", "箇所", "円", "年", "人日", "人/年", "回/年", "/年", "/年度")

Number = Union[int, float]
_FULLWIDTH_ALNUM = {code: code - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for code in range(r[0], r[1] + 1)}
_FULLWIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SPACES = {0x00A0: " ", 0x2007: " ", 0x202F: " ", 0x200B: "", 0xFEFF: ""}
_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def cell_value(raw: Any) -> Any:
    """Calamine cell -> Python value: '' for empty, int for integral numbers, ISO text for dates."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and abs(raw) < 1e15 else raw
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    if isinstance(raw, dt.timedelta):
        return str(raw)
    return raw


# control characters other than tab and line ends, and the two non-characters: not
# allowed in an .xlsx (XML 1.0); lone surrogates cannot be written as UTF-8 at all
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEEDS_FOLD = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_NEEDS_SPACES = re.compile("[\u00a0\u2007\u202f\u200b\ufeff\r]")
# anything that normalize_text would change: a text without any of these (and without
# surrounding whitespace) is already clean
_NEEDS_ATTENTION = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u00a0\u2007\u202f\u200b\ufeff\r]"
)
_SAME_LEFT = frozenset(t.replace(" ", "") for t in SAME_LEFT)
_SAME_ABOVE = frozenset(t.replace(" ", "") for t in SAME_ABOVE)


def _strip(text: str) -> str:
    if _UNSTORABLE.search(text):
        text = _UNSTORABLE.sub("", text)
    if _NEEDS_SPACES.search(text):
        text = text.translate(_SPACES).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


def is_clean_text(text: str) -> bool:
    """True when :func:`normalize_text` would return ``text`` unchanged (a fast path).

    >>> is_clean_text("令和6年度は研修を3回実施した。"), is_clean_text(" 先頭に空白"), is_clean_text("１２回")
    (True, False, False)
    """
    return not _NEEDS_ATTENTION.search(text) and text == text.strip()


def clean_chars(text: str) -> Tuple[str, str]:
    """Drop characters no output can hold; a lone surrogate becomes U+FFFD.

    Emoji and private-use (外字) characters are ordinary text and are kept.
    """
    cleaned = _SURROGATE.sub("\ufffd", _UNSTORABLE.sub("", text))
    return cleaned, "制御文字など、保存できない文字を除きました" if cleaned != text else ""


def normalize_text(raw: Any) -> Tuple[str, str]:
    """Free text: fold full-width letters and digits, tidy spaces and line ends.

    Full-width punctuation such as （）「」 is part of Japanese writing and is kept.
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw), ""
    text, cleaned = clean_chars(str(raw))
    notes = [cleaned] if cleaned else []
    folded = text.translate(_FULLWIDTH_ALNUM) if _NEEDS_FOLD.search(text) else text
    if folded != text:
        notes.append("全角英数字を半角にしました")
    stripped = _strip(folded)
    if stripped != folded.replace("\r\n", "\n").replace("\r", "\n"):
        notes.append("前後の空白を除きました")
    return stripped, "・".join(notes)


def is_na(value: Any) -> bool:
    """True for words that mean 'nothing to report' (なし, ―, 該当なし …)."""
    if not isinstance(value, str) or len(value) > 20:
        return False
    text = unicodedata.normalize("NFKC", _strip(value)).replace(" ", "")
    return text in NA_WORDS or _strip(value) in NA_WORDS


def same_as_kind(value: Any) -> Optional[str]:
    """'left' for 同左, 'above' for 同上 / 〃, else None."""
    if not isinstance(value, str) or len(value) > 12:
        return None
    text = _strip(value).replace("\u3000", "").replace(" ", "")
    if text in _SAME_LEFT:
        return "left"
    if text in _SAME_ABOVE:
        return "above"
    return None


@lru_cache(maxsize=50_000, typed=True)  # typed: 1, 1.0 and True are different cells
def plain_number(value: Any) -> Optional[float]:
    """The number a cell holds ('6,460' -> 6460.0), else None (8（156人）, 希望者すべて …).

    Remembered: last year's values and the answers recur across departments.
    """
    number, _ = normalize_number(value)
    return float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None


def normalize_number(raw: Any, unit: str = "", integer: bool = False) -> Tuple[Any, str]:
    """Numbers as numbers: '１，２３４人' -> 1234. Text that is not a number is returned as is."""
    if isinstance(raw, bool):
        return raw, ""
    if isinstance(raw, (int, float)):
        return (cell_value(raw) if isinstance(raw, float) else raw), ""
    original = str(raw)
    stripped = _strip(original).strip("\u3000")
    # fold only the full-width ASCII block (１２３，．－％): NFKC would also turn
    # 10² into 102 or ① into 1, and silently change the number
    text = stripped.translate(_FULLWIDTH_ASCII)
    notes = []
    if text != stripped:
        notes.append("全角文字を半角にし")
    for candidate in _units(unit):
        head = text[: -len(candidate)]
        if text.endswith(candidate) and re.fullmatch(r"[+-]?[\d,]*\.?\d+", head or "x"):
            text = head
            notes.append(f"単位「{candidate}」を除き")
            break
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
        notes.append("桁区切りのカンマを除き")
    if not _NUMBER_RE.match(text) or len(text) > 30:
        return original, ""
    number = float(text)
    value: Number = int(number) if number.is_integer() else number
    return value, ("、".join(notes) + "ました") if notes else ""


@lru_cache(maxsize=256)
def _units(unit: str) -> Tuple[str, ...]:
    """Units a number may carry, longest first (the indicator's own unit included)."""
    units = {u.translate(_FULLWIDTH_ASCII) for u in (unit,) + COMMON_UNITS if u}
    return tuple(sorted(units, key=len, reverse=True))


def normalize_choice(raw: Any, list_key: str) -> Tuple[str, str]:
    """Grade or direction look-alikes and synonyms -> the canonical choice."""
    text = _strip(str(raw)).replace("\u3000", "").replace(" ", "")
    canonical = _synonyms(list_key).get(text) or _synonyms(list_key).get(unicodedata.normalize("NFKC", text))
    if canonical is None:
        return text, ""
    if canonical != text:
        return canonical, f"「{text}」を「{canonical}」に読み替えました"
    return canonical, ""


@lru_cache(maxsize=None)
def _synonyms(list_key: str) -> Dict[str, str]:
    choice_list = load_lists()[list_key]
    table = {v: v for v in choice_list.values}
    for canonical, words in choice_list.synonyms.items():
        for word in words:
            table[word] = canonical
            table[unicodedata.normalize("NFKC", word)] = canonical
    return table
