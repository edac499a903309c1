"""Identifying a return: which survey and respondent it belongs to.

By the contract's ``_meta`` first, never by file name; a workbook that lost its
``_meta`` is matched by its sheets' content; the file name only adds a warning
when it names another department.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List

from .contract import survey_id
from .master import Master
from .normalize import cell_value
from .returns import Return
from .spec import load_specs, template_version
from .wareki import fiscal_year_label


def identify_by_meta(meta: Dict[str, Any], ret: Return, master: Master) -> bool:
    ret.respondent_id = str(meta.get("respondent_id") or "") or None
    dept = master.departments.get(ret.respondent_id or "")
    ret.respondent = dept.name if dept else str(meta.get("respondent") or "") or None
    year = cell_value(meta.get("fiscal_year"))
    settings = master.settings
    # the same plan's survey of another year (e.g. last year's form reused): the
    # survey name usually carries the year, so the plan identifies the lineage
    same_plan = meta.get("municipality") == settings.municipality and meta.get("plan_name") == settings.plan_name
    if year != settings.fiscal_year and isinstance(year, int) and (same_plan or meta.get("survey_id") == survey_id(
            replace(master, settings=replace(settings, fiscal_year=year)))):
        found = fiscal_year_label(year) if 1989 <= year <= 2200 else str(year)
        ret.add("wrong_year", found=found, expected=master.settings.fiscal_year_label)
        return False
    if meta.get("survey_id") != survey_id(master):  # another survey (whatever its year)
        ret.add("wrong_survey", found=meta.get("survey_name") or meta.get("survey_id"),
                expected=master.settings.survey_name)
        ret.respondent_id = None
        return False
    if not master.is_respondent(ret.respondent_id):
        ret.add("unknown_respondent", value=f"{ret.respondent_id} {ret.respondent or ''}".strip())
        ret.respondent_id = None
        return False
    if meta.get("template_version") != template_version():
        ret.add("old_template", found=meta.get("template_version"))
    return True


def identify_by_content(rows_of: Any, sheet_names: List[str], ret: Return, master: Master) -> bool:
    """A return without _meta: the 回答課 line under each sheet title names the department."""
    names = {d.name: d for d in master.respondents()}
    for sheet in sheet_names:
        if sheet not in load_specs():
            continue
        rows = rows_of(sheet) or []
        line = str(rows[1][0]) if len(rows) > 1 and rows[1] else ""
        match = re.search(r"回答課[：:]\s*(\S+)", line)
        if match and match.group(1) in names:
            dept = names[match.group(1)]
            ret.respondent_id, ret.respondent = dept.id, dept.name
            ret.add("meta_matched_by_content")
            return True
    return False


def check_file_name(ret: Return, master: Master) -> None:
    """Warn when the file name names another department (identification never uses it)."""
    stem = Path(ret.file).stem
    if ret.respondent and ret.respondent in stem:
        return
    named = master.department_names_in(stem)
    if named:
        ret.add("name_mismatch", named=max(named, key=len))
