"""The command bodies of the form survey: what check-master, generate, collect, report,
init-master and demo do when the master is a form master (the CLI dispatches here on the
master's kind). Each returns the exit code; printing is Japanese, as the rest of the CLI.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from typing import TYPE_CHECKING

from . import cli_output as console

if TYPE_CHECKING:  # the library is imported by each command, so --help stays fast
    from .form_master import FormMaster

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

__all__ = ["is_sample", "dispatch_master", "check", "generate", "collect", "print_collect", "report",
           "init_master", "demo"]


def is_sample(name: str) -> bool:
    """True for the name of a bundled form sample (init-master / demo --sample)."""
    from .form_master import FORM_SAMPLES

    return name in FORM_SAMPLES


def _load(source: Path, as_json: bool = False) -> Any:
    """The form master, or the exit code after printing its problems."""
    from .form_master import load_form_master

    master, issues = load_form_master(source)
    if master is None:
        console.print_master_problems(issues, as_json=as_json)
        return EXIT_USAGE if {i.code for i in issues} <= {"master_not_found"} else EXIT_INVALID
    return master


def check(source: Path, as_json: bool) -> int:
    from .form_master import load_form_master

    master, issues = load_form_master(source)
    if as_json:
        console.print_json({"valid": master is not None, "issues": issues.to_list()})
    elif master is None:
        console.print_issues(issues)
        console.echo(f"エラーが {issues.count('error')} 件あります。")
    else:
        console.print_issues(issues)
        console.echo(f"マスタに誤りはありません（フォーム調査「{master.spec.title}」、回答団体 {len(master.bodies)}）。")
    if master is None:
        return EXIT_USAGE if {i.code for i in issues} <= {"master_not_found"} else EXIT_INVALID
    return EXIT_OK


def _generate(master: "FormMaster", out: Path, as_json: bool) -> Any:
    from .form_generate import generate_forms

    result = generate_forms(master, out, progress=console.Progress("調査票を作成", quiet=as_json))
    if as_json:
        console.print_json(result.to_dict())
        return result
    console.print_issues(result.issues)
    console.echo(f"{master.settings.survey_name}: {len(result.workbooks)} 団体分の調査票を {out} に作成しました。")
    for wb in result.workbooks:
        console.echo(f"  {wb.respondent_id}  {wb.respondent}  {wb.file.name}  （回答欄 {wb.items}）")
    return result


def generate(source: Path, out: Path, as_json: bool) -> int:
    master = _load(source, as_json)
    if isinstance(master, int):
        return master
    result = _generate(master, out, as_json)
    return EXIT_INVALID if result.issues.has_errors else EXIT_OK


def print_collect(result: Any) -> None:
    """collect's summary for a form survey: each 団体's status, what to check, the outputs."""
    console.print_collect(result, noun="団体")


def collect(source: Path, returns: Sequence[Path], out: Path, as_json: bool, limits: Any, workers: int = 1) -> int:
    from .form_pipeline import collect_forms

    master = _load(source, as_json)
    if isinstance(master, int):
        return master
    result = collect_forms(master, list(returns), out, limits=limits, workers=workers,
                           progress=console.Progress("提出を読み取り", quiet=as_json))
    console.print_json(result.to_dict()) if as_json else print_collect(result)
    return EXIT_OK if result.valid else EXIT_INVALID


def report(source: Path, answers: Sequence[Path], out: Path) -> int:
    from .form_pipeline import write_form_report

    master = _load(source)
    if isinstance(master, int):
        return master
    result = write_form_report(master, list(answers), out)
    if not result.valid:
        console.print_issues(result.issues, err=True)
        return EXIT_INVALID
    console.echo(f"{len(answers)} つの answers.csv（{result.respondents} 団体）から集計表を作成しました: {result.outputs.get('summary')}")
    if "wide" in result.outputs:
        console.echo(f"回答一覧（1 団体 1 行）: {result.outputs['wide']}")
    return EXIT_OK


def init_master(sample: str, path: Path) -> None:
    from .form_master import write_form_sample

    write_form_sample(sample, path)
    console.echo(f"サンプルマスタ（{sample}）を書き出しました: {path}")


# ---------------------------------------------------------------------------
# demo


def simulate_sample_returns(master: "FormMaster", forms: Dict[str, Path], folder: Path) -> List[str]:
    """The sample's transcribed answers typed into each 団体's form, with the typical mistakes
    of a national return cycle; returns one line per file for the console."""
    from .form_simulate import fill_form, sample_answers

    answers = sample_answers()
    if folder.exists():
        shutil.rmtree(folder)
    lines: List[str] = []
    mistakes = {
        "014524": ("多機関協働事業の節に、実施していないのに記入（注意）", {"t_name": "（記入例）多機関協働の取組"}),
        "013994": ("○の代わりに「レ」と書き、電話番号を空欄のまま提出（情報・エラー）", {"jigyo:2": "レ", "phone": None}),
        "131075": ("団体コードの検査数字を誤って書き換え（エラー）", {"dantai_code": "131076"}),
        "142051": ("相談支援包括化推進員をマスタの人数（2）より多いブロックウに記入（エラー）",
                   {"suishin_career.3": "（3人目）社会福祉士", "suishin_agency.3": "藤沢市社会福祉協議会"}),
    }
    for code, path in forms.items():
        respondent = master.bodies[code]
        typed = dict(answers.get(code, {}))
        note = "転記した回答のとおり"
        if code in mistakes:
            note, changes = mistakes[code]
            for key, value in changes.items():
                if value is None:
                    typed.pop(key, None)
                else:
                    typed[key] = value
        fill_form(master, respondent, path, folder / path.name, typed)
        lines.append(f"  {code}  {respondent.display}: {note}")
    # a municipality that sent back the row-table survey (進捗状況調査) instead of this form
    from .generate import build_workbook  # the demo plays the sender: it may use the writer
    from .master import load_master, sample_path

    row_master, _ = load_master(sample_path())
    if row_master is not None:
        wrong = folder / "進捗状況調査_福祉政策課.xlsx"
        build_workbook(row_master, row_master.respondents()[0]).save(wrong)
        lines.append(f"  -       {wrong.name}: 別の調査（表形式の進捗状況調査）の調査票を誤って提出")
    # last year's form of one 団体
    first = next(iter(forms))
    last_year = dataclasses.replace(master, settings=dataclasses.replace(
        master.settings, fiscal_year=master.settings.fiscal_year - 1))
    from .form_generate import form_book

    book, _ = form_book(last_year, master.bodies[first])
    old = folder / "前年度" / forms[first].name
    old.parent.mkdir(parents=True, exist_ok=True)
    book.save(old)
    lines.append(f"  {first}  前年度/{old.name}: 前年度の調査票を誤って提出")
    return lines


def demo(out: Path, sample: str) -> int:
    from .form_master import form_sample_path
    from .form_pipeline import collect_forms

    master = _load(form_sample_path(sample))
    if isinstance(master, int):
        return master
    generated = _generate(master, out / "調査票", False)
    forms = {w.respondent_id: w.file for w in generated.workbooks}
    console.echo("")
    console.echo("団体の記入を模擬しました（seed 003 から転記した回答に、よくある誤りを加えています）:")
    for line in simulate_sample_returns(master, forms, out / "提出"):
        console.echo(line)
    console.echo("")
    result = collect_forms(master, [out / "提出"], out / "回収結果")
    print_collect(result)
    if "summary" in result.outputs:
        console.echo("")
        console.echo(f"取りまとめ（seed 003 と同じ体裁の団体別ページと一覧）は {result.outputs['summary']} にあります。")
    return EXIT_OK


def dispatch_master(source: Optional[Path]) -> bool:
    """True when the CLI should run the form survey's command for this master."""
    from .form_master import is_form_master

    return source is not None and is_form_master(source)

