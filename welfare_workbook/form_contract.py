"""The contract of a form workbook, shared by its writer and its readers.

Where every row of a respondent's form sits (:func:`form_layout`), the key of each
answer cell, the ``_meta`` entries (the row-table contract's format: marker, survey
id, year, respondent, template version, packed ``rows:`` table of row, key and the
hash of the row's locked texts) and the survey id. The writer (:mod:`form_generate`)
and the readers (:mod:`form_collect`, :mod:`form_report`) use this module, never
each other.

Keys of answer cells: ``item`` · ``item.2`` (block 2 of a repeat group) ·
``item:3`` (the ○ cell of option 3 of a 複数選択). In answers.csv a cell's
``item_id`` is the item (with ``.block``), its ``field`` is ``value`` or the option.

>>> from welfare_workbook.form_master import form_sample_path, load_form_master
>>> master, _ = load_form_master(form_sample_path())
>>> rows = form_layout(master.spec, master, master.ordered()[0])
>>> first = next(r for r in rows if r.key)
>>> first.key, first.row, first.label
('dantai_code', 6, '団体コード')
>>> parse_key("suishin_career.2"), parse_key("jigyo:1")
(('suishin_career', 2, 0), ('jigyo', 0, 1))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .contract import META_MARKER, META_SHEET, form_survey_id, pack_meta_rows, read_meta, row_hash
from .form_spec import Condition, FormSpec, Heading, Item, Repeat, Section

FORM_META_FORMAT = "form1"
LAYOUT = "form"
LISTS_SHEET = "_lists"
HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
COLUMNS = ("番号", "項目", "回答", "単位", "入力チェック")  # A–E
ANSWER_COL, CHECK_COL = 3, 5
VALUE_FIELD = "value"
_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class FormRow:
    """One row of a respondent's form sheet."""

    row: int
    kind: str  # section · heading · item · multi · option · group · block
    marker: str = ""  # column A: １． ① （ア） ア
    label: str = ""  # column B
    unit: str = ""  # column D
    key: str = ""  # answer cell key ('' for rows without an answer cell)
    item: Optional[Item] = None
    block: int = 0
    option: int = 0  # 1-based option of a 複数選択
    conditions: Tuple[Condition, ...] = ()
    allowed: bool = True  # False: a block beyond the respondent's number of blocks
    depth: int = 0  # 0 top section, 1 sub-section

    @property
    def locked(self) -> List[str]:
        """The locked texts of the row: what its hash covers."""
        return [self.marker, self.label, self.unit]

    @property
    def digest(self) -> str:
        return row_hash(self.locked)

    @property
    def item_id(self) -> str:
        """answers.csv ``item_id``: the item, with ``.block`` inside a repeat group."""
        assert self.item is not None
        return f"{self.item.id}.{self.block}" if self.block else self.item.id

    @property
    def field(self) -> str:
        """answers.csv ``field``: ``value``, or the option of a ○ cell."""
        assert self.item is not None
        return self.item.options[self.option - 1].value if self.option else VALUE_FIELD


def make_key(item_id: str, block: int = 0, option: int = 0) -> str:
    return item_id + (f".{block}" if block else "") + (f":{option}" if option else "")


def parse_key(key: str) -> Tuple[str, int, int]:
    """(item, block, option) of an answer key; 0 where there is none."""
    rest, _, option = key.partition(":")
    item, _, block = rest.partition(".")
    return item, int(block) if block.isdigit() else 0, int(option) if option.isdigit() else 0


def section_number(index: int, sub: int = 0) -> str:
    """１． or １－１． (full-width, as the seed prints them)."""
    text = f"{index}" + (f"－{sub}" if sub else "")
    return text.translate(_FULL_DIGITS) + "．"


def form_layout(spec: FormSpec, master: Any, respondent: Any) -> List[FormRow]:
    """Every row of ``respondent``'s form, from :data:`FIRST_ROW` down, in form order.

    ``master`` tells how many blocks of a repeat group the respondent may fill
    (``master.blocks``); all ``max`` blocks are laid out, those beyond are marked
    ``allowed=False`` (the writer greys them, the checks refuse values there).
    """
    rows: List[FormRow] = []
    number = 0

    def add(kind: str, **kw: Any) -> None:
        rows.append(FormRow(FIRST_ROW + len(rows), kind, **kw))

    def walk(section: Section, marker: str, chain: Tuple[Condition, ...], depth: int) -> None:
        chain = chain + ((section.when,) if section.when else ())
        add("section", marker=marker, label=section.title, conditions=chain, depth=depth)
        sub = 0
        for element in section.content:
            if isinstance(element, Section):
                sub += 1
                walk(element, section_number(number, sub) if section.numbered and marker else "", chain, depth + 1)
            elif isinstance(element, Heading):
                add("heading", marker=element.marker, label=element.text,
                    conditions=chain + ((element.when,) if element.when else ()))
            elif isinstance(element, Repeat):
                group(element, chain)
            else:
                item_rows(element, chain)

    def item_rows(item: Item, chain: Tuple[Condition, ...], block: int = 0, allowed: bool = True) -> None:
        conditions = chain + ((item.when,) if item.when else ())
        if item.type == "multi":
            add("multi", marker=item.no, label=item.label, item=item, block=block, conditions=conditions,
                allowed=allowed)
            for index, option in enumerate(item.options, start=1):
                add("option", label=option.value, key=make_key(item.id, block, index), item=item, block=block,
                    option=index, conditions=conditions, allowed=allowed)
        else:
            add("item", marker=item.no, label=item.label, unit=item.unit, key=make_key(item.id, block), item=item,
                block=block, conditions=conditions, allowed=allowed)

    def group(repeat: Repeat, chain: Tuple[Condition, ...]) -> None:
        chain = chain + ((repeat.when,) if repeat.when else ())
        allowed_blocks = master.blocks(respondent, repeat) if master is not None else repeat.max
        add("group", marker=repeat.no, label=repeat.label, conditions=chain)
        for block in range(1, repeat.max + 1):
            allowed = block <= allowed_blocks
            add("block", marker=repeat.marker(block), label=f"{repeat.label}（{repeat.marker(block)}）",
                block=block, conditions=chain, allowed=allowed)
            for item in repeat.items:
                item_rows(item, chain, block, allowed)

    for section in spec.sections:
        if section.numbered:
            number += 1
        walk(section, section_number(number) if section.numbered else "", (), 0)
    return rows


def answer_rows(rows: Sequence[FormRow]) -> List[FormRow]:
    """The rows with an answer cell."""
    return [r for r in rows if r.key]


# ---------------------------------------------------------------------------
# survey id and _meta


def form_lineage(settings: Any) -> str:
    """The survey without its year: the same body's same form in another year is 'wrong year'."""
    return "|".join((settings.body, settings.form))


def form_meta_entries(master: Any, respondent: Any, rows: Sequence[FormRow], generated_at: str,
                      tool: str) -> List[List[Any]]:
    """The rows of a form's ``_meta`` sheet (keys and values; ``rows:<sheet>`` packed)."""
    s, spec = master.settings, master.spec
    inputs = answer_rows(rows)
    return [
        [META_MARKER, FORM_META_FORMAT],
        ["layout", LAYOUT],
        ["survey_id", form_survey_id(s)],
        ["survey_name", s.survey_name],
        ["municipality", s.body],
        ["lineage", form_lineage(s)],
        ["form", spec.name],
        ["fiscal_year", s.fiscal_year],
        ["respondent_id", respondent.code],
        ["respondent", respondent.display],
        ["template_version", spec.version],
        ["tool_version", tool],
        ["generated_at", generated_at],
        ["sheets", spec.sheet],
        ["header_row", HEADER_ROW],
        ["first_row", FIRST_ROW],
        [f"hash:{spec.sheet}", row_hash([h for r in rows for h in r.locked])],
        [f"rows:{spec.sheet}"] + pack_meta_rows((r.row, r.key, r.digest) for r in inputs),
    ]


@dataclass
class FormMeta:
    """A return's ``_meta`` as read: its pairs and its (row, key, hash) table."""

    pairs: Dict[str, Any] = field(default_factory=dict)
    table: List[Tuple[int, str, str]] = field(default_factory=list)

    @property
    def is_form(self) -> bool:
        return self.pairs.get("layout") == LAYOUT


def read_form_meta(rows: Sequence[Sequence[Any]], text: Any) -> FormMeta:
    pairs, table = read_meta(rows, text)
    return FormMeta(pairs, [(row, key, digest) for _, row, key, digest in table])


__all__ = ["FormRow", "FormMeta", "form_layout", "answer_rows", "make_key", "parse_key", "form_survey_id",
           "form_lineage", "form_meta_entries", "read_form_meta", "section_number", "META_SHEET", "LISTS_SHEET",
           "HEADER_ROW", "FIRST_ROW", "COLUMNS", "ANSWER_COL", "CHECK_COL", "VALUE_FIELD"]
