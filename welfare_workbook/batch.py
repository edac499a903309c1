"""Reading a batch of returns: on several cores, and from what earlier runs learned.

Returns are independent until the one validation pass, so they are read in worker
processes (each holds a small chunk at a time, so its memory stays bounded), and
what was learned from each file — the :class:`~.returns.Return` as read and
normalised, and later its validation issues — is kept in a cache folder keyed by
the file's bytes, its name as shown, the master, the limits and the tool and
template versions. A run after one new arrival then reads one file. The cache is
safe to delete; an entry that cannot be read is ignored and rebuilt.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import issues as iss
from ._version import __version__
from .collect import Limits, find_files, pick_current
from .contract import master_fingerprint
from .excel import atomic_write
from .issues import Issue
from .kinds import kind_of
from .master import Master
from .merge import CollectResult
from .returns import Return, ReturnStatus

CACHE_FORMAT = 2  # 2: issues carry their context
CHUNK = 16  # returns a worker reads per task: few enough to keep its memory small, enough to amortise the round trip
Progress = Optional[Callable[[int, int], None]]


class ReturnCache:
    """What earlier runs learned from each returned file, one file per entry in ``folder``."""

    def __init__(self, folder: Path, master: Master, limits: Limits) -> None:
        self.folder = Path(folder)
        salt = "|".join((str(CACHE_FORMAT), __version__, kind_of(master).version(), master_fingerprint(master),
                         str(limits.max_bytes), str(limits.max_cells)))
        self.salt = salt.encode("utf-8")
        self.used: set = set()
        self.notes: List[Issue] = []

    def key(self, path: Path, shown: str) -> Optional[str]:
        """The entry of a file's current bytes, or None when the file cannot be read here
        (the reader will say why)."""
        digest = hashlib.sha256(self.salt + b"\0" + shown.encode("utf-8", "surrogateescape") + b"\0")
        try:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            return None
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def load(self, key: str) -> Optional[Tuple[Return, Optional[List[Issue]]]]:
        """(the return as read, its validation issues if known), or None on a miss."""
        path = self._path(key)
        self.used.add(key)
        if not path.exists():
            return None
        try:
            entry = pickle.loads(path.read_bytes())
            if not (isinstance(entry, tuple) and len(entry) == 3 and entry[0] == CACHE_FORMAT):
                raise ValueError("unknown entry")
            return entry[1], entry[2]
        except Exception:  # noqa: BLE001 — any unreadable entry is rebuilt, never trusted
            if not self.notes:
                self.notes.append(iss.make("cache_rebuilt", file=self.folder.name))
            return None

    def store(self, key: str, ret: Return, validation: Optional[List[Issue]]) -> None:
        data = pickle.dumps((CACHE_FORMAT, ret, validation), protocol=pickle.HIGHEST_PROTOCOL)
        self.used.add(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self._path(key), lambda tmp: tmp.write_bytes(data))
        except OSError:  # a cache that cannot be written only costs time next run
            pass

    def prune(self) -> None:
        """Drop entries this run did not use (files no longer received, older versions)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.pickle"):
            if path.stem not in self.used:
                try:
                    path.unlink()
                except OSError:
                    pass


# ---------------------------------------------------------------------------
# worker processes

_WORKER: Dict[str, Any] = {}


def _init_worker(master_bytes: bytes, limits: Limits) -> None:
    _WORKER["master"] = pickle.loads(master_bytes)
    _WORKER["limits"] = limits


def _read_chunk(files: Sequence[Tuple[str, str]]) -> List[Return]:
    master, limits = _WORKER["master"], _WORKER["limits"]
    return [_read_one(Path(path), shown, master, limits) for path, shown in files]


def _read_one(path: Path, shown: str, master: Master, limits: Optional[Limits]) -> Return:
    return kind_of(master).read(path, shown, master, limits)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def default_workers() -> int:
    """All cores (os.cpu_count), at least one."""
    return max(1, os.cpu_count() or 1)


# ---------------------------------------------------------------------------
# the batch


class Batch:
    """The returns of one run, read from the cache where it can, the rest on ``workers`` processes."""

    def __init__(self, master: Master, limits: Optional[Limits] = None, workers: int = 1,
                 cache_dir: Optional[Path] = None) -> None:
        self.master = master
        self.limits = limits or Limits()
        self.workers = max(1, workers)
        self.cache = ReturnCache(cache_dir, master, self.limits) if cache_dir is not None else None
        self.keys: Dict[int, str] = {}  # id(return) -> its cache entry
        self.validated: Dict[int, List[Issue]] = {}  # id(return) -> validation issues from the cache
        # id(return) -> the return as read, for those read this run: stored once their
        # validation is known (pick_current and validation change the returns themselves)
        self.fresh: Dict[int, Return] = {}
        self.read_count = 0  # files actually read this run (the rest came from the cache)

    def read(self, files: Sequence[Tuple[Path, str]], progress: Progress = None) -> List[Return]:
        """Every file as a Return, in ``files`` order."""
        keys = [self.cache.key(path, shown) if self.cache else None for path, shown in files]
        found: List[Optional[Return]] = [None] * len(files)
        for index, key in enumerate(keys):
            entry = self.cache.load(key) if self.cache and key else None
            if entry is None:
                continue
            ret, validation = entry
            ret.path = files[index][0]
            try:
                ret.mtime = ret.path.stat().st_mtime
            except OSError:
                pass
            found[index] = ret
            if validation is not None:
                self.validated[id(ret)] = validation
        todo = [index for index, ret in enumerate(found) if ret is None]
        self.read_count = len(todo)
        for index, ret in zip(todo, self._read_files([files[i] for i in todo], len(files) - len(todo),
                                                      len(files), progress)):
            found[index] = ret
            if self.cache:
                self.fresh[id(ret)] = _copy_return(ret, ret.issues)
        returns = [ret for ret in found if ret is not None]
        self.keys = {id(ret): key for ret, key in zip(found, keys) if ret is not None and key}
        return returns

    def _read_files(self, files: List[Tuple[Path, str]], done: int, total: int, progress: Progress) -> List[Return]:
        if self.workers == 1 or len(files) < 2 * CHUNK:
            out = []
            for path, shown in files:
                out.append(_read_one(path, shown, self.master, self.limits))
                if progress:
                    progress(done + len(out), total)
            return out
        plain = [(str(path), shown) for path, shown in files]
        master_bytes = pickle.dumps(self.master, protocol=pickle.HIGHEST_PROTOCOL)
        out = []
        with ProcessPoolExecutor(max_workers=self.workers, initializer=_init_worker,
                                 initargs=(master_bytes, self.limits)) as pool:
            for chunk in pool.map(_read_chunk, _chunks(plain, CHUNK)):
                for ret in chunk:  # the worker's Path is rebuilt; keep the caller's (same text)
                    ret.path = Path(ret.path)
                out.extend(chunk)
                if progress:
                    progress(done + len(out), total)
        return out

    def needs_validation(self, returns: Sequence[Return]) -> List[Return]:
        """Of the current returns, those whose validation is not cached; the cached
        validation issues are added to the others (in the order a full run adds them)."""
        todo = []
        for ret in returns:
            cached = self.validated.get(id(ret))
            if cached is None:
                todo.append(ret)
            else:
                ret.issues.extend(cached)
        return todo

    def remember_validation(self, returns: Sequence[Return], before: Dict[int, int]) -> None:
        """Note the issues validation added to each return (stored with it by :meth:`finish`)."""
        for ret in returns:
            self.validated.setdefault(id(ret), ret.issues[before[id(ret)]:])

    def finish(self) -> List[Issue]:
        """Store what was read this run (each file once, with its validation issues when it
        was validated), prune unused entries; notes about the cache (an info line when it
        was rebuilt)."""
        if self.cache is None:
            return []
        for ident, pristine in self.fresh.items():
            key = self.keys.get(ident)
            if key is not None:
                validation = self.validated.get(ident)
                self.cache.store(key, pristine, None if validation is None else list(validation))
        self.cache.prune()
        return list(self.cache.notes)


def _copy_return(ret: Return, issues: List[Issue]) -> Return:
    """``ret`` as it is now, with its own list of ``issues`` (a shallow copy sharing its
    cells, which nothing changes after reading)."""
    copy = Return.__new__(Return)
    copy.__dict__.update(ret.__dict__)
    copy.issues = list(issues)
    return copy


class LongLived:
    """Keeps the cyclic garbage collector off the returns from reading to the last output.

    Reading builds hundreds of thousands of small objects (cells, issues) that form
    no reference cycles and live until the outputs are written; the collector would
    scan all of them at every full collection (a tenth of collect's time). They are
    read with the collector paused, then frozen (``gc.freeze``) until the end, while
    the collector runs as usual for what the writers build. A process that froze
    objects itself is left as it was.
    """

    def __enter__(self) -> "LongLived":
        self.enabled = gc.isenabled()
        self.freeze = gc.get_freeze_count() == 0
        gc.disable()
        return self

    def read(self) -> None:
        """The returns are read: freeze them and let the collector run again."""
        if self.freeze:
            gc.freeze()
        if self.enabled:
            gc.enable()

    def __exit__(self, *exc: Any) -> None:
        if self.freeze:
            gc.unfreeze()
        if self.enabled:
            gc.enable()


def read_all(master: Master, sources: Sequence[Path], progress: Progress = None, limits: Optional[Limits] = None,
             workers: int = 1, cache_dir: Optional[Path] = None, batch: Optional[Batch] = None) -> CollectResult:
    """Find, read, normalise, de-duplicate and validate every return (no output written).

    ``workers`` processes read the files (returns are independent until validation);
    with ``cache_dir``, what was learned from each file is kept there and a file
    already read with the same bytes, master and tool version is not read again. A
    ``batch`` given instead tells afterwards how many files were read.
    """
    with LongLived() as phase:
        return read_batch(master, sources, progress, batch or Batch(master, limits, workers, cache_dir), phase)


def read_batch(master: Master, sources: Sequence[Path], progress: Progress, batch: Batch,
              phase: LongLived) -> CollectResult:
    files, notes = find_files(sources)
    returns = batch.read(files, progress)
    phase.read()
    pick_current(returns)
    current = [r for r in returns if r.status != ReturnStatus.SUPERSEDED and r.readable]
    todo = batch.needs_validation(current)
    before = {id(r): len(r.issues) for r in todo}
    kind = kind_of(master)
    kind.validate(todo, master)
    batch.remember_validation(todo, before)
    for ret in returns:
        ret.status = kind.status(ret)
    notes.extend(batch.finish())
    return CollectResult(returns, kind.roster(master, returns), notes)
