"""answers.csv: the tidy dataset of every typed value, one reader and one writer.

Columns ``respondent_id, respondent, sheet, item_id, field, value, file, cell`` then
``status, label, raw``; UTF-8 with BOM so Excel opens it; text that a spreadsheet
would run as a formula gets one leading ``'`` (OWASP), taken off again on reading.
:class:`AnswerSet` is the same answers looked up by (respondent, sheet, item, field),
as 集計表 and rollover use them.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Protocol, Sequence, Tuple

from .contract import year_labels
from .excel import atomic_write
from .master import Master, read_csv_text
from .returns import Return, ReturnStatus, RosterStatus
from .spec import load_specs

ANSWERS_FILE = "answers.csv"
ANSWER_COLUMNS = ("respondent_id", "respondent", "sheet", "item_id", "field", "value", "file", "cell",
                  "status", "label", "raw")


class HasReturns(Protocol):
    """Anything holding returns (a collect result)."""

    returns: List[Return]


# the roster words 集計表 and rollover read from answers.csv's status column (summary imports these names)
NEEDS_FIX = RosterStatus.NEEDS_FIX
SUBMITTED = RosterStatus.SUBMITTED
NOT_SUBMITTED = RosterStatus.NOT_SUBMITTED


REQUIRED_ANSWER_COLUMNS = ("respondent_id", "sheet", "item_id", "field", "value")


@dataclass
class AnswerSet:
    """This year's answers, looked up by respondent, sheet, item and field."""

    values: Dict[Tuple[str, str, str, str], Any] = field(default_factory=dict)
    status: Dict[str, str] = field(default_factory=dict)  # respondent_id -> RosterStatus 提出済 / 要修正

    @classmethod
    def from_rows(cls, rows: Iterable[Dict[str, Any]]) -> "AnswerSet":
        answers = cls()
        for row in rows:
            dept = str(row["respondent_id"])
            key = (dept, str(row["sheet"]), str(row["item_id"]), str(row["field"]))
            answers.values[key] = row["value"]
            status = str(row.get("status") or SUBMITTED)
            if answers.status.get(dept) != NEEDS_FIX:
                answers.status[dept] = NEEDS_FIX if status == NEEDS_FIX else SUBMITTED
        return answers

    @classmethod
    def from_csv(cls, path: Path) -> "AnswerSet":
        """Read answers.csv (as written by collect). Raises ValueError when it is not one."""
        return cls.from_rows(read_answers(path))

    def update(self, other: "AnswerSet") -> None:
        """Add the answers of another collect run (e.g. one chunk of a large survey)."""
        self.values.update(other.values)
        for dept, status in other.status.items():
            if self.status.get(dept) != NEEDS_FIX:
                self.status[dept] = status

    def get(self, dept: str, sheet: str, item: Any, name: str) -> str:
        value = self.values.get((dept, sheet, str(item), name), "")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value)


def csv_text(value: Any) -> str:
    """Numbers as numbers (12, not 12.0); everything else as text."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return "" if value is None else str(value)


_CSV_FORMULA = re.compile(r"'*[=+\-@\t\r]")


_CSV_FIRST = frozenset("'=+-@\t\r")


_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


_SURROGATE = re.compile("[\ud800-\udfff]")


def csv_cell(value: Any) -> str:
    """A value as answers.csv and indicators.csv hold it (OWASP CSV injection guidance).

    Text a spreadsheet would run as a formula — starting with = + - @, a tab or a CR,
    after any leading quotes — gets one more leading ``'``; plain numbers such as -5
    stay numbers. :func:`csv_unescape` gives the value back exactly, so nothing is lost.

    >>> csv_cell("=1+1"), csv_cell("@SUM(A1)"), csv_cell(-5), csv_cell("-5"), csv_cell("'=x"), csv_cell("'ok")
    ("'=1+1", "'@SUM(A1)", '-5', '-5', "''=x", "'ok")
    >>> all(csv_unescape(csv_cell(v)) == v for v in ("=1+1", "-5", "'-5", "''=x", "'ok", "+81 49", "\t1"))
    True
    """
    text = csv_text(value)
    if "\x00" in text:  # a CSV reader stops at NUL
        text = text.replace("\x00", "")
    if text and text[0] in _CSV_FIRST and _CSV_FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_bytes(text: str) -> bytes:
    """A whole CSV as UTF-8 with BOM (Excel opens it); a lone surrogate becomes U+FFFD."""
    try:  # lone surrogates are the only text UTF-8 cannot encode: look for them only then
        return text.encode("utf-8-sig")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8-sig")


def csv_unescape(text: Any) -> Any:
    """A cell of answers.csv as it was before :func:`csv_cell` (used by report and rollover)."""
    if isinstance(text, str) and text.startswith("'") and _CSV_FORMULA.match(text) \
            and not _PLAIN_NUMBER.fullmatch(text[1:]):
        return text[1:]
    return text


def read_answers(path: Path) -> List[Dict[str, Any]]:
    """The rows of an answers.csv (UTF-8 or cp932), formula guard taken off.

    Raises ValueError when it is not one (a column is missing; checked on the header,
    so a header-only or empty file is refused too) and OSError when it cannot be read.
    """
    reader = csv.DictReader(io.StringIO(read_csv_text(Path(path)), newline=""))
    missing = [c for c in REQUIRED_ANSWER_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"answers.csv の列 {', '.join(missing)} がありません")
    return [{key: csv_unescape(value) for key, value in row.items()} for row in reader]


# a joined line holds a field that csv quotes (" CR LF) or a NUL, or a field after the
# first that csv_cell might change (one starting with ' = + - @ or a tab); two searches,
# as each alone is a fast scan (one pattern with both alternatives is not)
_QUOTED_OR_NUL = re.compile("[\x00\"\r\n]")


_GUARDED_FIELD = re.compile(",['=+\\-@\t]")


def write_csv_values(buffer: Any, writer: Any, rows: Iterable[Sequence[Any]], width: int) -> None:
    """:func:`write_csv_rows` for rows given as sequences of ``width`` values."""
    if width < 2:  # a row of one empty field is written "" (the writer knows such rules)
        writer.writerows([csv_cell(v) for v in values] for values in rows)
        return
    commas = width - 1
    write, quoted, guarded = buffer.write, _QUOTED_OR_NUL.search, _GUARDED_FIELD.search
    for values in rows:
        try:
            line = ",".join(values)
        except TypeError:  # numbers among the values: their text (csv_cell's, unless it starts with a sign,
            line = ",".join([v if v.__class__ is str else csv_text(v) for v in values])  # which goes below)
        if line.count(",") == commas and line[:1] not in _CSV_FIRST and not quoted(line) and not guarded(line):
            write(line + "\r\n")
        else:
            writer.writerow([csv_cell(v) for v in values])


def csv_field(value: Any) -> str:
    """``value`` as csv.writer (default dialect) writes ``csv_cell(value)`` in a row of
    several fields: quoted, with quotes doubled, when it holds a comma, a quote or a line break.

    >>> csv_field('said "hi", twice'), csv_field("=1+1"), csv_field(-5), csv_field("")
    ('"said ""hi"", twice"', "'=1+1", '-5', '')
    """
    text = csv_cell(value)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


_LEFT_OUT = (ReturnStatus.SUPERSEDED, ReturnStatus.OUT_OF_SCOPE)  # returns whose values are not answers


_SHORT_TEXT = 40  # texts up to this length recur across returns (names, labels, short answers): remembered


def write_collected_answers(master: Master, result: HasReturns, path: Path) -> AnswerSet:
    """Write answers.csv of a collect result (atomically); its :class:`AnswerSet`.

    Raises OSError when the file cannot be written; :func:`collected_answers` gives the
    bytes and the set without writing (collect keeps the set when the write fails).
    """
    data, answers = collected_answers(master, result)
    atomic_write(path, lambda tmp: tmp.write_bytes(data))
    return answers


def collected_answers(master: Master, result: HasReturns) -> Tuple[bytes, AnswerSet]:
    """answers.csv of a collect result (its bytes), and its :class:`AnswerSet`, in one pass.

    The same bytes as ``write_answer_values(answer_values(master, result), path)`` and the
    same set as ``AnswerSet.from_values`` of those rows (tested), with less work per
    answer: what is the same for a whole return or column (課, file, sheet, label) is made
    CSV text once, and only the typed values are looked at one by one.
    """
    specs = load_specs()
    years = year_labels(master.settings.fiscal_year)
    known: Dict[Any, str] = {}  # short text or integer -> its CSV field (not floats or bools: 1 == 1.0 == True)

    def field(value: Any) -> str:
        kind = value.__class__
        if kind is str or kind is int:
            text = known.get(value)
            if text is None:
                text = csv_field(value)
                if kind is int or len(value) <= _SHORT_TEXT:
                    known[value] = text
            return text
        return csv_field(value)

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(ANSWER_COLUMNS)
    answers = AnswerSet()
    store = answers.values
    for ret in result.returns:
        if ret.status in _LEFT_OUT or not ret.respondent_id:
            continue
        respondent_id = ret.respondent_id
        head = f"{field(respondent_id)},{field(ret.respondent)},"
        middle = f",{field(ret.file)},"
        status = field(str(ret.status))
        segments: Dict[Tuple[str, str], Tuple[str, str, str]] = {}
        lines: List[str] = []  # this return's: joined and written at once, never all returns' together
        append = lines.append
        for cell in ret.cells:
            raw = cell.raw
            if raw == "":
                continue
            sheet, name, value, item_id = cell.sheet, cell.field, cell.value, cell.item_id
            segment = segments.get((sheet, name))
            if segment is None:
                label = specs[sheet].column(name).label_for(years)
                segment = segments[(sheet, name)] = (
                    f"{head}{field(sheet)},", f",{field(name)},", f",{status},{field(label)},")
            # the cell reference (K26) is ours and never needs quoting or a guard
            append(f"{segment[0]}{field(item_id)}{segment[1]}{field(value)}{middle}{cell.cell}{segment[2]}"
                   f"{field(raw)}")
            store[(respondent_id, sheet, item_id, name)] = value
        if lines:
            buffer.write("\r\n".join(lines))
            buffer.write("\r\n")
            if answers.status.get(respondent_id) != NEEDS_FIX:
                answers.status[respondent_id] = NEEDS_FIX if ret.status == ReturnStatus.NEEDS_FIX else SUBMITTED
    return csv_bytes(buffer.getvalue()), answers
