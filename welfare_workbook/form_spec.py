"""Form specs: the key–value survey layout (seed 003), declared once in ``templates/form_*.yaml``.

A form is a sheet of labelled answers: numbered sections (１．…, １－１．…) holding
items (one answer cell each), headings (ア, （ア）…) and repeat groups (blocks ア, イ,
ウ … of the same items). An item has an id, a label, a type, a unit, whether it is
required, a help text, and may apply only when another answer says so (``when``);
a section's condition applies to everything in it. The writer
(:mod:`form_generate`), the reader (:mod:`form_collect`), the pandera schema
(:mod:`form_validate`) and the compilation (:mod:`form_report`) are all derived from
this declaration.

Types (YAML ``type:``, in Japanese as the secretariat writes them):
整数 · 小数 · 文章 · 選択 (one of ``options``, a dropdown) · 複数選択 (○ rows, one per
option; an option may be ``exclusive`` such as 特になし) · 年月 · 年度の範囲 · 団体コード.

>>> spec = load_form_spec("chiiki_kyosei")
>>> spec.item("population").type, spec.item("population").unit
('integer', '人')
>>> [o.value for o in spec.item("jigyo").options][:1]
['地域力強化推進事業']
>>> spec.conditions("c_name")[0].describe(spec)
'「実施事業」で『地域力強化推進事業』を選んだ'
>>> spec.repeat_of("suishin_career").max
4
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import yaml

from .spec import TEMPLATES_ENV, SpecError

FORM_PREFIX = "form_"  # templates/form_<name>.yaml
TYPE_WORDS: Mapping[str, str] = {
    "整数": "integer", "小数": "decimal", "文章": "text", "選択": "choice", "複数選択": "multi",
    "年月": "month", "年度の範囲": "year_range", "団体コード": "code",
}
TYPE_LABELS: Mapping[str, str] = {v: k for k, v in TYPE_WORDS.items()}
NUMERIC = ("integer", "decimal")
CHOICE_TYPES = ("choice", "multi")
MARK = "○"  # the one mark of a chosen option of a 複数選択
KATAKANA = tuple("アイウエオカキクケコサシスセソタチツテト")
TOTALS = ("sum", "mean", "")


@dataclass(frozen=True)
class Option:
    value: str
    exclusive: bool = False  # e.g. 特になし: chosen alone or not at all
    help: str = ""


@dataclass(frozen=True)
class Condition:
    """Applies when the answer of ``item`` is (選択) or includes (複数選択) one of ``values``."""

    item: str
    values: Tuple[str, ...]

    def describe(self, spec: "FormSpec") -> str:
        """Japanese: 「実施事業」で『地域力強化推進事業』を選んだ."""
        shown = "』か『".join(self.values)
        return f"「{spec.item(self.item).label}」で『{shown}』を選んだ"


@dataclass(frozen=True)
class Item:
    """One answer (a 複数選択 is one ○ row per option)."""

    id: str
    label: str
    type: str = "text"  # one of TYPE_WORDS' values
    no: str = ""  # the form's own marker: ① （ア）…
    unit: str = ""
    required: bool = False
    help: str = ""
    options: Tuple[Option, ...] = ()
    synonyms: Mapping[str, Tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    when: Optional[Condition] = None
    specify: Optional[Condition] = None  # "その他（具体的に）": required exactly when that option is chosen
    lines: int = 1  # rows of text the answer cell is sized for
    prefill: str = ""  # column of the master's 回答団体 sheet written into the cell
    total: str = ""  # 一覧: sum / mean of the figures
    summary: bool = False  # shown in the compilation's 一覧 sheet
    unit_item: str = ""  # a 選択 item whose answer is this figure's unit (生活保護受給率: ％ or ‰)

    @property
    def option_values(self) -> Tuple[str, ...]:
        return tuple(o.value for o in self.options)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]


@dataclass(frozen=True)
class Heading:
    """A locked heading line inside a section (ア 「住民に身近な圏域」…, （ア）…)."""

    text: str
    marker: str = ""
    when: Optional[Condition] = None


@dataclass(frozen=True)
class Repeat:
    """Blocks ア, イ, ウ … of the same items; ``count`` names the 回答団体 column that gives
    a respondent's number of blocks (else the respondent fills up to ``max``)."""

    id: str
    label: str
    items: Tuple[Item, ...]
    max: int
    min: int = 0
    count: str = ""
    no: str = ""
    when: Optional[Condition] = None
    help: str = ""

    def marker(self, block: int) -> str:
        return KATAKANA[block - 1] if block <= len(KATAKANA) else str(block)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    content: Tuple[Any, ...]  # Item | Heading | Repeat | Section
    numbered: bool = True
    when: Optional[Condition] = None
    columns: int = 1  # the compilation lays items out this many to a line (1-1 figures: 2)


Element = Union[Item, Heading, Repeat, Section]


@dataclass(frozen=True)
class FormSpec:
    name: str
    title: str
    sheet: str
    version: str  # changes whenever the declaration changes (template_version in _meta)
    note: str
    sections: Tuple[Section, ...]
    file: str = ""

    # --- lookups (built once per spec) -------------------------------------------------

    def _index(self) -> Dict[str, Any]:
        cached = self.__dict__.get("_cache")
        if cached is None:
            items: Dict[str, Item] = {}
            conditions: Dict[str, Tuple[Condition, ...]] = {}
            repeats: Dict[str, Repeat] = {}
            sections: Dict[str, Section] = {}
            for element, chain in self.walk():
                own = tuple(c.when for c in chain if c.when) + ((element.when,) if getattr(element, "when", None) else ())
                if isinstance(element, Item):
                    items[element.id] = element
                    conditions[element.id] = own
                elif isinstance(element, Repeat):
                    for item in element.items:
                        items[item.id] = item
                        repeats[item.id] = element
                        conditions[item.id] = own + ((item.when,) if item.when else ())
                elif isinstance(element, Section):
                    sections[element.id] = element
            cached = {"items": items, "conditions": conditions, "repeats": repeats, "sections": sections}
            object.__setattr__(self, "_cache", cached)
        return cached

    def walk(self, sections: Optional[Sequence[Section]] = None,
             chain: Tuple[Section, ...] = ()) -> Iterator[Tuple[Element, Tuple[Section, ...]]]:
        """Every element in form order with the sections it sits in (sections themselves too)."""
        for section in self.sections if sections is None else sections:
            yield section, chain
            for element in section.content:
                if isinstance(element, Section):
                    yield from self.walk([element], chain + (section,))
                else:
                    yield element, chain + (section,)

    @property
    def items(self) -> List[Item]:
        """Every item, repeat items included, in form order."""
        return list(self._index()["items"].values())

    def item(self, item_id: str) -> Item:
        return self._index()["items"][item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._index()["items"]

    def conditions(self, item_id: str) -> Tuple[Condition, ...]:
        """Every condition an item applies under: its sections', its group's, its own."""
        return self._index()["conditions"][item_id]

    def repeat_of(self, item_id: str) -> Optional[Repeat]:
        return self._index()["repeats"].get(item_id)

    @property
    def repeats(self) -> List[Repeat]:
        return list({r.id: r for r in self._index()["repeats"].values()}.values())

    def specifiers(self, item_id: str) -> List[Item]:
        """Items that specify an option of ``item_id`` (その他 → 具体的に)."""
        return [i for i in self.items if i.specify and i.specify.item == item_id]

    @property
    def prefilled(self) -> List[Item]:
        return [i for i in self.items if i.prefill]

    @property
    def code_item(self) -> Optional[Item]:
        """The item where the respondent's 団体コード is written, if the form has one."""
        return next((i for i in self.items if i.type == "code"), None)


# ---------------------------------------------------------------------------
# loading and checking a declaration


def _where(file: str, what: str) -> str:
    return f"{file}: {what}"


def _condition(raw: Any, file: str, what: str) -> Optional[Condition]:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or "item" not in raw or not ({"is", "has"} & set(raw)):
        raise SpecError(_where(file, f"{what}の when は「item: 項目ID」と「is: 選択肢」（複数選択は has:）で書いてください。"))
    values = raw.get("is", raw.get("has"))
    values = tuple(str(v) for v in (values if isinstance(values, list) else [values]))
    return Condition(str(raw["item"]), values)


_ITEM_KEYS = ("id", "label", "type", "marker", "unit", "required", "help", "options", "synonyms", "when", "specify",
              "lines", "prefill", "total", "summary", "unit_item")


def _item(raw: Mapping[str, Any], file: str) -> Item:
    what = f"項目「{raw.get('id', '?')}」"
    unknown = sorted(set(raw) - set(_ITEM_KEYS))
    if unknown:
        raise SpecError(_where(file, f"{what}のキー {'、'.join(unknown)} は使えません。使えるのは {'、'.join(_ITEM_KEYS)} です。"))
    if not raw.get("id") or not raw.get("label"):
        raise SpecError(_where(file, f"{what}に id と label が必要です。"))
    word = str(raw.get("type", "文章"))
    if word not in TYPE_WORDS:
        raise SpecError(_where(file, f"{what}の type「{word}」は使えません。{'、'.join(TYPE_WORDS)} のどれかにしてください。"))
    options = []
    for option in raw.get("options") or ():
        if isinstance(option, Mapping):
            options.append(Option(str(option["value"]), bool(option.get("exclusive", False)), str(option.get("help", ""))))
        else:
            options.append(Option(str(option)))
    kind = TYPE_WORDS[word]
    if (kind in CHOICE_TYPES) != bool(options):
        raise SpecError(_where(file, f"{what}：options（選択肢）は 選択・複数選択 の項目にだけ、必ず書いてください。"))
    if any(o.exclusive for o in options) and kind != "multi":
        raise SpecError(_where(file, f"{what}：exclusive は複数選択の選択肢にだけ使えます。"))
    total = str(raw.get("total", "") or "")
    if total not in TOTALS or (total and kind not in NUMERIC):
        raise SpecError(_where(file, f"{what}の total は数値の項目に sum か mean で書いてください。"))
    specify = _condition(raw.get("specify"), file, what) if raw.get("specify") else None
    return Item(
        id=str(raw["id"]), label=str(raw["label"]), type=kind, no=str(raw.get("marker", "")), unit=str(raw.get("unit", "")),
        required=bool(raw.get("required", False)), help=str(raw.get("help", "")).strip(), options=tuple(options),
        synonyms={str(k): tuple(str(x) for x in v) for k, v in (raw.get("synonyms") or {}).items()},
        when=_condition(raw.get("when"), file, what), specify=specify, lines=int(raw.get("lines", 1)),
        prefill=str(raw.get("prefill", "")), total=total, summary=bool(raw.get("summary", False)),
        unit_item=str(raw.get("unit_item", "")),
    )


def _element(raw: Mapping[str, Any], file: str) -> Element:
    if "heading" in raw:
        return Heading(str(raw["heading"]), str(raw.get("marker", "")), _condition(raw.get("when"), file, "見出し"))
    if "repeat" in raw:
        body = raw["repeat"]
        what = f"繰返し「{body.get('id', '?')}」"
        items = tuple(_item(i, file) for i in body.get("items") or ())
        maximum, minimum = int(body.get("max", 0)), int(body.get("min", 0))
        if not items or maximum < 1 or not 0 <= minimum <= maximum:
            raise SpecError(_where(file, f"{what}には items と、1 以上の max（min は 0 以上 max 以下）が必要です。"))
        if any(i.prefill for i in items):
            raise SpecError(_where(file, f"{what}の項目には prefill を使えません。"))
        return Repeat(str(body["id"]), str(body.get("label", "")), items, maximum, minimum, str(body.get("count", "")),
                      str(body.get("marker", "")), _condition(body.get("when"), file, what), str(body.get("help", "")))
    if "section" in raw:
        return _section(raw, file)
    return _item(raw, file)


def _section(raw: Mapping[str, Any], file: str) -> Section:
    title = str(raw.get("section") or "")
    if not title or not raw.get("id"):
        raise SpecError(_where(file, f"節「{title or '?'}」に id と section（見出し）が必要です。"))
    content = tuple(_element(e, file) for e in raw.get("content") or ())
    return Section(str(raw["id"]), title, content, bool(raw.get("numbered", True)),
                   _condition(raw.get("when"), file, f"節「{title}」"), int(raw.get("columns", 1)))


def _check(spec: FormSpec) -> None:
    """Ids unique; every condition and specify names a choice item and one of its options."""
    _check_ids(spec)
    _check_unit_items(spec)
    for element, _ in spec.walk():
        for condition in _conditions_of(element):
            _check_condition(spec, condition)


def _check_ids(spec: FormSpec) -> None:
    """Every id (items, repeat groups and their items, sections) once, in ASCII letters, digits and _."""
    seen: Dict[str, str] = {}
    for element, _ in spec.walk():
        ids = [element.id] if isinstance(element, (Item, Repeat, Section)) else []
        if isinstance(element, Repeat):
            ids += [i.id for i in element.items]
        for identifier in ids:
            if identifier in seen:
                raise SpecError(_where(spec.file, f"id「{identifier}」が重複しています。"))
            seen[identifier] = identifier
            if not identifier.replace("_", "").isalnum() or not identifier.isascii():
                raise SpecError(_where(spec.file, f"id「{identifier}」には半角英数字と _ だけを使ってください。"))


def _check_unit_items(spec: FormSpec) -> None:
    for item in spec.items:
        if item.unit_item and (not spec.has_item(item.unit_item) or spec.item(item.unit_item).type != "choice"):
            raise SpecError(_where(spec.file, f"項目「{item.id}」の unit_item「{item.unit_item}」は選択の項目ではありません。"))


def _conditions_of(element: Element) -> List[Optional[Condition]]:
    """The when (and specify) of an element; a repeat group's include its items' (None where absent)."""
    conditions = [getattr(element, "when", None)]
    if isinstance(element, Item):
        conditions.append(element.specify)
    if isinstance(element, Repeat):
        conditions += [i.when for i in element.items] + [i.specify for i in element.items]
    return conditions


def _check_condition(spec: FormSpec, condition: Optional[Condition]) -> None:
    """A condition names a choice item outside any repeat group, and only its options."""
    if condition is None:
        return
    if not spec.has_item(condition.item) or spec.item(condition.item).type not in CHOICE_TYPES:
        raise SpecError(_where(spec.file, f"条件が参照する「{condition.item}」は、選択か複数選択の項目ではありません。"))
    if spec.repeat_of(condition.item):
        raise SpecError(_where(spec.file, f"条件に繰返しの中の項目「{condition.item}」は使えません。"))
    unknown = [v for v in condition.values if v not in spec.item(condition.item).option_values]
    if unknown:
        raise SpecError(_where(spec.file, f"条件の選択肢「{'、'.join(unknown)}」は「{condition.item}」の options にありません。"))


def _parse(data: Any, file: str) -> FormSpec:
    if not isinstance(data, Mapping) or not data.get("name") or not data.get("sections"):
        raise SpecError(_where(file, "name（様式名）と sections（節の一覧）が必要です。"))
    sections = tuple(_section(s, file) for s in data["sections"])
    version = "f" + hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
                                   ).hexdigest()[:10]
    spec = FormSpec(str(data["name"]), str(data.get("title", data["name"])), str(data.get("sheet", "調査票")), version,
                    str(data.get("note", "")).strip(), sections, file)
    _check(spec)
    return spec


def _folders() -> List[str]:
    """Where form templates are looked for: WELFARE_WORKBOOK_TEMPLATES first, then the bundled ones."""
    folder = os.environ.get(TEMPLATES_ENV, "")
    return [folder, ""] if folder else [""]


def _read(name: str, folder: str) -> Optional[str]:
    filename = f"{FORM_PREFIX}{name}.yaml"
    if folder:
        path = Path(folder) / filename
        return path.read_text(encoding="utf-8") if path.is_file() else None
    resource = resources.files("welfare_workbook.templates").joinpath(filename)
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def load_form_spec(name: str) -> FormSpec:
    """The form spec ``name`` (templates/form_<name>.yaml), or one given as a path to a .yaml file.

    Raises :class:`~welfare_workbook.spec.SpecError` (Japanese, naming the file) when it
    cannot be found or is malformed.
    """
    return _load(name, os.environ.get(TEMPLATES_ENV, ""))


@lru_cache(maxsize=None)
def _load(name: str, env: str) -> FormSpec:
    if name.endswith((".yaml", ".yml")) and Path(name).is_file():
        text, shown = Path(name).read_text(encoding="utf-8"), name
    else:
        found = [(t, f) for f in _folders() for t in [_read(name, f)] if t is not None]
        if not found:
            raise SpecError(f"様式「{name}」が見つかりません。templates/{FORM_PREFIX}{name}.yaml を置くか、"
                            f"使える様式（{'、'.join(available_forms()) or 'なし'}）から選んでください。")
        text, folder = found[0]
        shown = str(Path(folder) / f"{FORM_PREFIX}{name}.yaml") if folder else f"templates/{FORM_PREFIX}{name}.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{shown}: YAML として読めません（{exc}）。") from exc
    return _parse(data, shown)


def available_forms() -> List[str]:
    """Names of the form specs that can be used (bundled and WELFARE_WORKBOOK_TEMPLATES)."""
    names = set()
    for folder in _folders():
        if folder:
            paths = [p.name for p in Path(folder).glob(f"{FORM_PREFIX}*.yaml")]
        else:
            paths = [p.name for p in resources.files("welfare_workbook.templates").iterdir()
                     if p.name.startswith(FORM_PREFIX) and p.name.endswith(".yaml")]
        names.update(p[len(FORM_PREFIX):-len(".yaml")] for p in paths)
    return sorted(names)


def clear_form_caches() -> None:
    _load.cache_clear()
