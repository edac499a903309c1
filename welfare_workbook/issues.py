"""Errors are data: every problem found in a master, a return or an output is an :class:`Issue`.

Each issue has a code from :data:`CATALOGUE`, whose Japanese template says what is
wrong and how to fix it, and keeps the values its message was built from
(:attr:`Issue.context`), so programs and tests look at codes and values, never at
the wording. Code raises only when work cannot go on at all. Every command returns
a :class:`Report`: ``valid``, ``counts``, ``issues`` and ``to_dict()``.

>>> issue = make("master_sheet_missing", file="master.xlsx", sheet="指標")
>>> issue.severity
'error'
>>> "指標" in issue.message
True
>>> moved = make("row_moved", sheet="取組状況", cell="A7", item="17", expected_row=6, row=7)
>>> moved.context["expected_row"], moved.context["row"]
(6, 7)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional

from .catalogue import CATALOGUE, ERROR, INFO, SEVERITIES, SEVERITY_LABEL, WARNING  # noqa: F401 (re-exported)


JsonValue = Any  # str, int, float, bool, None, or a tuple of them (a list in JSON)


def json_safe(value: Any) -> JsonValue:
    """``value`` as a JSON-safe, immutable value: numbers, text, bools and None as they
    are; sequences as tuples, mappings as :class:`Context`; enums by their value; paths,
    dates and anything else as text.

    >>> json_safe(3), json_safe(["a", 1.5]), json_safe(float("nan")), json_safe(None)
    (3, ('a', 1.5), 'nan', None)
    """
    kind = value.__class__
    if kind is str or kind is int or kind is bool or value is None:  # the common case, first
        return value
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, (bool, int, str)):  # subclasses: as the plain type
        return bool(value) if isinstance(value, bool) else int(value) if isinstance(value, int) else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)  # JSON has no NaN or infinity
    if isinstance(value, Mapping):  # nested: read-only too (a dict in JSON)
        return value if isinstance(value, Context) else Context(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return tuple(json_safe(v) for v in items)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def _as_json(value: JsonValue) -> Any:
    """A context value as ``json.dumps`` shows it: tuples become lists, mappings dicts."""
    if isinstance(value, tuple):
        return [_as_json(v) for v in value]
    return value.to_dict() if isinstance(value, Context) else value


class Context(Mapping[str, JsonValue]):
    """The values an issue's message was built from: a read-only, hashable mapping.

    Values are JSON-safe (see :func:`json_safe`); a sequence is a tuple.

    >>> c = Context({"row": 7, "rows": [6, 7]})
    >>> c["row"], c["rows"], c == {"row": 7, "rows": (6, 7)}, hash(c) == hash(Context(c))
    (7, (6, 7), True, True)
    """

    __slots__ = ("_data",)

    def __init__(self, values: Optional[Mapping[str, Any]] = None) -> None:
        self._data: Dict[str, JsonValue] = {str(k): json_safe(v) for k, v in (values or {}).items()}

    def __getitem__(self, key: str) -> JsonValue:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Context):
            return self._data == other._data
        return isinstance(other, Mapping) and self._data == dict(other.items())

    def __repr__(self) -> str:
        return f"Context({self._data!r})"

    def __reduce__(self) -> Any:  # copy / pickle / dataclasses.asdict
        return (Context, (self._data,))

    def to_dict(self) -> Dict[str, Any]:
        """A plain dict for JSON (tuples as lists)."""
        return {k: _as_json(v) for k, v in self._data.items()}


_NO_CONTEXT = Context()



class InputError(ValueError):
    """Work cannot go on because of an input the user controls (e.g. a malformed template).

    The message is Japanese and says what to fix; the command line prints it and
    exits 2, without a traceback. Everything else is reported as :class:`Issue` data.
    """


@dataclass(frozen=True)
class Issue:
    """One problem, addressed as precisely as it can be: file, sheet, cell.

    ``message`` is the Japanese text a secretariat or department reads; ``context``
    holds the values it was built from (row numbers, item No., the value found, the
    value expected, the department…), for programs and tests to look at instead of
    the wording. ``value`` is the value found, as text (also in ``context``).
    """

    code: str
    severity: str
    message: str
    file: Optional[str] = None
    sheet: Optional[str] = None
    cell: Optional[str] = None
    respondent_id: Optional[str] = None
    value: Optional[str] = None
    context: Context = field(default=_NO_CONTEXT, compare=True)

    def __post_init__(self) -> None:
        if not isinstance(self.context, Context):  # a plain dict given: made read-only and JSON-safe
            object.__setattr__(self, "context", Context(self.context))

    def to_dict(self, *, context: bool = True) -> Dict[str, Any]:
        """Every field; ``context`` as a plain dict (left out when ``context=False``)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if context:
            data["context"] = self.context.to_dict()
        else:
            del data["context"]
        return data


def where(sheet: Optional[str], cell: Optional[str]) -> str:
    """Japanese location prefix: 「指標」シート D5：."""
    if sheet and cell:
        return f"「{sheet}」シート {cell}："
    if sheet:
        return f"「{sheet}」シート："
    return ""


def make(
    code: str,
    *,
    file: Optional[str] = None,
    sheet: Optional[str] = None,
    cell: Optional[str] = None,
    respondent_id: Optional[str] = None,
    value: Any = None,
    severity: Optional[str] = None,
    **fields: Any,
) -> Issue:
    """Build an issue from the catalogue; unknown template fields are left visible.

    ``value`` and ``fields`` are kept as the issue's ``context`` (file, sheet, cell and
    respondent_id are fields of the issue itself). A template may format a number
    (``{cells:,}``), so the context keeps the number and the message shows 1,000,000.
    """
    default_severity, template = CATALOGUE[code]
    values = _SafeDict(fields)
    values.update(file=file or "", sheet=sheet or "", cell=cell or "", where=where(sheet, cell))
    values["value"] = "" if value is None else value
    if value is not None:
        fields["value"] = value
    return Issue(
        code=code,
        severity=severity or default_severity,
        message=_printable(_render(template, values)),
        file=file,
        sheet=sheet,
        cell=cell,
        respondent_id=respondent_id,
        value=None if value is None else str(value),
        context=Context(fields) if fields else _NO_CONTEXT,
    )


_FORMAT_SPEC = re.compile(r"\{(\w+):[^{}]*\}")


def _render(template: str, values: Dict[str, Any]) -> str:
    """The message; a field whose value does not take the template's format (text where
    ``{cells:,}`` wants a number) is shown plainly rather than failing."""
    try:
        return template.format_map(values)
    except (ValueError, TypeError):
        return _FORMAT_SPEC.sub(r"{\1}", template).format_map(values)


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _printable(message: str) -> str:
    """A message safe on a terminal and in a workbook: no escape sequences, no control characters."""
    return _UNPRINTABLE.sub("?", message.replace("\r\n", "\n"))


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class IssueList:
    """An ordered collection of issues with counting helpers."""

    items: List[Issue] = field(default_factory=list)

    def add(self, issue: Issue) -> None:
        self.items.append(issue)

    def extend(self, issues: Iterable[Issue]) -> None:
        self.items.extend(issues)

    def count(self, severity: str) -> int:
        return sum(1 for i in self.items if i.severity == severity)

    @property
    def counts(self) -> Dict[str, int]:
        return count_issues(self.items)

    @property
    def has_errors(self) -> bool:
        return any(i.severity == ERROR for i in self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_list(self) -> List[Dict[str, Any]]:
        return [i.to_dict() for i in self.items]


COUNT_KEYS = {ERROR: "errors", WARNING: "warnings", INFO: "infos"}


def count_issues(issues: Iterable[Issue]) -> Dict[str, int]:
    """``{"errors": n, "warnings": n, "infos": n}`` of some issues."""
    counts = dict.fromkeys(COUNT_KEYS.values(), 0)
    for issue in issues:
        key = COUNT_KEYS.get(issue.severity)
        if key:
            counts[key] += 1
    return counts


class Report:
    """The one shape of every command's result: ``valid``, ``counts``, ``issues``, ``to_dict()``.

    A command's result is a dataclass that mixes this in and has ``issues`` (a field or
    a property: any iterable of :class:`Issue`). By default it is valid when no issue is
    an error, and ``to_dict()`` gives ``valid``, ``counts``, the dataclass's other
    fields (JSON-safe) and ``issues``; a result overrides :meth:`report_data` (its own
    keys) or ``valid`` where its command decides otherwise.

    >>> @dataclasses.dataclass
    ... class Done(Report):
    ...     written: int
    ...     issues: List[Issue] = dataclasses.field(default_factory=list)
    >>> done = Done(3, [make("file_empty", file="a.xlsx")])
    >>> done.valid, done.counts
    (False, {'errors': 1, 'warnings': 0, 'infos': 0})
    >>> list(done.to_dict())
    ['valid', 'counts', 'written', 'issues']
    """

    issues: Any  # Iterable[Issue], supplied by the result

    def report_issues(self) -> List[Issue]:
        """The issues ``valid``, ``counts`` and ``to_dict()`` look at: ``issues`` unless a
        result holds more (mail: the drafting's and the sending's)."""
        return list(self.issues)

    @property
    def valid(self) -> bool:
        return not any(issue.severity == ERROR for issue in self.report_issues())

    @property
    def counts(self) -> Dict[str, int]:
        return count_issues(self.report_issues())

    def report_data(self) -> Dict[str, Any]:
        """The command's own keys: by default its dataclass fields other than ``issues``."""
        if not dataclasses.is_dataclass(self):
            return {}
        return {f.name: _as_json(json_safe(getattr(self, f.name)))
                for f in dataclasses.fields(self) if f.name != "issues"}

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"valid": self.valid, "counts": self.counts}
        data.update(self.report_data())
        data["issues"] = [issue.to_dict() for issue in self.report_issues()]
        return data
