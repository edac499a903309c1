"""Outputs fit a shared folder: new files get the permissions of the process umask
(0o666 less the umask), never the 0600 of a private temporary file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from welfare_workbook.excel import atomic_write

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits (Windows uses ACLs)")


@pytest.fixture()
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_gives_umask_permissions(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "集計表.xlsx"
    atomic_write(target, lambda tmp: tmp.write_bytes(b"data"))
    assert mode(target) == 0o644 and target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == ["集計表.xlsx"]  # no temporary file left


def test_atomic_write_follows_a_group_writable_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        atomic_write(tmp_path / "answers.csv", lambda tmp: tmp.write_bytes(b"x"))
    finally:
        os.umask(old)
    assert mode(tmp_path / "answers.csv") == 0o664


def test_a_folder_that_cannot_be_written_is_said_at_once(tmp_path: Path) -> None:
    from welfare_workbook import journal

    folder = tmp_path / "読み取り専用"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who may write anywhere")
        # unwritable (said at once), not journal_busy (what waiting out the lock would give)
        issues = journal.append(folder, journal.Operation.ACCEPT, respondent_id="K01")
        assert [i.code for i in issues] == ["journal_unwritable"]
    finally:
        folder.chmod(0o755)
