"""A larger master for print tests ("other town") and measuring printed text in a PDF.

``other_town_rows`` builds, from the bundled samples' texts, a plan of 4 基本方針,
12 基本施策, 40 取組, 25 指標 and 15 担当課 with long department names (架空町社会福祉
協議会, 障がい福祉課 …) and years past 令和10年度, the cases that used to print cut.
``pdf_words`` reads every word's box from ``pdftotext -bbox`` (poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

from helpers import master_rows, write_master

DEPARTMENTS = [
    "福祉課", "架空町社会福祉協議会", "高齢者いきいき長寿課", "障がい福祉課", "子ども・子育て支援課",
    "保健センター", "まちづくり協働推進課", "学校教育課", "生涯学習・スポーツ振興課", "秘書広報課",
    "危機管理・防災課", "都市計画課", "商工観光課", "人権・男女共同参画推進室", "地域包括支援センター",
]
POLICIES = ["人と人がつながる地域づくり", "地域生活課題を受けとめ支え合う仕組みづくり",
            "誰もが安心して暮らせるまちづくり", "地域福祉を推進する担い手と基盤づくり"]


def _records(rows: Dict[str, List[List[str]]], sheet: str) -> List[Dict[str, str]]:
    header, *body = rows[sheet]
    return [dict(zip(header, row)) for row in body]


def other_town_rows() -> Dict[str, List[List[str]]]:
    """Master rows (header first, per sheet) of the other town's plan; fiscal year 令和10年度."""
    new, old = master_rows("dai3ji"), master_rows("dai2ji_chukan")
    new_plan, old_plan = _records(new, "計画体系"), _records(old, "計画体系")
    old_actions = _records(old, "取組")
    new_indicators = _records(new, "指標")
    new_results = [r for r in _records(new, "実績") if r["指標No"]]
    old_results = [r for r in _records(old, "実績") if r["取組No"] and r["成果"]]
    rows: Dict[str, List[List[str]]] = {
        "調査設定": [["項目", "値"], ["自治体名", "架空町"],
                 ["計画名", "第2次架空町地域福祉計画・架空町社会福祉協議会地域福祉活動計画"],
                 ["調査名", "令和10年度 進捗状況調査"], ["対象年度", "令和10年度"], ["提出期限", "2029-05-31"],
                 ["事務局", "福祉課"], ["連絡先", "福祉課 地域福祉係 内線 1234 / fukushi@example.jp"],
                 ["対象シート", "取組状況,中間評価,今後の方向性"]],
        "担当課": [["課ID", "課名", "区分", "メール", "担当者"]] + [
            [f"D{n:02d}", name, "関係機関" if "協議会" in name or "センター" in name else "庁内",
             f"d{n:02d}@example.jp", ""] for n, name in enumerate(DEPARTMENTS, start=1)],
        "計画体系": [new["計画体系"][0]],
        "取組": [new["取組"][0]],
        "指標": [new["指標"][0]],
        "実績": [new["実績"][0]],
    }
    names = [p["基本施策"] for p in new_plan] + [p["基本施策"] for p in old_plan]
    visions = [p["めざす姿"] for p in new_plan if p["めざす姿"]]
    measures = []
    for number in range(12):
        policy = number // 3
        measure_id = f"{'ⅠⅡⅢⅣ'[policy]}-{number % 3 + 1}"
        measures.append(measure_id)
        rows["計画体系"].append(["ⅠⅡⅢⅣ"[policy], POLICIES[policy], measure_id, names[number],
                             visions[number % len(visions)]])
    depts = [f"D{n:02d}" for n in range(1, 16)]
    for number in range(1, 41):
        source = old_actions[(number - 1) % len(old_actions)]
        related = ",".join(depts[(number + k) % 15] for k in (3, 7)[: number % 3])
        rows["取組"].append([str(number), measures[(number - 1) * 12 // 40], source["取組名"], source["内容"],
                           depts[number % 15], related, ""])
    for number in range(1, 26):
        source = new_indicators[(number - 1) % len(new_indicators)]
        measure = (number - 1) * 12 // 25
        action = next(int(a[0]) for a in rows["取組"][1:] if a[1] == measures[measure])
        respondents = [depts[number % 15]] + ([depts[(number + 1) % 15]] if number % 4 == 1 else [])
        rows["指標"].append([str(number), measures[measure], source["指標名"], source["単位"], source["型"],
                           ",".join(respondents), str(action), source["現状値"] or "0", "令和5年度",
                           source["目標値"] or "10", "令和11年度"])
        for dept in respondents:
            for year, past in ((2026, new_results[(2 * number) % len(new_results)]),
                               (2027, new_results[(2 * number + 1) % len(new_results)])):
                rows["実績"].append([str(year), str(number), "", dept, past["値"], past["取組内容"], past["成果"],
                                   past["課題"], "", "", ""])
    for action in rows["取組"][1:]:
        for dept in [action[4]] + [d for d in action[5].split(",") if d]:
            for year, offset in ((2026, 0), (2027, 1)):
                past = old_results[(int(action[0]) * 2 + offset) % len(old_results)]
                rows["実績"].append([str(year), "", action[0], dept, "", past["取組内容"], past["成果"], past["課題"],
                                   past["評価"], past["方向性"], past["理由"]])
    return rows


def other_town_master(folder: Path) -> Path:
    """The other town's master written as an .xlsx in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_master(other_town_rows(), folder / "other_town_master.xlsx")


# ---------------------------------------------------------------------------
# PDF measuring


@dataclass(frozen=True)
class Word:
    page: int
    page_width: float
    page_height: float
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def outside(self) -> bool:
        """The box crosses an edge of its page (text cut by the paper)."""
        return self.x0 < 0 or self.y0 < 0 or self.x1 > self.page_width or self.y1 > self.page_height


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">([^<]*)</word>')


def pdf_words(pdf: Path) -> List[Word]:
    """Every word of ``pdf`` with its box in pt (origin top left), page by page."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, encoding="utf-8",
                         check=True).stdout
    words = []
    for number, page in enumerate(_PAGE.finditer(xml), start=1):
        width, height = float(page.group(1)), float(page.group(2))
        for m in _WORD.finditer(page.group(3)):
            words.append(Word(number, width, height, float(m[1]), float(m[2]), float(m[3]), float(m[4]),
                              m[5].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")))
    return words


def convert_to_pdf(sources: Sequence[Path], out_dir: Path, profile_dir: Path, timeout: float = 600) -> List[Path]:
    """Print every workbook to PDF in one LibreOffice run (a private profile keeps parallel runs apart)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice (soffice) is not installed"
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([exe, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, sources)],
                          capture_output=True, text=True, timeout=timeout)
    pdfs = [out_dir / (Path(s).stem + ".pdf") for s in sources]
    missing = [p.name for p in pdfs if not p.exists()]
    assert not missing, f"soffice did not print {missing}: {proc.stdout}\n{proc.stderr}"
    return pdfs
