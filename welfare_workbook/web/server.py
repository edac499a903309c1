"""``welfare-workbook serve``: the page on 127.0.0.1, until Ctrl-C or SIGTERM.

The socket is bound here (127.0.0.1 only, port 0 = any free port) before anything
is printed, so the URL printed as the first line of stdout is already reachable.
uvicorn serves in a thread; the main thread waits and turns Ctrl-C (and SIGTERM
where there is one) into a clean stop, the same on Windows and elsewhere.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
import time
import webbrowser
from typing import Any, Callable, Optional, TextIO

from ..workspace import Workspace
from .app import create_app
from .config import PageConfig

HOST = "127.0.0.1"  # never 0.0.0.0: the page is for the person at this PC
STOPPED = "ページを止めました。"
STARTED = ("調査フォルダ「{folder}」のページを開いています。ブラウザが開かないときは、上のアドレスをブラウザに貼り付けて"
           "ください。このアドレスは起動のたびに変わります。止めるには Ctrl-C を押します。")
PORT_BUSY = "ポート {port} は使われています。--port で別の番号を指定するか、--port 0（空いている番号）にしてください。"


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: a free port). Raises OSError."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sys.platform != "win32":  # on Windows SO_REUSEADDR would let two servers share a port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock


def serve(ws: Workspace, *, port: int = 0, open_browser: bool = True, out: TextIO = sys.stdout,
          opener: Callable[[str], Any] = webbrowser.open) -> int:
    """Serve ``ws`` until stopped; returns the exit code (0 after a clean stop, 2 when the
    port is taken)."""
    import uvicorn

    try:
        sock = bind(port)
    except OSError:
        print(PORT_BUSY.format(port=port), file=sys.stderr, flush=True)
        return 2
    config = PageConfig(ws.root, sock.getsockname()[1])
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                           server_header=False, timeout_graceful_shutdown=5))
    print(config.url, file=out, flush=True)  # the first line: tests and tools read it
    print(STARTED.format(folder=ws.root.name), file=out, flush=True)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), name="welfare-page",
                              daemon=True)
    thread.start()
    threading.Thread(target=warm_up, args=(config,), name="welfare-warm-up", daemon=True).start()
    if open_browser:
        opener(config.url)
    stop = threading.Event()
    previous = _on_sigterm(stop)
    try:
        while thread.is_alive() and not stop.is_set():
            time.sleep(0.2)  # sleep, not join: Ctrl-C interrupts it on Windows too
    except KeyboardInterrupt:
        pass
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        config.collects().close()  # a collect under way finishes its outputs
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    print(STOPPED, file=out, flush=True)
    return 0


def warm_up(config: PageConfig) -> None:
    """Load what reading returns needs (pandas, pandera and its checks) while the person looks
    at the first page, so that the first upload does not wait for it. Never fails the page."""
    with config.work_lock:
        try:
            import pandas
            import pandera.pandas as pa  # as validate imports it

            from .. import batch, status, validate  # noqa: F401

            schema = pa.DataFrameSchema({"x": pa.Column(str)})  # the first validation registers checks
            schema.validate(pandas.DataFrame({"x": ["a"]}))
        except Exception:  # noqa: BLE001 — only a head start: the real call reports any problem
            pass


def _on_sigterm(stop: threading.Event) -> Optional[Any]:
    """SIGTERM sets ``stop`` (only the main thread may install a handler)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda *_: stop.set())
