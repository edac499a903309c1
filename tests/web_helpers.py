"""Helpers for the web page tests: a survey folder with generated workbooks and filled
returns (made once per session, copied per test), a logged-in TestClient, and the
real ``serve`` process.

Everything is real: the folder is made by ``init``, the workbooks by ``generate_in``,
the returns by ``simulate_returns`` (the demo's departments, with their mistakes).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765  # the port a TestClient pretends to be on (nothing is bound)
ORIGIN = f"http://127.0.0.1:{PORT}"
STATE_WORDS = {"未提出", "形式違い", "要修正", "確認待ち", "確認済", "差戻し中"}


@dataclass
class Pristine:
    """A survey folder with 調査票/ made and nothing received, and the departments' returns."""

    folder: Path
    returns: Path  # files as the departments sent them (some in 再提出/)

    def files(self) -> List[Path]:
        return sorted(p for p in self.returns.rglob("*.xlsx"))

    def copy(self, target: Path) -> Path:
        shutil.copytree(self.folder, target)
        return target


def generated(folder: Path, sample: str) -> Tuple[Any, Any, Any]:
    """A survey folder made by ``init --sample`` with its workbooks generated: (workspace, master, generated)."""
    from welfare_workbook.folder import generate_in, open_folder
    from welfare_workbook.workspace import init

    assert init(folder, sample=sample).valid
    ws, master, _ = open_folder(folder)
    assert ws is not None and master is not None
    made = generate_in(ws, master)
    assert not made.issues.has_errors
    return ws, master, made


def make_pristine(base: Path) -> Pristine:
    from welfare_workbook.simulate import simulate_returns

    folder = base / "令和6年度 進捗状況調査"
    _, master, made = generated(folder, "dai3ji")
    returns = base / "提出"
    simulate_returns(master, made.workbooks, returns)
    return Pristine(folder, returns)


def client_for(root: Path, **options: Any) -> Any:
    """A TestClient on the page of ``root``, logged in through the token URL."""
    from starlette.testclient import TestClient

    from welfare_workbook.web.app import create_app
    from welfare_workbook.web.config import PageConfig

    config = PageConfig(root, PORT, **options)
    client = TestClient(create_app(config), base_url=ORIGIN)
    client.headers["origin"] = ORIGIN  # as a browser sends on POST; tests of refusals override it
    response = client.get(f"/?token={config.token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    client.config = config  # type: ignore[attr-defined]
    return client


def page_fixtures(make: Callable[[Path], Pristine], name: str) -> Tuple[Any, Any, Any]:
    """The fixtures of a module of page tests: ``pristine`` (made once by ``make``), ``folder``
    (its copy for each test) and ``client`` (logged in to it). Assign them to those names."""

    @pytest.fixture(scope="module")
    def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
        return make(tmp_path_factory.mktemp(name))

    @pytest.fixture()
    def folder(pristine: Pristine, tmp_path: Path) -> Path:
        return pristine.copy(tmp_path / "調査")

    @pytest.fixture()
    def client(folder: Path) -> Iterator[Any]:
        with client_for(folder) as c:
            yield c

    return pristine, folder, client


def settle(client: Any, timeout: float = 180.0) -> None:
    """Wait for the page's background collect (the outputs follow an upload in a process of their own)."""
    assert client.config.collects().wait(timeout), "the collect after the upload did not finish"


def upload(client: Any, paths: List[Path], names: Optional[List[str]] = None, **kw: Any) -> Any:
    names = names or [p.name for p in paths]
    files = [("files", (name, path.read_bytes(), "application/octet-stream")) for name, path in zip(names, paths)]
    return client.post("/receive", files=files, **kw)


def received(client: Any, pristine: Pristine) -> Any:
    """Every return uploaded, and the collect that follows finished."""
    response = upload(client, pristine.files())
    assert response.status_code == 200, response.text
    settle(client)
    return response


ROW = re.compile(r'<tr data-respondent-id="([^"]+)">.*?data-state="([^"]+)"', re.S)


def roster_states(html: str) -> Dict[str, str]:
    """respondent id -> state word, as the roster table shows them."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return dict(ROW.findall(body))


def tree(folder: Path) -> List[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# ---------------------------------------------------------------------------
# the real server


@dataclass
class Served:
    process: subprocess.Popen
    url: str

    @property
    def origin(self) -> str:
        return self.url.split("/?", 1)[0]

    def stop(self, sig: int = signal.SIGTERM) -> Tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return self.process.returncode, out


def start_server(folder: Path, *extra: str) -> Served:
    """``python -m welfare_workbook serve -w folder --port 0 --no-browser``; the URL from its first line."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen([sys.executable, "-m", "welfare_workbook", "serve", "-w", str(folder), "--port", "0",
                                "--no-browser", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               encoding="utf-8", env=env)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"serve printed {line!r}; stderr: {process.stderr.read() if process.stderr else ''}")
    return Served(process, line)


def wait_until(check: Any, timeout: float = 10.0, step: float = 0.1) -> Any:
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)


def iter_pages() -> Iterator[str]:
    yield from ("/", "/receive", "/master", "/forms", "/outputs", "/log", "/rollover", "/respondent/K01")


def multipart(files: List[Tuple[str, bytes]], field: str = "files") -> Tuple[bytes, str]:
    """A multipart/form-data body of ``files`` (name, bytes), as a browser sends it."""
    import secrets

    boundary = "----welfare" + secrets.token_hex(8)
    parts = []
    for name, data in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n").encode("utf-8")
        parts.append(head + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Browser:
    """A plain HTTP client of the real server (urllib, cookies kept), logged in by the URL."""

    def __init__(self, url: str) -> None:
        import http.cookiejar
        import urllib.request

        self.origin = url.split("/?", 1)[0]
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(url, timeout=30).read()

    def get(self, path: str) -> Tuple[int, str]:
        import urllib.error

        try:
            with self.opener.open(self.origin + path, timeout=60) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def upload(self, files: List[Tuple[str, bytes]]) -> Tuple[int, str]:
        import urllib.error
        import urllib.request

        body, kind = multipart(files)
        request = urllib.request.Request(self.origin + "/receive", data=body, method="POST",
                                         headers={"Content-Type": kind, "Origin": self.origin})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")


# ---------------------------------------------------------------------------
# a form survey's folder (seed 003: one form per 団体)

FORM_ERROR = "012068"  # 釧路市: its return leaves a required answer empty (要修正)
FORM_CLEAN = ("132195", "013994")  # 狛江市, 京極町: complete returns (確認待ち)
FORM_BROKEN = "014524"  # 鷹栖町: sends a file that is no workbook (形式違い)
FORM_EMPTIED = "t_goal"  # the answer 釧路市 leaves empty


def make_form_pristine(base: Path) -> Pristine:
    """A form survey's folder (``init --sample form003``) with its forms made, and the 団体'
    returns: two complete, one with a required answer left empty, one unreadable file."""
    from welfare_workbook.form_simulate import fill_form, plan_form_answers

    folder = base / "平成30年度 地域力強化推進事業等 実施状況調査"
    ws, master, _ = generated(folder, "form003")
    returns = base / "提出"
    for code in (FORM_ERROR, *FORM_CLEAN):
        respondent = master.bodies[code]
        answers = plan_form_answers(master, respondent)
        if code == FORM_ERROR:
            answers.pop(FORM_EMPTIED)
        source = next(ws.forms.glob(f"{code}_*.xlsx"))
        fill_form(master, respondent, source, returns / source.name, answers)
    (returns / f"{FORM_BROKEN}_鷹栖町.xlsx").write_bytes(b"not a workbook")
    return Pristine(folder, returns)


def form_cell(folder: Path, code: str, key: str) -> str:
    """The cell of answer ``key`` in 団体 ``code``'s form (C and its row)."""
    from welfare_workbook.form_simulate import rows_by_key
    from welfare_workbook.kinds import load_any_master
    from welfare_workbook.workspace import Workspace

    master, _ = load_any_master(Workspace(folder).master_path)
    return f"C{rows_by_key(master, master.bodies[code])[key].row}"
