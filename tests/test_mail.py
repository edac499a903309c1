"""mail: 配布・督促・差戻し drafts as real .eml files, and sending to a local SMTP server.

Every message is parsed back with Python's ``email`` package. The only server ever
contacted is an aiosmtpd instance this module starts on 127.0.0.1.
"""

from __future__ import annotations

import csv
import email
import email.policy
import shutil
import socket
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from click.testing import CliRunner

from welfare_workbook.cli import cli
from welfare_workbook.generate import GenerateResult
from welfare_workbook.mail import build_messages, render
from welfare_workbook.master import Master, load_master, sample_path, sample_rows, write_master_xlsx
from welfare_workbook.merge import CollectResult
from welfare_workbook.pipeline import collect
from welfare_workbook.simulate import fill_workbook, plan_answers

DEADLINE = "令和7年5月30日（金）"
SURVEY = "令和6年度 進捗状況調査"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SENDER = "jimukyoku@example.jp"
ENV = ("WELFARE_MAIL_FROM", "WELFARE_SMTP_HOST", "WELFARE_SMTP_PORT", "WELFARE_SMTP_USER", "WELFARE_SMTP_PASSWORD")


@pytest.fixture(autouse=True)
def _no_mail_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings of the machine running the tests must not leak in (nor a real server)."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def run(*args: Any, input: Optional[str] = None) -> Any:
    """``welfare-workbook mail ARGS``, with the bundled sample as --master unless ARGS name one."""
    master = [] if "--master" in args else ["--master", sample_path()]
    return CliRunner().invoke(cli, ["mail", *[str(a) for a in [*args[:1], *master, *args[1:]]]], input=input,
                              catch_exceptions=False)


def parse(path: Path) -> Any:
    with open(path, "rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)


def body_of(msg: Any) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def attachments(msg: Any) -> List[Tuple[str, str, bytes]]:
    return [(a.get_filename(), a.get_content_type(), a.get_content()) for a in msg.iter_attachments()]


def read_csv(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def master_copy(tmp_path: Path, change: Dict[str, str]) -> Path:
    """The bundled sample as .xlsx with some departments' メール replaced (課ID -> new value)."""
    rows = sample_rows()
    header = rows["担当課"][0]
    for row in rows["担当課"][1:]:
        if row[0] in change:
            row[header.index("メール")] = change[row[0]]
    path = tmp_path / "master.xlsx"
    write_master_xlsx(rows, path)
    return path


# ---------------------------------------------------------------------------
# a collect result: K05 never answers, K02 types 約100 into an integer indicator


@pytest.fixture(scope="module")
def collected(sample_master: Master, generated: GenerateResult,
              tmp_path_factory: pytest.TempPathFactory) -> Tuple[CollectResult, Path]:
    returns = tmp_path_factory.mktemp("mail_returns")
    out = tmp_path_factory.mktemp("mail_collect")
    for wb in generated.workbooks:
        if wb.respondent_id == "K05":
            continue
        answers = plan_answers(sample_master, wb.respondent_id)
        if wb.respondent_id == "K02":
            key = next(k for k, v in answers.items() if k[0] == "取組状況" and k[2] == "value" and isinstance(v, int))
            answers[key] = "約100"
        fill_workbook(sample_master, wb.respondent_id, wb.file, returns / wb.file.name, answers)
    result = collect(sample_master, [returns], out)
    return result, out


def expected_reminders(result: CollectResult) -> set:
    return {row.department.id for row in result.roster if row.status in ("未提出", "要修正")}


# ---------------------------------------------------------------------------
# 配布


def test_distribute_writes_one_parseable_eml_per_department(generated: GenerateResult, sample_master: Master,
                                                           tmp_path: Path) -> None:
    folder = generated.workbooks[0].file.parent
    out = tmp_path / "mail"
    result = run("配布", "--from-dir", folder, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"{len(generated.workbooks)} 通の下書き" in result.output
    index = read_csv(out / "index.csv")
    assert [r["respondent_id"] for r in index] == [wb.respondent_id for wb in generated.workbooks]
    for wb, row in zip(generated.workbooks, index):
        dept = sample_master.departments[wb.respondent_id]
        path = out / row["file"]
        raw = path.read_bytes()
        head = raw.split(b"\r\n\r\n", 1)[0]
        head.decode("ascii")  # Japanese only as RFC 2047 encoded words
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
        msg = parse(path)
        assert msg["X-Unsent"] == "1"
        assert [a.addr_spec for a in msg["To"].addresses] == [dept.email] == [row["to"]]
        assert msg["To"].addresses[0].display_name == dept.name
        assert msg["Subject"] == row["subject"] == f"【{SURVEY}】調査票の送付について（{dept.name}）"
        body = body_of(msg)
        assert DEADLINE in body and dept.name in body and "鶴ヶ島市 福祉政策課" in body
        assert "{" not in body
        [(name, ctype, data)] = attachments(msg)
        assert name == wb.file.name == row["attachment"]
        assert ctype == XLSX
        assert data == wb.file.read_bytes()
        # the name also as an RFC 2047 parameter of Content-Type, for older mail programs
        part = next(msg.iter_attachments())
        assert part.get_param("name") == wb.file.name
        assert b"filename*0*=utf-8''" in raw and b'name="=?utf-8?b?' in raw


def test_distribute_matches_workbooks_by_meta_not_by_file_name(generated: GenerateResult, sample_master: Master,
                                                              tmp_path: Path) -> None:
    by_id = {wb.respondent_id: wb for wb in generated.workbooks}
    folder = tmp_path / "renamed"
    folder.mkdir()
    # K01's workbook carries K02's file name and the other way round
    shutil.copy(by_id["K01"].file, folder / by_id["K02"].file.name)
    shutil.copy(by_id["K02"].file, folder / by_id["K01"].file.name)
    (folder / "メモ.xlsx").write_bytes(b"not a workbook")
    drafts, issues = build_messages(sample_master, "配布", folder)
    assert [d.respondent_id for d in drafts] == ["K01", "K02"]
    for draft in drafts:
        assert draft.attachment.read_bytes() == by_id[draft.respondent_id].file.read_bytes()
        assert draft.to == [sample_master.departments[draft.respondent_id].email]
    missing = {i.respondent_id for i in issues if i.code == "mail_no_workbook"}
    assert missing == {wb.respondent_id for wb in generated.workbooks} - {"K01", "K02"}


def test_missing_address_is_reported_and_its_old_draft_removed(generated: GenerateResult, tmp_path: Path) -> None:
    folder = generated.workbooks[0].file.parent
    out = tmp_path / "mail"
    assert run("配布", "--from-dir", folder, "--out", out).exit_code == 0
    assert (out / "配布_K03_健康長寿課.eml").exists()
    master = master_copy(tmp_path, {"K03": ""})
    result = run("配布", "--master", master, "--from-dir", folder, "--out", out)
    assert result.exit_code == 1
    # the wording, on purpose: who has no address and where to add it
    assert "健康長寿課（課ID K03）のメールアドレスがない" in result.output
    assert "「担当課」シートの メール 列" in result.output
    assert not (out / "配布_K03_健康長寿課.eml").exists()  # last run's draft would go to the wrong list
    assert len(list(out.glob("*.eml"))) == len(generated.workbooks) - 1
    loaded, _ = load_master(master)
    drafts, issues = build_messages(loaded, "配布", folder)
    assert [(i.code, i.respondent_id) for i in issues] == [("mail_no_address", "K03")]
    assert "K03" not in {d.respondent_id for d in drafts}


def test_unreadable_address_is_reported_and_full_width_is_folded(generated: GenerateResult, tmp_path: Path) -> None:
    master, _ = load_master(master_copy(tmp_path, {"K01": "ｋ０１＠example.jp", "K02": "社協あて"}))
    drafts, issues = build_messages(master, "配布", generated.workbooks[0].file.parent)
    assert drafts[0].respondent_id == "K01" and drafts[0].to == ["k01@example.jp"]
    assert [(i.code, i.respondent_id, i.value) for i in issues] == [("mail_bad_address", "K02", "社協あて")]


def test_oversized_attachment_is_reported(generated: GenerateResult, sample_master: Master, tmp_path: Path) -> None:
    folder = generated.workbooks[0].file.parent
    out = tmp_path / "mail"
    result = run("配布", "--from-dir", folder, "--out", out, "--max-size-mb", "0.001")
    assert result.exit_code == 1
    assert not list(out.glob("*.eml"))
    assert read_csv(out / "index.csv") == []
    drafts, issues = build_messages(sample_master, "配布", folder, max_size_mb=0.001)
    assert drafts == []
    assert {i.code for i in issues} == {"mail_attachment_too_large"}
    assert {i.respondent_id for i in issues} == {wb.respondent_id for wb in generated.workbooks}
    assert {i.context["limit"] for i in issues} == {"0.001 MB"}
    assert {i.context["dept"] for i in issues} == {wb.respondent for wb in generated.workbooks}
    assert all(i.message in result.output for i in issues)


def test_distribute_without_the_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run("配布", "--from-dir", tmp_path / "ない", "--out", tmp_path / "mail")
    assert result.exit_code == 2
    assert "--from-dir" in result.output


# ---------------------------------------------------------------------------
# 督促 and 差戻し from a collect result


def test_remind_picks_exactly_the_missing_and_the_returns_to_fix(collected: Tuple[CollectResult, Path],
                                                                 sample_master: Master, tmp_path: Path) -> None:
    result, out = collected
    assert expected_reminders(result) == {"K02", "K05"}  # the fixture did what it says
    drafts, issues = build_messages(sample_master, "督促", out)
    assert not issues.has_errors, issues.to_list()
    assert {d.respondent_id for d in drafts} == expected_reminders(result)
    mail = tmp_path / "mail"
    cli_result = run("督促", "--from-dir", out, "--out", mail)
    assert cli_result.exit_code == 0, cli_result.output
    index = read_csv(mail / "index.csv")
    assert {r["respondent_id"] for r in index} == expected_reminders(result)
    for row in index:
        msg = parse(mail / row["file"])
        dept = sample_master.departments[row["respondent_id"]]
        assert msg["To"].addresses[0].addr_spec == dept.email
        assert msg["Subject"] == f"【ご提出のお願い】{SURVEY}（{dept.name}）"
        body = body_of(msg)
        assert DEADLINE in body and dept.name in body
        assert attachments(msg) == []
        if dept.id == "K05":
            assert "まだ確認できておりません" in body
        else:
            assert "『約100』は数値ではありません" in body
            assert "直していただきたい箇所（エラー 1 件" in body


def test_sendback_attaches_the_sendback_copy_and_lists_the_fixes(collected: Tuple[CollectResult, Path],
                                                                 sample_master: Master, tmp_path: Path) -> None:
    result, out = collected
    mail = tmp_path / "mail"
    cli_result = run("差戻し", "--from-dir", out, "--out", mail)
    assert cli_result.exit_code == 0, cli_result.output
    [row] = read_csv(mail / "index.csv")
    assert row["respondent_id"] == "K02"
    msg = parse(mail / row["file"])
    assert msg["To"].addresses[0].addr_spec == "k02@example.jp"
    assert msg["Subject"] == f"【修正のお願い】{SURVEY}（社会福祉協議会）"
    copy = Path(result.outputs["sendback:K02"])
    [(name, ctype, data)] = attachments(msg)
    assert (name, ctype) == (copy.name, XLSX)
    assert data == copy.read_bytes()
    body = body_of(msg)
    errors = [i for i in result.issues if i.respondent_id == "K02" and i.severity == "error"]
    assert errors
    for issue in errors:
        assert issue.message in body
    assert DEADLINE in body


def test_sendback_without_its_copy_is_reported(collected: Tuple[CollectResult, Path], sample_master: Master,
                                               tmp_path: Path) -> None:
    _, out = collected
    folder = tmp_path / "回収結果"
    folder.mkdir()
    shutil.copy(out / "issues.json", folder / "issues.json")
    drafts, issues = build_messages(sample_master, "差戻し", folder)
    assert drafts == []
    assert [(i.code, i.respondent_id) for i in issues] == [("mail_no_workbook", "K02")]
    # on the console: the issue once, no "nobody to send back" line, exit 1
    result = run("差戻し", "--from-dir", folder, "--out", tmp_path / "mail")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert sum("社会福祉協議会の差戻しのファイル" in line for line in lines) == 1
    assert "差戻しのファイルを作ってから、もう一度実行してください。" in lines[0]
    assert lines[-1] == "差戻し: 対象の 1 課とも、上の理由で下書きを作成できませんでした。"


def _remind_without(out: Path, tmp_path: Path, name: str, master: Master) -> Tuple[Path, Any]:
    """督促 drafted from a copy of a collect output folder without the file ``name``."""
    folder = tmp_path / "回収結果"
    shutil.copytree(out, folder)
    (folder / name).unlink()
    return folder, build_messages(master, "督促", folder)


def test_mail_reads_the_verdict_from_issues_json_not_the_workbook(collected: Tuple[CollectResult, Path],
                                                                  sample_master: Master, tmp_path: Path) -> None:
    """確認結果.xlsx is for people: without it (only issues.json) the same departments get the same fixes."""
    result, out = collected
    folder, (drafts, issues) = _remind_without(out, tmp_path, "確認結果.xlsx", sample_master)
    assert not issues.has_errors, issues.to_list()
    assert {d.respondent_id for d in drafts} == expected_reminders(result)
    [k02] = [d for d in drafts if d.respondent_id == "K02"]
    assert all(i.message in k02.body for i in result.issues if i.respondent_id == "K02" and i.severity == "error")


def test_a_collect_output_without_issues_json_asks_to_collect_again(collected: Tuple[CollectResult, Path],
                                                                    sample_master: Master, tmp_path: Path) -> None:
    """An older collect's folder (確認結果.xlsx but no issues.json): a clear issue, exit 2, no drafts."""
    folder, (drafts, issues) = _remind_without(collected[1], tmp_path, "issues.json", sample_master)
    assert drafts == [] and [(i.code, i.file) for i in issues] == [("mail_collect_outdated", "issues.json")]
    assert issues.items[0].context["folder"] == str(folder)
    result = run("督促", "--from-dir", folder, "--out", tmp_path / "mail")
    assert result.exit_code == 2
    assert "collect をもう一度実行してください" in result.output  # the wording, on purpose: it says what to do
    assert not list((tmp_path / "mail").glob("*.eml"))


def test_a_broken_issues_json_is_reported(collected: Tuple[CollectResult, Path], sample_master: Master,
                                          tmp_path: Path) -> None:
    _, out = collected
    folder = tmp_path / "回収結果"
    shutil.copytree(out, folder)
    for text in ("{not json", "[]", '{"valid": true}'):
        (folder / "issues.json").write_text(text, encoding="utf-8")
        drafts, issues = build_messages(sample_master, "督促", folder)
        assert drafts == [] and [i.code for i in issues] == ["mail_collect_unreadable"], text


def test_a_collect_result_of_another_survey_is_refused(collected: Tuple[CollectResult, Path],
                                                      tmp_path: Path) -> None:
    _, out = collected
    rows = sample_rows()
    for row in rows["調査設定"]:
        if row[0] == "調査名":
            row[1] = "令和7年度 進捗状況調査"
    write_master_xlsx(rows, tmp_path / "next.xlsx")
    next_master, _ = load_master(tmp_path / "next.xlsx")
    drafts, issues = build_messages(next_master, "督促", out)
    assert drafts == [] and [i.code for i in issues] == ["mail_collect_mismatch"]
    assert issues.items[0].context["survey"] == SURVEY
    assert issues.items[0].context["expected"] == "令和7年度 進捗状況調査"
    result = run("督促", "--master", tmp_path / "next.xlsx", "--from-dir", out, "--out", tmp_path / "mail")
    assert result.exit_code == 2
    assert not list((tmp_path / "mail").glob("*.eml"))


def test_a_workbook_of_another_survey_is_not_attached(generated: GenerateResult, generated_2: GenerateResult,
                                                      sample_master: Master, tmp_path: Path) -> None:
    folder = tmp_path / "調査票"
    folder.mkdir()
    shutil.copy(generated.workbooks[0].file, folder)
    other = generated_2.workbooks[0].file
    shutil.copy(other, folder / generated.workbooks[1].file.name)  # K01 of the 第2次計画, named as this K02
    drafts, issues = build_messages(sample_master, "配布", folder)
    assert [d.respondent_id for d in drafts] == ["K01"]
    assert [(i.code, i.severity) for i in issues if i.file == generated.workbooks[1].file.name] == [
        ("mail_other_survey", "warning")]
    assert ("mail_no_workbook", "K02") in [(i.code, i.respondent_id) for i in issues]


def test_remind_without_a_collect_result_is_a_usage_error(sample_master: Master, tmp_path: Path) -> None:
    result = run("督促", "--from-dir", tmp_path, "--out", tmp_path / "mail")
    assert result.exit_code == 2
    drafts, issues = build_messages(sample_master, "督促", tmp_path)
    assert drafts == [] and [(i.code, i.context["folder"]) for i in issues] == [
        ("mail_no_collect_result", str(tmp_path))]
    assert issues.items[0].message in result.output


# ---------------------------------------------------------------------------
# templates


def test_templates_can_be_replaced(generated: GenerateResult, tmp_path: Path) -> None:
    folder = generated.workbooks[0].file.parent
    templates = tmp_path / "文面"
    templates.mkdir()
    (templates / "mail_haifu.txt").write_text(
        "件名：{課名}様 {調査名}\n\n{担当者} 様\n期限 {提出期限}\n{{そのまま}}\n", encoding="utf-8-sig")
    out = tmp_path / "mail"
    result = run("配布", "--from-dir", folder, "--out", out, "--templates", templates)
    assert result.exit_code == 0, result.output
    msg = parse(out / "配布_K01_福祉政策課.eml")
    assert msg["Subject"] == f"福祉政策課様 {SURVEY}"
    assert body_of(msg) == f"ご担当者 様\n期限 {DEADLINE}\n{{そのまま}}\n"
    (templates / "mail_haifu.txt").write_text("件名: {課長名}\n\n本文\n", encoding="utf-8")
    result = run("配布", "--from-dir", folder, "--out", out, "--templates", templates)
    assert result.exit_code == 2
    assert "{課長名} は使えません" in result.output


def test_render_needs_a_subject_line(sample_master: Master) -> None:
    from welfare_workbook.mail import MailError, template_values

    values = template_values(sample_master, sample_master.departments["K01"])
    with pytest.raises(MailError, match="件名"):
        render(("x.txt", "本文だけ\n"), values)


# ---------------------------------------------------------------------------
# --send, against a local server only


class Collector:
    """aiosmtpd handler keeping every message; recipients in ``refuse`` are rejected."""

    def __init__(self, refuse: Tuple[str, ...] = ()) -> None:
        self.messages: List[Tuple[str, List[str], bytes]] = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def smtp_server():
    """Start a local SMTP server on 127.0.0.1: ``start(handler, **kw) -> port``."""
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    running = []

    def start(handler: Collector, **kwargs: Any) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
        controller.start()
        running.append(controller)
        return port

    yield start
    for controller in running:
        controller.stop()


def send_args(folder: Path, out: Path, port: int, *more: Any) -> List[Any]:
    return ["配布", "--from-dir", folder, "--out", out, "--send", "--from", SENDER,
            "--smtp-host", "127.0.0.1", "--smtp-port", port, *more]


def test_send_delivers_the_drafts(generated: GenerateResult, sample_master: Master, tmp_path: Path,
                                  smtp_server: Any) -> None:
    handler = Collector()
    port = smtp_server(handler)
    folder = generated.workbooks[0].file.parent
    out = tmp_path / "mail"
    result = run(*send_args(folder, out, port, "--no-starttls", "--yes"))
    assert result.exit_code == 0, result.output
    assert f"{len(generated.workbooks)} 通を送信しました" in result.output
    index = read_csv(out / "index.csv")
    assert len(handler.messages) == len(index) == len(generated.workbooks)
    for (mail_from, rcpt, content), row in zip(handler.messages, index):
        sent = email.message_from_bytes(content, policy=email.policy.default)
        draft = parse(out / row["file"])
        assert mail_from == SENDER
        assert rcpt == [row["to"]] == [a.addr_spec for a in sent["To"].addresses]
        assert sent["Subject"] == draft["Subject"] == row["subject"]
        assert sent["From"].addresses[0].addr_spec == SENDER
        assert sent["From"].addresses[0].display_name == "鶴ヶ島市 福祉政策課"
        assert sent["X-Unsent"] is None and draft["X-Unsent"] == "1"
        assert body_of(sent) == body_of(draft)
        assert attachments(sent) == attachments(draft)
        workbook = next(wb for wb in generated.workbooks if wb.respondent_id == row["respondent_id"])
        assert attachments(sent)[0][2] == workbook.file.read_bytes()
    log = read_csv(out / "送信記録.csv")
    assert [(r["to"], r["subject"], r["result"]) for r in log] == [(r["to"], r["subject"], "送信済") for r in index]


def test_send_asks_first_and_lists_the_recipients(generated: GenerateResult, tmp_path: Path,
                                                  smtp_server: Any) -> None:
    handler = Collector()
    port = smtp_server(handler)
    folder = generated.workbooks[0].file.parent
    result = run(*send_args(folder, tmp_path / "mail", port, "--no-starttls"), input="n\n")
    assert result.exit_code == 1
    assert "k01@example.jp" in result.output and "k11@example.jp" in result.output
    assert "送信を取りやめました" in result.output
    assert handler.messages == []
    assert not (tmp_path / "mail" / "送信記録.csv").exists()
    result = run(*send_args(folder, tmp_path / "mail", port, "--no-starttls"), input="y\n")
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == len(generated.workbooks)


def test_a_refused_recipient_is_an_issue_and_the_others_still_go(generated: GenerateResult, tmp_path: Path,
                                                                 smtp_server: Any) -> None:
    handler = Collector(refuse=("k03@example.jp",))
    port = smtp_server(handler)
    out = tmp_path / "mail"
    result = run(*send_args(generated.workbooks[0].file.parent, out, port, "--no-starttls", "--yes"))
    assert result.exit_code == 1
    assert "k03@example.jp" in result.output and "550" in result.output  # who was refused, and the server's reply
    delivered = {rcpt[0] for _, rcpt, _ in handler.messages}
    assert len(delivered) == len(generated.workbooks) - 1 and "k03@example.jp" not in delivered
    log = {r["to"]: r["result"] for r in read_csv(out / "送信記録.csv")}
    assert log["k03@example.jp"].startswith("失敗") and log["k01@example.jp"] == "送信済"


def test_starttls_is_never_silently_dropped(generated: GenerateResult, tmp_path: Path, smtp_server: Any) -> None:
    handler = Collector()
    port = smtp_server(handler)  # a server without STARTTLS
    out = tmp_path / "mail"
    result = run(*send_args(generated.workbooks[0].file.parent, out, port, "--yes"))
    assert result.exit_code == 1
    assert "STARTTLS" in result.output
    assert handler.messages == []
    assert {r["result"][:3] for r in read_csv(out / "送信記録.csv")} == {"未送信"}


def test_password_comes_from_the_environment_never_an_option(generated: GenerateResult, tmp_path: Path,
                                                            smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.smtp import AuthResult

    logins = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret", handled=False)  # handled=False: reply 535

    handler = Collector()
    port = smtp_server(handler, authenticator=authenticator, auth_require_tls=False)
    assert not any("pass" in opt for param in cli.commands["mail"].params for opt in param.opts)
    monkeypatch.setenv("WELFARE_SMTP_USER", "fukushi")
    monkeypatch.setenv("WELFARE_SMTP_PASSWORD", "s3cret")
    result = run(*send_args(generated.workbooks[0].file.parent, tmp_path / "mail", port, "--no-starttls", "--yes"))
    assert result.exit_code == 0, result.output
    assert logins == [(b"fukushi", b"s3cret")]
    assert len(handler.messages) == len(generated.workbooks)
    monkeypatch.delenv("WELFARE_SMTP_PASSWORD")
    handler.messages.clear()
    result = run(*send_args(generated.workbooks[0].file.parent, tmp_path / "mail2", port, "--no-starttls", "--yes"),
                 input="wrong\n")
    assert result.exit_code == 1
    assert "SMTP のパスワード" in result.output and "wrong" not in result.output
    assert handler.messages == []


def test_send_needs_a_sender_and_a_server(generated: GenerateResult, tmp_path: Path) -> None:
    folder = generated.workbooks[0].file.parent
    result = run("配布", "--from-dir", folder, "--out", tmp_path / "mail", "--send", "--smtp-host", "127.0.0.1")
    assert result.exit_code == 2
    assert "--from" in result.output
    result = run("配布", "--from-dir", folder, "--out", tmp_path / "mail", "--send", "--from", SENDER)
    assert result.exit_code == 2
    assert "--smtp-host" in result.output
    assert not (tmp_path / "mail").exists()
