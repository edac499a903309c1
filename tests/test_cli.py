"""The command line speaks Japanese: click's own messages, help, Ctrl-C and internal errors.

Every test runs the real command (CliRunner in-process, or ``python -m welfare_workbook``
as a process); nothing of click is replaced. Assertions look for exit codes and the
key Japanese words, not whole paragraphs.
"""

from __future__ import annotations

import inspect
import io
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click
import pytest
from click.testing import CliRunner, Result

from collect_helpers import fill
from helpers import SAMPLE_MASTER_ARGS
from welfare_workbook import guard as collect_module
from welfare_workbook import mail as mail_module
from welfare_workbook.cli import DEBUG_ENVVAR, cli
from welfare_workbook.clickja import JaCommand, confirm, display_width
from welfare_workbook.master import SAMPLES, Master

ENGLISH = ("Usage:", "Options:", "Commands:", "Show this message", "Aborted", "Try '", "default:", "required]",
           "Missing", "Invalid value", "No such", "Got unexpected")


def english_in(text: str) -> List[str]:
    """click's English words found in ``text`` (``Error:`` only at a line start: RuntimeError: is ours)."""
    found = [word for word in ENGLISH if word in text]
    return found + (["Error:"] if re.search(r"^Error:", text, re.M) else [])
TEMP_NAME = re.compile(r"^\.~.*\.tmp$")


def invoke(*args: Any, input: Optional[str] = None, env: Optional[Dict[str, str]] = None) -> Result:
    """``welfare-workbook ARGS`` in-process, stdout and stderr kept apart (click 8.1 needs mix_stderr=False)."""
    separate = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters else {}
    runner = CliRunner(**separate)
    return runner.invoke(cli, [str(a) for a in args], input=input, env=env, prog_name="welfare-workbook",
                         catch_exceptions=False)


def assert_japanese_error(result: Result, code: int, *words: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert english_in(result.stderr) == [], result.stderr
    assert "Traceback" not in result.stderr


def files_under(folder: Path) -> List[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ---------------------------------------------------------------------------
# click's own messages


def test_unknown_command_suggests_the_near_one() -> None:
    result = invoke("colect")
    assert_japanese_error(result, 2, "「colect」というコマンドはありません", "もしかして「collect」ですか",
                          "welfare-workbook --help")
    assert result.stdout == ""


def test_unknown_command_without_a_near_one() -> None:
    result = invoke("hello")
    assert_japanese_error(result, 2, "「hello」というコマンドはありません", "--help")
    assert "もしかして" not in result.stderr


def test_missing_option() -> None:
    assert_japanese_error(invoke("report", *SAMPLE_MASTER_ARGS), 2, "--answers", "指定されていません",
                          "welfare-workbook report --help")


def test_missing_argument() -> None:
    assert_japanese_error(invoke("collect", *SAMPLE_MASTER_ARGS), 2, "提出された調査票", "RETURNS", "指定してください")
    assert_japanese_error(invoke("mail", *SAMPLE_MASTER_ARGS), 2, "メールの種類", "配布|督促|差戻し")


@pytest.mark.parametrize("value, words", [
    ("x", ("「x」は数値ではありません", "半角")),
    ("0", ("「0」は使えません", "0 より大きい")),
    ("nan", ("「nan」は数値ではありません",)),
], ids=["text", "zero", "nan"])
def test_bad_value(tmp_path: Path, value: str, words: Tuple[str, ...]) -> None:
    result = invoke("collect", tmp_path, *SAMPLE_MASTER_ARGS, "--max-mb", value, "--out", tmp_path / "out")
    assert_japanese_error(result, 2, "--max-mb", *words)
    assert not (tmp_path / "out").exists()


def test_full_width_digits_are_a_number(sample_master: Master, workbook_of: Dict[str, Any], tmp_path: Path) -> None:
    fill(sample_master, workbook_of["K08"], tmp_path / "returns")
    result = invoke("collect", tmp_path / "returns", *SAMPLE_MASTER_ARGS, "--max-mb", "０．０１",
                    "--out", tmp_path / "out", "--json")
    assert result.exit_code == 1
    assert "file_too_large" in result.stdout


def test_bad_choice() -> None:
    result = invoke("mail", "foo", *SAMPLE_MASTER_ARGS)
    assert_japanese_error(result, 2, "「foo」は使えません", "「配布」「督促」「差戻し」")
    result = invoke("init-master", "m.xlsx", "--sample", "dai9")
    assert_japanese_error(result, 2, "--sample", "「dai9」は使えません", "「dai3ji」「dai2ji_chukan」")


def test_unknown_option_suggests_the_near_one(tmp_path: Path) -> None:
    result = invoke("collect", tmp_path, "--maxmb", "3")
    assert_japanese_error(result, 2, "「--maxmb」というオプションはありません", "もしかして「--max-mb」ですか")


@pytest.mark.parametrize("args, words", [
    (("check-master", "extra"), ("余分な引数「extra」",)),
    (("check-master", "--json=1"), ("--json は値をとりません",)),
    (("check-master", "--master"), ("--master の後に値を指定してください",)),
], ids=["extra-argument", "flag-with-value", "option-without-value"])
def test_other_usage_errors(args: Tuple[str, ...], words: Tuple[str, ...]) -> None:
    assert_japanese_error(invoke(*args), 2, *words, "使い方:")


def test_an_existing_file_given_as_the_output_folder(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x", encoding="utf-8")
    result = invoke("generate", *SAMPLE_MASTER_ARGS, "--out", tmp_path / "out")
    assert_japanese_error(result, 2, "--out", "ファイルです。フォルダを指定してください")


def test_every_missing_path_is_named_at_once(tmp_path: Path) -> None:
    result = invoke("collect", tmp_path / "ない1", tmp_path / "ない2", *SAMPLE_MASTER_ARGS, "--out", tmp_path / "o")
    assert_japanese_error(result, 2, "ない1", "ない2", "見つかりません")
    assert result.stderr.count("エラー: ") == 2
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------------------
# help


def test_help_of_every_command_is_japanese() -> None:
    for args in [()] + [(name,) for name in cli.commands]:
        for flag in ("--help", "-h"):
            result = invoke(*args, flag)
            assert result.exit_code == 0, (args, result.stderr)
            assert "使い方" in result.stdout and "オプション" in result.stdout, args
            assert "この説明を表示して終了する" in result.stdout, args
            assert english_in(result.stdout) == [], (args, result.stdout)
            # wrapped by display width: a full-width character takes two of the 80 columns
            assert max(display_width(line) for line in result.stdout.splitlines()) <= 80, (args, result.stdout)


def test_top_level_help_lists_the_commands_and_no_command_shows_it() -> None:
    result = invoke("--help")
    assert "コマンド:" in result.stdout
    assert all(name in result.stdout for name in cli.commands)
    assert "--debug" in result.stdout and DEBUG_ENVVAR in result.stdout
    bare = invoke()
    assert bare.exit_code == 0 and bare.stdout == result.stdout


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert "バージョン" in result.stdout and "version" not in result.stdout


def test_choices_and_defaults_come_from_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "|".join(mail_module.KINDS) in invoke("mail", "--help").stdout
    assert "|".join(SAMPLES) in invoke("init-master", "--help").stdout
    text = invoke("collect", "--help").stdout
    assert f"{collect_module.MAX_CELLS:,}" in text and f"{collect_module.MAX_UNCOMPRESSED // collect_module.MIB}" in text
    monkeypatch.setattr(collect_module, "MAX_CELLS", 4321)
    assert "4,321" in invoke("collect", "--help").stdout


# ---------------------------------------------------------------------------
# no silent sample


def _no_master_cases(tmp_path: Path) -> List[Tuple[str, ...]]:
    answers = tmp_path / "answers.csv"
    answers.write_text("respondent_id,sheet,item_id,field,value\n", encoding="utf-8")
    returns = tmp_path / "returns"
    returns.mkdir()
    out = str(tmp_path / "out")
    return [("check-master",), ("check-master", "--json"), ("generate", "--out", out),
            ("collect", str(returns), "--out", out), ("report", "--answers", str(answers), "--out", out),
            ("rollover", "--answers", str(answers), "--out", str(tmp_path / "R7.xlsx")),
            ("mail", "配布", "--from-dir", str(returns), "--out", out)]


def test_commands_never_fall_back_to_the_sample(tmp_path: Path) -> None:
    for args in _no_master_cases(tmp_path):
        before = files_under(tmp_path)
        result = invoke(*args)
        assert_japanese_error(result, 2, "マスタが指定されていません", "--master", "init-master")
        assert result.stdout == "", args
        assert files_under(tmp_path) == before, args


def test_the_message_names_a_way_that_works(tmp_path: Path) -> None:
    """Doing what the message says (init-master, then --master) gives a working command."""
    assert invoke("init-master", tmp_path / "master.xlsx").exit_code == 0
    result = invoke("check-master", "--master", tmp_path / "master.xlsx")
    assert result.exit_code == 0, result.stderr
    assert "問題はありません" in result.stdout


# ---------------------------------------------------------------------------
# Ctrl-C, end of input, internal errors


@click.command(cls=JaCommand)
def _ask() -> None:
    click.echo("送信します" if confirm("送信しますか？") else "取りやめます")


def _invoke_ask(input: Optional[str]) -> Result:
    separate = {"mix_stderr": False} if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters else {}
    return CliRunner(**separate).invoke(_ask, [], input=input, catch_exceptions=False)


def test_confirmation_is_japanese() -> None:
    result = _invoke_ask("x\nはい\n")
    assert result.exit_code == 0
    assert "y（はい）か n（いいえ）" in result.stderr and "送信します" in result.stdout
    assert "取りやめます" in _invoke_ask("\n").stdout


def _raise(error: BaseException) -> Any:
    def load_master(source: Any) -> Any:
        raise error

    return load_master


def test_keyboard_interrupt_in_a_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("welfare_workbook.master.load_master", _raise(KeyboardInterrupt()))
    assert_japanese_error(invoke("check-master", *SAMPLE_MASTER_ARGS), 130, "中断しました")


def test_internal_error_is_one_japanese_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEBUG_ENVVAR, raising=False)
    monkeypatch.setattr("welfare_workbook.master.load_master", _raise(RuntimeError("想定外")))
    result = invoke("check-master", *SAMPLE_MASTER_ARGS)
    assert_japanese_error(result, 3, "予期しないエラー", "RuntimeError: 想定外", "--debug", DEBUG_ENVVAR)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.delenv(DEBUG_ENVVAR, raising=False)
    monkeypatch.setattr("welfare_workbook.master.load_master", _raise(RuntimeError("想定外")))
    if how == "flag":
        result = invoke("--debug", "check-master", *SAMPLE_MASTER_ARGS)
    else:
        result = invoke("check-master", *SAMPLE_MASTER_ARGS, env={DEBUG_ENVVAR: "1"})
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "load_master" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("エラー: 予期しないエラー")


# ---------------------------------------------------------------------------
# real processes


def _module(*args: Any, encoding: str = "utf-8") -> subprocess.CompletedProcess:
    """``python -m welfare_workbook ARGS`` with no input (stdin closed) and no mail settings from this machine."""
    env = dict(os.environ, PYTHONIOENCODING=encoding)
    for name in (DEBUG_ENVVAR, "WELFARE_SMTP_USER", "WELFARE_SMTP_PASSWORD", "WELFARE_SMTP_PORT"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "welfare_workbook", *[str(a) for a in args]], capture_output=True,
                          stdin=subprocess.DEVNULL, env=env, timeout=120)


def test_unknown_command_in_a_real_process() -> None:
    proc = _module("colect")
    assert proc.returncode == 2
    stderr = proc.stderr.decode("utf-8")
    assert "「colect」というコマンドはありません" in stderr and "もしかして「collect」ですか" in stderr
    assert "Usage" not in stderr and "Traceback" not in stderr
    assert proc.stdout == b""


def test_a_cp932_console_gets_japanese_and_no_crash() -> None:
    """A Japanese Windows console is cp932: what it cannot show is replaced, the rest is Japanese."""
    proc = _module("colect\U0001f600", encoding="cp932")
    assert proc.returncode == 2
    stderr = proc.stderr.decode("cp932")
    assert "というコマンドはありません" in stderr and "Traceback" not in stderr


def test_end_of_input_at_the_send_question_sends_nothing(generated: Any, tmp_path: Path) -> None:
    """No one to answer (input closed): the run stops as interrupted before any connection is made."""
    proc = _module("mail", "配布", *SAMPLE_MASTER_ARGS, "--from-dir", generated.workbooks[0].file.parent,
                   "--out", tmp_path / "mail", "--send", "--from", "jimukyoku@example.jp", "--smtp-host", "127.0.0.1",
                   "--smtp-port", "9")  # nothing listens there: a connection attempt would be an error, not 130
    assert proc.returncode == 130, proc.stderr.decode("utf-8", "replace")
    assert "中断しました" in proc.stderr.decode("utf-8") and b"Traceback" not in proc.stderr
    assert "送信しますか" in proc.stdout.decode("utf-8")
    assert not (tmp_path / "mail" / "送信記録.csv").exists()


def _default_sigint() -> None:
    # a child started from a shell without job control may inherit "ignore SIGINT"
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _read(fd: int, timeout: float) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536) or b"\0"  # macOS: b"" once the other side is closed
    except OSError:  # Linux: EIO once the other side is closed
        return b"\0"


def interrupt(args: Sequence[Any], started: str) -> Tuple[int, str]:
    """Run ``python -m welfare_workbook ARGS`` with stderr on a terminal, press Ctrl-C once ``started`` shows.

    ``started`` is the label of the progress bar, which is drawn only on a terminal
    (hence the pseudo-terminal) and only once the first file is done: the command is
    then well inside its work. Returns the exit code and everything on the terminal.
    """
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # a size, as a real terminal has: tqdm draws nothing on a terminal 0 columns wide
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop(DEBUG_ENVVAR, None)
    proc = subprocess.Popen([sys.executable, "-m", "welfare_workbook", *[str(a) for a in args]],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower, env=env,
                            preexec_fn=_default_sigint)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 300
        while started.encode("utf-8") not in seen and b"\0" not in seen:
            assert time.monotonic() < deadline, seen.decode("utf-8", "replace")
            seen += _read(leader, 1.0)
        proc.send_signal(signal.SIGINT)
        while b"\0" not in seen:
            seen += _read(leader, 60.0) or b"\0"
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return code, seen.replace(b"\0", b"").decode("utf-8", "replace")


def assert_whole_outputs(out: Path) -> None:
    """Only whole files: no temporary file left, every workbook a readable zip, every CSV ends its last line."""
    for path in out.rglob("*"):
        assert not TEMP_NAME.match(path.name), path
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
                assert zf.testzip() is None, path
        elif path.suffix == ".csv":
            assert path.read_bytes().endswith(b"\r\n"), path


posix_only = pytest.mark.skipif(os.name == "nt", reason="Ctrl-C is sent as SIGINT through a pseudo-terminal: POSIX only")


@posix_only
def test_ctrl_c_while_generating(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, terminal = interrupt(["generate", *SAMPLE_MASTER_ARGS, "--out", out], "調査票を作成")
    assert code == 130, terminal
    assert "中断しました" in terminal
    assert "Traceback" not in terminal and "Aborted" not in terminal
    assert list(out.glob("*.xlsx")), "the first workbook was written before the interruption"
    assert_whole_outputs(out)


@posix_only
def test_ctrl_c_while_collecting(sample_master: Master, generated: Any, tmp_path: Path) -> None:
    for wb in generated.workbooks:
        fill(sample_master, wb, tmp_path / "returns")
    out = tmp_path / "out"
    code, terminal = interrupt(["collect", tmp_path / "returns", *SAMPLE_MASTER_ARGS, "--out", out], "提出を読み取り")
    assert code == 130, terminal
    assert "中断しました" in terminal and "Traceback" not in terminal
    assert_whole_outputs(out)


# ---------------------------------------------------------------------------
# mail: the library drafts and sends, the command line talks


def test_run_mail_returns_the_drafts_and_prints_nothing(sample_master: Master, generated: Any, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    from welfare_workbook.mail import MailResult, run_mail

    result = run_mail(sample_master, "haifu", from_dir=generated.workbooks[0].file.parent, out=tmp_path / "mail")
    assert isinstance(result, MailResult) and result.kind == "配布"
    assert [d.respondent_id for d in result.drafts] == [wb.respondent_id for wb in generated.workbooks]
    assert all(d.file is not None and d.file.parent == tmp_path / "mail" for d in result.drafts)
    assert result.index == tmp_path / "mail" / "index.csv" and result.index.exists()
    assert result.sent is None and not result.has_errors and not result.input_missing
    assert capsys.readouterr() == ("", "")


def test_run_mail_reports_problems_as_data(sample_master: Master, tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    """What used to be echoed through callbacks (and crashed the default echo=print) is now returned or raised."""
    from welfare_workbook.mail import MailError, run_mail
    from welfare_workbook.mail_send import SmtpSettings, check_sending

    result = run_mail(sample_master, "配布", from_dir=tmp_path / "ない", out=tmp_path / "mail")
    assert result.input_missing and result.maildir is None and result.drafts == []
    assert not (tmp_path / "mail").exists()
    with pytest.raises(MailError, match="差出人"):
        run_mail(sample_master, "配布", from_dir=tmp_path, out=tmp_path / "mail", sender="だれか")
    with pytest.raises(MailError, match="--smtp-host"):
        check_sending("jimukyoku@example.jp", SmtpSettings())
    assert check_sending("ｊｉｍｕｋｙｏｋｕ＠example.jp", SmtpSettings("127.0.0.1")) == "jimukyoku@example.jp"
    assert capsys.readouterr() == ("", "")


def test_mail_command_without_its_folder_writes_nothing(tmp_path: Path) -> None:
    result = invoke("mail", "督促", *SAMPLE_MASTER_ARGS, "--from-dir", tmp_path, "--out", tmp_path / "mail")
    assert result.exit_code == 2
    assert "collect を実行" in result.stderr
    assert not (tmp_path / "mail").exists()


def test_a_broken_template_is_a_japanese_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in a template's source: key stops the command with the file and key named, no traceback."""
    import shutil

    from welfare_workbook.spec import TEMPLATES_ENV, clear_caches

    folder = tmp_path / "templates"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates", folder)
    path = folder / "chukan_hyoka.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("source: departments", "source: departmnts"),
                    encoding="utf-8")
    monkeypatch.setenv(TEMPLATES_ENV, str(folder))
    clear_caches()
    try:
        result = invoke("generate", *SAMPLE_MASTER_ARGS, "--out", str(tmp_path / "out"))
    finally:
        monkeypatch.delenv(TEMPLATES_ENV)
        clear_caches()
    assert result.exit_code == 2, result.output
    assert "chukan_hyoka.yaml" in result.stderr and "departmnts" in result.stderr
    assert "Traceback" not in result.stderr and "予期しない" not in result.stderr


def test_a_closed_pipe_is_not_an_internal_error(tmp_path: Path) -> None:
    """`welfare-workbook … | head`: when the reader goes away, the command stops quietly."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "welfare_workbook", "init-master", "--help"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # nobody reads: the first write that reaches the pipe fails
    stderr = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) in (0, 1)
    assert "予期しない" not in stderr and "Traceback" not in stderr
