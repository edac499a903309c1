"""What one launch of the page knows: its folder, address, secret and limits."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..guard import MAX_UNCOMPRESSED, Limits
from .collector import Collector

TOKEN_PARAM = "token"


@dataclass
class PageConfig:
    """What one launch of the page knows: its folder, address and secret, and its limits."""

    root: Path
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    max_body: int = MAX_UNCOMPRESSED
    limits: Optional[Limits] = None  # collect's limits (None: collect's defaults)
    workers: Optional[int] = None  # collect's reading processes (None: all cores)
    # one piece of work at a time: collect, receive, review … each queue here (collect
    # also locks the folder against other processes; this keeps one process orderly too:
    # reading returns pauses the garbage collector process-wide)
    work_lock: threading.Lock = field(default_factory=threading.Lock)
    collector: Optional[Collector] = None  # made by create_app: brings 回収結果/ up to date after uploads

    def collects(self) -> Collector:
        if self.collector is None:
            self.collector = Collector(self.root, self.limits, self.workers)
        return self.collector

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def cookie(self) -> str:
        return f"welfare_workbook_{self.port}"

    @property
    def url(self) -> str:
        """The address ``serve`` prints and opens: the start page with the secret."""
        return f"{self.origin}/?{TOKEN_PARAM}={self.token}"
