"""記録.csv: exact columns, UTF-8 with BOM, append-only, whole lines under a lock, and
tolerant reading (a hand-edited, re-encoded, foreign or truncated line is reported)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from welfare_workbook import journal
from welfare_workbook.journal import COLUMNS, JOURNAL_FILE, Operation, Row

HEADER = "\ufeff" + ",".join(COLUMNS) + "\r\n"


def rows_of(path: Path) -> list:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_first_append_writes_bom_and_the_exact_header(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    assert journal.append(tmp_path, Operation.ROLLOVER, file="令和7年度/マスタ.xlsx", reason="翌年度") == []
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\r\n")
    header, row = rows_of(path)
    assert tuple(header) == COLUMNS == ("日時", "操作者", "操作", "課ID", "ファイル", "変更前", "変更後", "理由")
    assert row[2:] == ["繰越し", "", "令和7年度/マスタ.xlsx", "", "", "翌年度"]
    assert journal.parse_time(row[0]) is not None and row[1] == journal.current_user() != ""


def test_appends_only_add_lines(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    journal.append(path, Operation.MAIL_REMIND, respondent_id="K02", file="メール/督促/K02.eml")
    before = path.read_bytes()
    journal.append(path, journal.mail_operation("差戻し"), respondent_id="K03", file="メール/差戻し/K03.eml")
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\r\n") == 3
    assert [e.operation for e in journal.read(path).entries] == ["督促メール", "差戻しメール"]


def test_text_survives_formula_guard_commas_and_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    reason = '=HYPERLINK("http://x")、"引用", カンマ\r\n改行'
    journal.append(path, Operation.ACCEPT, respondent_id="K01", file="受付/-1.xlsx", reason=reason)
    raw = rows_of(path)[1]
    assert raw[7].startswith("'=") and raw[4] == "受付/-1.xlsx"  # Excel shows text, never runs it
    entry = journal.read(path).entries[0]
    assert entry.reason == reason.replace("\r\n", " ") and entry.file == "受付/-1.xlsx"
    assert path.read_bytes().count(b"\n") == 2  # one line per row


def test_reading_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    good = "2026-11-30 14:15:02,山田,受付,K01,受付/a.xlsx,C:\\a.xlsx,sha256:ab,"
    lines = [good, "2026-11-30 14:16:00,山田,受付,K01", "昨日,山田,受付,,,,,",
             "2026-11-30 14:17:00,山田,削除,K01,,,,", "", "2026/11/30 14:18,山田,確認,K01,受付/a.xlsx,確認待ち,確認済,"]
    path.write_text(HEADER + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    read = journal.read(path)
    assert [(e.operation, e.line) for e in read.entries] == [("受付", 2), ("確認", 7)]
    assert [(i.code, i.severity) for i in read.issues] == [("journal_bad_line", "warning")] * 3
    assert [i.message.split("の ")[1].split(" ")[0] for i in read.issues] == ["3", "4", "5"]
    assert read.entries[0].sha256 == "ab" and read.writable


def test_truncated_last_line_is_reported_and_the_next_row_starts_clean(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_bytes((HEADER + "2026-11-30 14:15:02,山田,受付,K01,受付/a.xlsx,C:\\a.xlsx,sha2").encode("utf-8"))
    read = journal.read(path)
    assert read.entries == [] and [i.code for i in read.issues] == ["journal_truncated"]
    assert journal.append(path, Operation.ACCEPT, respondent_id="K01") == []
    read = journal.read(path)
    assert [e.operation for e in read.entries] == ["確認"]
    assert [i.code for i in read.issues] == ["journal_bad_line"]  # the cut line, now followed by a line break


def test_a_whole_last_row_without_line_break_is_kept(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    path.write_text(HEADER + "2026-11-30 14:15:02,山田,確認,K01,受付/a.xlsx,確認待ち,確認済,理由", encoding="utf-8")
    read = journal.read(path)
    assert [e.reason for e in read.entries] == ["理由"]
    assert [(i.code, i.severity) for i in read.issues] == [("journal_truncated", "info")]


def test_lines_resaved_in_shift_jis_are_read(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    utf8 = HEADER.encode("utf-8") + "2026-11-30 14:15:02,山田,確認,K01,,確認待ち,確認済,\r\n".encode("utf-8")
    path.write_bytes(utf8 + "2026/11/30 15:00,佐藤,差戻し,K02,,確認待ち,差戻し中,数値の誤り\r\n".encode("cp932"))
    read = journal.read(path)
    assert [(e.user, e.operation, e.reason) for e in read.entries] == [("山田", "確認", ""),
                                                                       ("佐藤", "差戻し", "数値の誤り")]
    assert [(i.code, i.message.count("3 行目")) for i in read.issues] == [("journal_encoding", 1)]


def test_a_foreign_csv_is_reported_and_never_appended_to(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    foreign = "氏名,電話\r\n山田,0000\r\n".encode("utf-8")
    path.write_bytes(foreign)
    read = journal.read(path)
    assert read.entries == [] and not read.writable and [i.code for i in read.issues] == ["journal_foreign"]
    issues = journal.append(path, Operation.ACCEPT, respondent_id="K01")
    assert [i.code for i in issues] == ["journal_foreign"] and "日時・操作者" in issues[0].message
    assert path.read_bytes() == foreign


def test_empty_or_missing_file(tmp_path: Path) -> None:
    missing = journal.read(tmp_path / JOURNAL_FILE)
    assert not missing.exists and [i.code for i in missing.issues] == ["journal_missing"]
    (tmp_path / JOURNAL_FILE).write_bytes(b"\xef\xbb\xbf\r\n")
    assert journal.read(tmp_path / JOURNAL_FILE).issues == []
    journal.append(tmp_path, Operation.ACCEPT, respondent_id="K01")
    assert [e.operation for e in journal.read(tmp_path / JOURNAL_FILE).entries] == ["確認"]


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    lock = Path(str(path) + ".lock")
    lock.write_text("12345@elsewhere")
    old = time.time() - journal.STALE_AFTER - 5
    os.utime(lock, (old, old))
    issues = journal.append(path, Operation.ACCEPT, respondent_id="K01")
    assert [i.code for i in issues] == ["journal_stale_lock"] and not lock.exists()
    assert len(journal.read(path).entries) == 1


def test_a_held_lock_makes_the_append_wait_then_give_up(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    with journal.JournalLock(path):
        started = time.monotonic()
        issues = journal.append(path, Operation.ACCEPT, respondent_id="K01", timeout=0.3)
        assert time.monotonic() - started >= 0.3
    assert [(i.code, i.severity) for i in issues] == [("journal_busy", "error")]
    assert "記録.csv.lock" in issues[0].message and not path.exists()


APPENDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from welfare_workbook import journal
    folder, who, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.005)
    for n in range(40):
        issues = journal.append(folder, journal.Operation.STATE, respondent_id=who, file=f"受付/{who}-{n}.xlsx",
                                before="未提出", after="確認待ち", reason="理由" * 50)
        assert issues == [], issues
""")


def test_two_processes_appending_at_once_leave_whole_lines(tmp_path: Path) -> None:
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path), who, str(go)]) for who in ("K01", "K02")]
    time.sleep(0.5)  # both started and waiting
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    data = (tmp_path / JOURNAL_FILE).read_bytes()
    assert data.count(b"\xef\xbb\xbf") == 1 and data.endswith(b"\r\n")
    read = journal.read(tmp_path / JOURNAL_FILE)
    assert read.issues == [] and len(read.entries) == 80
    for who in ("K01", "K02"):
        assert [e.file for e in read.entries if e.respondent_id == who] == [f"受付/{who}-{n}.xlsx" for n in range(40)]
    assert all(len(row) == len(COLUMNS) for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_row_kinds_are_the_documented_words() -> None:
    assert [op.value for op in Operation] == ["作成", "受付", "状態変更", "確認", "差戻し", "取消", "配布メール",
                                              "督促メール", "差戻しメール", "繰越し"]
    assert {journal.mail_operation(k) for k in ("配布", "督促", "差戻し")} == {
        Operation.MAIL_DISTRIBUTE, Operation.MAIL_REMIND, Operation.MAIL_SENDBACK}


@pytest.mark.parametrize("text", ["2026-11-30 14:15:02", "2026/11/30 14:15", "2026-11-30T14:15:02"])
def test_times_as_written_or_as_excel_resaves_them(text: str) -> None:
    assert journal.parse_time(text) is not None


def test_rows_given_explicitly(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_FILE
    assert journal.append_rows(path, [Row(Operation.ACCEPT, "K01", user="佐藤"),
                                      Row(Operation.REOPEN, "K01", user="佐藤")]) == []
    assert [(e.user, e.operation) for e in journal.read(path).entries] == [("佐藤", "確認"), ("佐藤", "取消")]
