"""mail for a form survey (one form per 団体): 配布・督促・差戻し drafts as real .eml files.

A survey folder made with the bundled form sample (form003) is generated, some 団体
answer (two of them with errors), the returns are received and collected; every draft
is parsed back with the ``email`` package, and each attachment's ``_meta`` read back.
The same is done outside a folder through the command line (``--master``).
"""

from __future__ import annotations

import email
import email.policy
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from click.testing import CliRunner

from welfare_workbook import folder as survey
from welfare_workbook import workspace
from welfare_workbook.cli import cli
from welfare_workbook.contract import read_meta_file
from welfare_workbook.form_generate import form_book
from welfare_workbook.form_master import FormMaster
from welfare_workbook.form_pipeline import collect_forms
from welfare_workbook.form_simulate import fill_form, plan_form_answers
from welfare_workbook.mail import run_mail
from welfare_workbook.receive import receive
from welfare_workbook.workspace import Workspace

ANSWERED = ("012068", "132195")  # complete, clean answers
TO_FIX = {"131075": {"phone": None}, "142069": {"population": "約100"}}  # 電話番号 empty, 人口 not a number
NOT_SUBMITTED = ("013994", "014524", "090000", "142051")
ENV = ("WELFARE_MAIL_FROM", "WELFARE_SMTP_HOST", "WELFARE_SMTP_PORT", "WELFARE_SMTP_USER", "WELFARE_SMTP_PASSWORD")


@pytest.fixture(autouse=True)
def _no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def answer(master: FormMaster, forms: Path, returns: Path) -> None:
    """The 団体 of ANSWERED and TO_FIX fill in their forms (TO_FIX with their mistakes)."""
    for code in (*ANSWERED, *TO_FIX):
        respondent = master.bodies[code]
        changed = {**plan_form_answers(master, respondent), **TO_FIX.get(code, {})}
        answers = {key: value for key, value in changed.items() if value is not None}  # None: left empty
        source = next(forms.glob(f"{code}_*.xlsx"))
        fill_form(master, respondent, source, returns / source.name, answers)


def stand_in_copies(master: FormMaster, folder: Path, codes: Any) -> None:
    """Copies of other 団体's forms put into 差戻し/ by hand: found by their ``_meta``, not by name."""
    folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        form_book(master, master.bodies[code])[0].save(folder / f"写し{code[-2:]}.xlsx")


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A form survey folder after generate, the returns of four 団体 received and collected."""
    root = tmp_path_factory.mktemp("season") / "調査"
    assert workspace.init(root, sample="form003").valid
    ws, master, issues = survey.open_folder(root)
    assert ws is not None and master is not None and not issues.has_errors
    survey.generate_in(ws, master)
    answer(master, ws.forms, root.parent / "届いたファイル")
    assert len(receive(ws, [root.parent / "届いたファイル"]).received) == len(ANSWERED) + len(TO_FIX)
    survey.collect_in(ws, master)
    return root


@pytest.fixture
def folder(season: Path, tmp_path: Path) -> Any:
    """A fresh copy of the season's folder (mail 差戻し changes the states), with its master."""
    root = tmp_path / "調査"
    shutil.copytree(season, root)
    ws, master, _ = survey.open_folder(root)
    return ws, master


def parse(path: Path) -> Any:
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def body_of(msg: Any) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def attached_meta(msg: Any, tmp_path: Path) -> List[Dict[str, Any]]:
    """The ``_meta`` of each attachment, read from the bytes in the message."""
    found = []
    for n, part in enumerate(msg.iter_attachments()):
        path = tmp_path / f"attachment{n}.xlsx"
        path.write_bytes(part.get_content())
        found.append(read_meta_file(path) or {})
    return found


def without_names(text: str, master: FormMaster) -> str:
    """``text`` without the names that may contain 課 (地域福祉課, a 担当部署 …)."""
    names = [master.settings.secretariat, master.settings.municipality]
    names += [b.department for b in master.bodies.values()]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    return text


def check_drafts(result: Any, master: FormMaster, expected: Any, tmp_path: Path) -> Dict[str, Any]:
    """Each draft goes to the 団体 it names, at its メール, and speaks of 団体 (never 課); by 団体コード."""
    assert sorted(d.respondent_id for d in result.drafts) == sorted(expected)
    messages = {}
    for draft in result.drafts:
        body = master.bodies[draft.respondent_id]
        msg = parse(draft.file)
        assert [a.addr_spec for a in msg["To"].addresses] == [body.email]
        assert body.display in msg["Subject"]
        text = body_of(msg)
        assert text.startswith(f"{body.display}\n{body.department} ご担当者 様\n")
        assert "課" not in without_names(msg["Subject"] + text, master)
        messages[draft.respondent_id] = msg
    return messages


# ---------------------------------------------------------------------------
# in a survey folder


def test_distribution_sends_each_dantai_its_own_form(folder: Any, tmp_path: Path) -> None:
    ws, master = folder
    result = survey.mail_in(ws, master, "配布")
    assert not result.issues.has_errors and result.noun == "団体"
    messages = check_drafts(result, master, master.bodies, tmp_path)
    for code, msg in messages.items():
        metas = attached_meta(msg, tmp_path)
        assert [m["respondent_id"] for m in metas] == [code]  # the form generated for the 団体 addressed
        text = body_of(msg)
        assert "貴団体の調査票を添付します" in text and "平成31年2月28日（木）" in text
        assert "厚生労働省 社会・援護局 地域福祉課です。" in text  # 自治体名 and 事務局, the bureau said once
        assert f"{master.settings.survey_name}を実施します。" in text.replace("\n", "")  # no 計画名: no leading の


def test_reminder_goes_exactly_to_the_dantai_that_have_not_answered(folder: Any, tmp_path: Path) -> None:
    ws, master = folder
    result = survey.mail_in(ws, master, "督促")
    assert not result.issues.has_errors
    messages = check_drafts(result, master, NOT_SUBMITTED, tmp_path)
    for msg in messages.values():
        assert not list(msg.iter_attachments())
        assert "貴団体からのご提出をまだ確認できておりません" in body_of(msg)
    assert {d.status for d in result.drafts} == {"未提出"}


def test_send_back_goes_to_the_dantai_to_fix_with_copy_and_fixes(folder: Any, tmp_path: Path) -> None:
    ws, master = folder
    stand_in_copies(master, ws.results / "差戻し", ANSWERED)  # copies of others are not sent
    result = survey.mail_in(ws, master, "差戻し")
    assert not result.issues.has_errors, result.issues
    messages = check_drafts(result, master, TO_FIX, tmp_path)
    assert {d.respondent_id: d.attachment.name for d in result.drafts} == {  # collect's own copies
        code: f"差戻し_{code}_{master.bodies[code].name}.xlsx" for code in TO_FIX}
    for code, msg in messages.items():
        assert [m["respondent_id"] for m in attached_meta(msg, tmp_path)] == [code]
    phone = body_of(messages["131075"])
    assert "直していただきたい箇所（エラー 1 件・注意 0 件）" in phone and "「電話番号」が未入力です" in phone
    population = body_of(messages["142069"])
    assert "『約100』は数値ではありません" in population and "「調査票」シート C" in population
    states = {r.respondent_id: str(r.state) for r in survey.status(ws).respondents}
    assert {code for code, state in states.items() if state == "差戻し中"} == set(TO_FIX)


def test_send_back_without_the_copies_says_who_is_left_out(folder: Any) -> None:
    ws, master = folder
    shutil.rmtree(ws.results / "差戻し")  # collect's copies deleted by hand
    result = CliRunner().invoke(cli, ["mail", "-w", str(ws.root), "差戻し"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    for code in TO_FIX:  # each 団体 named once, in words that read
        name = master.bodies[code].display
        assert sum(name in line for line in lines) == 1
    assert "差戻しのファイルを作ってから、もう一度実行してください。" in result.output
    assert "ありません。" not in result.output
    assert lines[-1] == "差戻し: 対象の 2 団体とも、上の理由で下書きを作成できませんでした。"
    states = {r.respondent_id: str(r.state) for r in survey.status(ws).respondents}
    assert "差戻し中" not in states.values()


def test_folder_console_speaks_of_dantai(folder: Any) -> None:
    ws, _ = folder
    result = CliRunner().invoke(cli, ["mail", "-w", str(ws.root), "督促"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"督促: {len(NOT_SUBMITTED)} 通の下書きを")
    for code in NOT_SUBMITTED:
        assert f"  {code}  " in result.output
    nobody = CliRunner().invoke(cli, ["mail", "-w", str(ws.root), "差戻し", "--from-dir", str(ws.forms)])
    assert nobody.exit_code == 2  # 調査票/ has no issues.json: a usage error


# ---------------------------------------------------------------------------
# outside a folder: --master and --from-dir


@pytest.fixture(scope="module")
def outside(season: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    """The form master as a file, the generated forms, and a collect of the same returns (no states)."""
    base = tmp_path_factory.mktemp("outside")
    ws = Workspace(season)
    master, _ = ws.load_master()
    assert isinstance(master, FormMaster)
    out = base / "回収結果"
    returns = base / "届いたファイル"
    answer(master, ws.forms, returns)
    collect_forms(master, [returns], out)  # writes the send-back copies
    return {"master": ws.master_path, "forms": ws.forms, "out": out, "base": base}


def run(*args: Any) -> Any:
    return CliRunner().invoke(cli, ["mail", *[str(a) for a in args]], catch_exceptions=False)


@pytest.mark.parametrize("kind, expected", [("配布", None), ("督促", (*NOT_SUBMITTED, *TO_FIX)),
                                            ("差戻し", tuple(TO_FIX))])
def test_with_a_master_outside_a_folder(outside: Dict[str, Path], tmp_path: Path, kind: str,
                                        expected: Optional[tuple]) -> None:
    from welfare_workbook.kinds import load_any_master

    master, _ = load_any_master(outside["master"])
    source = outside["forms"] if kind == "配布" else outside["out"]
    maildir = tmp_path / kind
    result = run(kind, "--master", outside["master"], "--from-dir", source, "--out", maildir)
    assert result.exit_code == 0, result.output
    assert "課" not in without_names(result.output, master)
    drafted = run_mail(master, kind, from_dir=source, out=tmp_path / "again")
    messages = check_drafts(drafted, master, expected or master.bodies, tmp_path)
    assert sorted(p.name for p in maildir.glob("*.eml")) == sorted(d.file.name for d in drafted.drafts)
    if kind == "督促":  # outside a folder the roster's 要修正 get a reminder too, with what to fix
        assert "直していただきたい箇所" in body_of(messages["131075"])
        assert "貴団体からのご提出" in body_of(messages["013994"])
    if kind != "督促":
        for code, msg in messages.items():
            assert [m["respondent_id"] for m in attached_meta(msg, tmp_path)] == [code]


def test_a_dantai_without_an_address_is_reported(outside: Dict[str, Path], tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(outside["master"])
    sheet = wb["回答団体"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if str(row[header.index("団体コード")].value).zfill(6) == "090000":
            row[header.index("メール")].value = None
    master = tmp_path / "master.xlsx"
    wb.save(master)
    result = run("配布", "--master", master, "--from-dir", outside["forms"], "--out", tmp_path / "配布")
    assert result.exit_code == 1, result.output
    assert "[エラー] master.xlsx: 栃木県（団体コード 090000）のメールアドレスがないため" in result.output
    assert "マスタの「回答団体」シートの メール 列に、栃木県の宛先を入力してください。" in result.output
    assert "配布: 7 通の下書きを" in result.output
    assert "ほかの 1 団体は、上の理由で下書きを作成していません。" in result.output
    assert len(list((tmp_path / "配布").glob("*.eml"))) == 7


def test_no_collect_result_is_a_usage_error(outside: Dict[str, Path], tmp_path: Path) -> None:
    result = run("督促", "--master", outside["master"], "--from-dir", tmp_path, "--out", tmp_path / "督促")
    assert result.exit_code == 2
    assert "issues.json」がありません" in result.output and not (tmp_path / "督促").exists()
