"""``welfare-workbook serve`` as a real process: the URL on the first line, 127.0.0.1
only, the secret, concurrent uploads, a clean stop on SIGTERM and Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import socket
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import List, Tuple

import pytest

pytest.importorskip("uvicorn")

from web_helpers import Browser, Pristine, make_pristine, roster_states, start_server  # noqa: E402


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    return make_pristine(tmp_path_factory.mktemp("served"))


def test_serve_prints_its_url_first_and_stops_on_sigterm(pristine: Pristine, tmp_path: Path) -> None:
    folder = pristine.copy(tmp_path / "調査")
    served = start_server(folder)
    try:
        assert served.url.startswith("http://127.0.0.1:") and "?token=" in served.url
        port = int(served.origin.rsplit(":", 1)[1])
        # bound to 127.0.0.1 alone: the same port on another local address is not this server
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        try:
            urllib.request.urlopen(served.origin + "/", timeout=10)
            raise AssertionError("a request without the secret was answered")
        except urllib.error.HTTPError as exc:
            assert exc.code == 403
        status, page = Browser(served.url).get("/")
        assert status == 200 and len(roster_states(page)) == 11
    finally:
        code, out = served.stop(signal.SIGTERM)
    assert code == 0 and "ページを止めました。" in out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_stops_it_cleanly(pristine: Pristine, tmp_path: Path) -> None:
    served = start_server(pristine.copy(tmp_path / "調査"))
    assert Browser(served.url).get("/")[0] == 200
    code, out = served.stop(signal.SIGINT)
    assert code in (0, 130) and "止めました" in out


def test_two_uploads_at_once_against_the_real_server(pristine: Pristine, tmp_path: Path) -> None:
    folder = pristine.copy(tmp_path / "調査")
    served = start_server(folder)
    try:
        browser = Browser(served.url)
        files = [(p.name, p.read_bytes()) for p in pristine.files()]
        halves = [files[: len(files) // 2], files[len(files) // 2:]]
        results: List[Tuple[int, str]] = []
        threads = [threading.Thread(target=lambda h=h: results.append(browser.upload(h))) for h in halves]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [code for code, _ in results] == [200, 200]
        assert len(list((folder / "受付").iterdir())) == len(files)
        states = roster_states(browser.get("/")[1])
        assert states["K02"] == "要修正" and states["K05"] == "未提出" and states["K01"] == "確認待ち"
    finally:
        served.stop()


def test_a_port_in_use_is_a_japanese_message(pristine: Pristine, tmp_path: Path) -> None:
    import subprocess

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        port = holder.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "welfare_workbook", "serve", "-w", str(pristine.folder),
                                 "--port", str(port), "--no-browser"], capture_output=True, text=True,
                                encoding="utf-8", timeout=60)
        assert result.returncode == 2 and "使われています" in result.stderr
    finally:
        holder.close()
