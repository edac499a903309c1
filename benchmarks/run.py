"""Benchmark: generate and collect at scale, against a naive pipeline and the physical floor.

    python benchmarks/run.py            # N=1,000 respondents × R=100 rows
    python benchmarks/run.py --quick    # N=100
    python benchmarks/run.py -n 300 -r 50 --json-out results.json
    python benchmarks/run.py --libreoffice 200   # also: 200 returns re-saved by LibreOffice

Builds a synthetic master scaled from the bundled sample (N respondents, R indicator
rows each), generates the workbooks, fills every input cell (fixed seed) and collects
them. In the same run it measures the naive way (openpyxl ``load_workbook`` per file
plus one pandera ``validate`` per file) and the floors (deflate of the generated XML
parts; unzip + inflate of the returns). Each stage runs in a fresh process pinned to
one core, so its time and peak memory (RSS) are its own. Not part of the test suite:
timings live here, never in tests.

The filled returns are saved by openpyxl, which writes text inline. A department's
Excel or LibreOffice writes a shared-strings part instead, which costs every reader
more: ``--libreoffice K`` re-saves the first K returns with LibreOffice and measures
collect, the naive pipeline and the unzip floor on those too.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def peak_rss_mb() -> float:
    try:
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 1024 if sys.platform != "darwin" else rss / 1024 / 1024
    except ImportError:  # Windows: no resource module
        return float("nan")


def synthetic_master(n: int, r: int) -> Any:
    """The bundled sample scaled: n departments, each answering r indicators (取組状況 only)."""
    from welfare_workbook.master import check_raw, raw_sheet

    rows = synthetic_rows(n, r)
    master, issues = check_raw({name: raw_sheet(name, sheet) for name, sheet in rows.items()}, "synthetic")
    if master is None:
        raise SystemExit("synthetic master invalid: " + "; ".join(i.message for i in issues))
    return master


def synthetic_rows(n: int, r: int) -> Dict[str, List[List[str]]]:
    """The rows of :func:`synthetic_master`, sheet by sheet (to write it as a master .xlsx)."""
    from welfare_workbook.master import sample_rows

    rows = sample_rows()
    rows["調査設定"] = [row if row[0] != "対象シート" else ["対象シート", "取組状況"] for row in rows["調査設定"]]
    rows["担当課"] = [rows["担当課"][0]] + [[f"D{i:04d}", f"課{i:04d}", "庁内", "", ""] for i in range(n)]
    header = rows["指標"][0]
    indicators = [header]
    actions = len(rows["取組"]) - 1
    for i in range(r):
        row = rows["指標"][1 + i % 20][:]
        row[header.index("指標No")] = str(i + 1)
        row[header.index("回答課ID")] = ",".join(f"D{j:04d}" for j in range(n))
        row[header.index("関連取組")] = str(i % actions + 1)  # every action measured: no その他の取組
        indicators.append(row)
    rows["指標"] = indicators
    rows["取組"] = [rows["取組"][0]] + [row[:4] + ["D0000", ""] + row[6:] for row in rows["取組"][1:]]
    rows["実績"] = [rows["実績"][0]]
    return rows


# ---------------------------------------------------------------------------
# stages (each runs in its own process; returns a dict of measurements)


def warm_imports() -> None:
    """Import the heavy libraries before timing: start-up is measured on its own (cold start).

    Pandera's first validation also registers its backends (and imports hypothesis when
    it is installed): a tiny validation here keeps that one-off out of every stage.
    """
    import openpyxl  # noqa: F401
    import pandas
    import pandera.pandas as pa
    import python_calamine  # noqa: F401

    pa.DataFrameSchema({"x": pa.Column(str)}).validate(pandas.DataFrame({"x": ["a"]}))


def stage_generate(n: int, r: int, work: str) -> Dict[str, Any]:
    from welfare_workbook.generate import generate

    warm_imports()

    master = synthetic_master(n, r)
    start = time.perf_counter()
    result = generate(master, Path(work) / "generated")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "files": len(result.workbooks), "rss_mb": peak_rss_mb()}


def stage_fill(n: int, r: int, work: str) -> Dict[str, Any]:
    """Set-up, not measured against anything: returns with every input cell filled."""
    from welfare_workbook.contract import layout_for
    from welfare_workbook.generate import build_workbook
    from welfare_workbook.simulate import plan_answers
    from welfare_workbook.spec import load_specs

    master = synthetic_master(n, r)
    out = Path(work) / "returns"
    out.mkdir(parents=True, exist_ok=True)
    specs = load_specs()
    start = time.perf_counter()
    for dept in master.respondents():
        wb = build_workbook(master, dept)
        answers = plan_answers(master, dept.id, seed=1)
        for sheet, rows in layout_for(master, dept.id).items():
            ws, spec = wb[sheet], specs[sheet]
            for row, item, _ in rows:
                for col in spec.input_columns:
                    ws.cell(row, spec.index(col.id), answers[(sheet, item.key, col.id)])
        wb.save(out / f"{dept.id}.xlsx")
    return {"seconds": time.perf_counter() - start, "files": n, "rss_mb": peak_rss_mb()}


def stage_resave(n: int, r: int, work: str, count: int) -> Dict[str, Any]:
    """Set-up: the first ``count`` returns re-saved by LibreOffice (shared strings, as departments send them)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("--libreoffice needs LibreOffice (soffice) on PATH")
    sources = sorted((Path(work) / "returns").glob("*.xlsx"))[:count]
    out = Path(work) / "returns_lo"
    profile = Path(work) / "lo_profile"
    start = time.perf_counter()
    subprocess.run([exe, "--headless", f"-env:UserInstallation={profile.resolve().as_uri()}", "--convert-to", "xlsx",
                    "--outdir", str(out), *map(str, sources)], capture_output=True, check=True)
    files = len(list(out.glob("*.xlsx")))
    if files != len(sources):
        raise SystemExit(f"LibreOffice re-saved {files} of {len(sources)} returns")
    return {"seconds": time.perf_counter() - start, "files": files, "rss_mb": float("nan")}


def stage_collect(n: int, r: int, work: str, folder: str = "returns") -> Dict[str, Any]:
    from welfare_workbook.pipeline import collect

    warm_imports()

    master = synthetic_master(n, r)
    start = time.perf_counter()
    result = collect(master, [Path(work) / folder], Path(work) / f"collected_{folder}")
    seconds = time.perf_counter() - start
    answers = sum(1 for r in result.returns for c in r.cells if c.raw != "")
    return {"seconds": seconds, "files": len(result.returns), "valid": result.valid, "answers": answers,
            "rss_mb": peak_rss_mb()}


def stage_collect_parallel(n: int, r: int, work: str, workers: int = 2) -> Dict[str, Any]:
    """collect with ``workers`` reading processes (this stage is not pinned to one core)."""
    from welfare_workbook.pipeline import collect

    warm_imports()
    master = synthetic_master(n, r)
    start = time.perf_counter()
    result = collect(master, [Path(work) / "returns"], Path(work) / "collected_parallel", workers=workers)
    return {"seconds": time.perf_counter() - start, "files": len(result.returns), "rss_mb": peak_rss_mb()}


def stage_collect_one_new(n: int, r: int, work: str) -> Dict[str, Any]:
    """collect with a cache after one new arrival: the other n-1 returns were collected before
    (set-up, not timed); only the run after the arrival is timed."""
    from welfare_workbook.pipeline import collect

    warm_imports()
    return _one_new(synthetic_master(n, r), collect, work)


def _one_new(master: Any, collect: Callable[..., Any], work: str) -> Dict[str, Any]:
    """The timed collect (either survey's) after one new arrival, the others read into the cache before."""
    inbox, cache = Path(work) / "inbox", Path(work) / "cache"
    inbox.mkdir(exist_ok=True)
    files = sorted((Path(work) / "returns").glob("*.xlsx"))
    for path in files[:-1]:
        shutil.copy2(path, inbox / path.name)
    collect(master, [inbox], Path(work) / "collected_inbox", cache_dir=cache)
    shutil.copy2(files[-1], inbox / files[-1].name)
    start = time.perf_counter()
    result = collect(master, [inbox], Path(work) / "collected_inbox", cache_dir=cache)
    # per file of the whole folder, so that its ratio to a full collect is the ratio of the runs
    return {"seconds": time.perf_counter() - start, "files": len(result.returns), "rss_mb": peak_rss_mb()}


def stage_calamine_read(n: int, r: int, work: str) -> Dict[str, Any]:
    """A bare python-calamine read of the sheets collect reads (_meta and 取組状況) of every return."""
    import python_calamine

    warm_imports()
    start = time.perf_counter()
    files = sorted((Path(work) / "returns").glob("*.xlsx"))
    for path in files:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        for sheet in ("_meta", "取組状況"):
            book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    return {"seconds": time.perf_counter() - start, "files": len(files), "rss_mb": peak_rss_mb()}


def stage_read_validate(n: int, r: int, work: str) -> Dict[str, Any]:
    """collect without writing its outputs: the same work the naive pipeline does."""
    from welfare_workbook.batch import read_all

    warm_imports()

    master = synthetic_master(n, r)
    start = time.perf_counter()
    result = read_all(master, [Path(work) / "returns"])
    seconds = time.perf_counter() - start
    answers = sum(1 for r in result.returns for c in r.cells if c.raw != "")
    return {"seconds": seconds, "files": len(result.returns), "answers": answers, "rss_mb": peak_rss_mb()}


def validate_naively(schema: Any, frame: Any) -> None:
    """One pandera pass on one file's frame, as the naive pipeline does; failures are data."""
    frame["_row"] = range(len(frame))
    try:
        schema.validate(frame, lazy=True)
    except Exception:  # noqa: BLE001 - failures are expected data here
        pass


def stage_naive_collect(n: int, r: int, work: str, folder: str = "returns") -> Dict[str, Any]:
    """The obvious way: openpyxl load per file, one pandera validate per file."""
    import openpyxl
    import pandas as pd

    from welfare_workbook.contract import read_meta  # noqa: F401  (same layout knowledge, read naively)
    from welfare_workbook.spec import load_specs, schema_for

    spec = load_specs()["取組状況"]
    schema = schema_for(spec)
    ids = [c.id for c in spec.input_columns]
    start = time.perf_counter()
    cells = 0
    files = sorted((Path(work) / folder).glob("*.xlsx"))
    for path in files:
        wb = openpyxl.load_workbook(path, data_only=True)
        ws = wb["取組状況"]
        data: Dict[str, List[Any]] = {i: [] for i in ids}
        for row in ws.iter_rows(min_row=5, values_only=True):
            for i in ids:
                value = row[spec.index(i) - 1]
                data[i].append(value)
                cells += value is not None
        frame = pd.DataFrame(data, dtype=object)
        frame["_type"] = "text"
        validate_naively(schema, frame)
    return {"seconds": time.perf_counter() - start, "files": len(files), "answers": cells, "rss_mb": peak_rss_mb()}


def stage_deflate_floor(n: int, r: int, work: str) -> Dict[str, Any]:
    """Deflating the XML parts of the generated workbooks: what any writer must at least do."""
    parts = []
    for path in sorted((Path(work) / "generated").glob("*.xlsx")):
        with zipfile.ZipFile(path) as zf:
            parts.append([zf.read(name) for name in zf.namelist()])
    start = time.perf_counter()
    for workbook in parts:
        for data in workbook:
            zlib.compress(data, 6)
    return {"seconds": time.perf_counter() - start, "files": len(parts), "rss_mb": peak_rss_mb()}


def stage_unzip_floor(n: int, r: int, work: str, folder: str = "returns") -> Dict[str, Any]:
    """Opening and inflating every part of every return: what any reader must at least do."""
    start = time.perf_counter()
    files = 0
    for path in sorted((Path(work) / folder).glob("*.xlsx")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                zf.read(name)
        files += 1
    return {"seconds": time.perf_counter() - start, "files": files, "rss_mb": peak_rss_mb()}


# ---------------------------------------------------------------------------
# form surveys (--form): N synthetic 団体 answering the seed 003 form


def synthetic_form_master(n: int) -> Any:
    """The bundled form003 master widened to ``n`` 団体 with valid 団体コード (check digit included)."""
    from welfare_workbook.form_master import Respondent, check_digit, form_sample_path, load_form_master

    master, _ = load_form_master(form_sample_path())
    rng = random.Random(0)
    programmes = ["地域力強化推進事業", "多機関の協働による包括的支援体制構築事業", "都道府県事業"]
    respondents = {}
    for i in range(n):
        first5 = f"{1 + i % 47:02d}{201 + i // 47:03d}"
        code = first5 + str(check_digit(first5))
        chosen = ",".join(p for p in programmes[:2] if rng.random() < 0.6) or programmes[0]
        values = {"団体コード": code, "都道府県": f"県{1 + i % 47}", "団体名": f"市{i}", "担当部署": "福祉課",
                  "実施事業": chosen, "推進員数": str(rng.randint(0, 4))}
        respondents[code] = Respondent(code, values["都道府県"], values["団体名"], "福祉課", "", values)
    master.bodies = respondents
    return master


def stage_form_generate(n: int, r: int, work: str) -> Dict[str, Any]:
    from welfare_workbook.form_generate import generate_forms

    warm_imports()
    master = synthetic_form_master(n)
    start = time.perf_counter()
    result = generate_forms(master, Path(work) / "generated")
    return {"seconds": time.perf_counter() - start, "files": len(result.workbooks), "rss_mb": peak_rss_mb()}


def stage_form_fill(n: int, r: int, work: str) -> Dict[str, Any]:
    """Set-up: every applying answer cell filled (openpyxl, as a respondent's Excel would)."""
    from welfare_workbook.form_generate import form_filename
    from welfare_workbook.form_simulate import fill_form, plan_form_answers

    master = synthetic_form_master(n)
    start = time.perf_counter()
    for respondent in master.ordered():
        name = form_filename(respondent)
        fill_form(master, respondent, Path(work) / "generated" / name, Path(work) / "returns" / name,
                  plan_form_answers(master, respondent))
    return {"seconds": time.perf_counter() - start, "files": n, "rss_mb": peak_rss_mb()}


def stage_form_collect(n: int, r: int, work: str) -> Dict[str, Any]:
    from welfare_workbook.form_pipeline import collect_forms

    warm_imports()
    import pandera.pandas  # noqa: F401  (imported before the clock starts, as in stage_collect)

    master = synthetic_form_master(n)
    start = time.perf_counter()
    result = collect_forms(master, [Path(work) / "returns"], Path(work) / "collected")
    answers = sum(1 for ret in result.returns for c in ret.cells if c.raw != "")
    return {"seconds": time.perf_counter() - start, "files": len(result.returns), "valid": result.valid,
            "answers": answers, "rss_mb": peak_rss_mb()}


def stage_form_collect_parallel(n: int, r: int, work: str, workers: int = 2) -> Dict[str, Any]:
    """Form collect with ``workers`` reading processes (not pinned to one core)."""
    from welfare_workbook.form_pipeline import collect_forms

    warm_imports()
    master = synthetic_form_master(n)
    start = time.perf_counter()
    result = collect_forms(master, [Path(work) / "returns"], Path(work) / "collected_parallel", workers=workers)
    return {"seconds": time.perf_counter() - start, "files": len(result.returns), "rss_mb": peak_rss_mb()}


def stage_form_collect_one_new(n: int, r: int, work: str) -> Dict[str, Any]:
    """Form collect with the cache after one new arrival (the survey folder's collect)."""
    from welfare_workbook.form_pipeline import collect_forms

    warm_imports()
    return _one_new(synthetic_form_master(n), collect_forms, work)


def stage_form_naive(n: int, r: int, work: str) -> Dict[str, Any]:
    """The obvious way: openpyxl load per file, column C of the form read, one pandera validate per file."""
    import openpyxl
    import pandas as pd

    from welfare_workbook.form_contract import answer_rows, form_layout
    from welfare_workbook.form_validate import form_schema

    master = synthetic_form_master(n)
    schema, _ = form_schema(master)
    keys = [(row.row, row.key) for row in answer_rows(form_layout(master.spec, None, None))]
    start = time.perf_counter()
    cells = 0
    files = sorted((Path(work) / "returns").glob("*.xlsx"))
    for path in files:
        ws = openpyxl.load_workbook(path, data_only=True)[master.spec.sheet]
        data = {key: [ws.cell(row, 3).value] for row, key in keys}
        cells += sum(1 for v in data.values() if v[0] is not None)
        frame = pd.DataFrame(data, dtype=object)
        frame["_respondent"] = path.stem[:6]
        for group in master.spec.repeats:
            frame[f"_blocks:{group.id}"] = group.max
        validate_naively(schema, frame)
    return {"seconds": time.perf_counter() - start, "files": len(files), "answers": cells, "rss_mb": peak_rss_mb()}


def main_form(n: int, work: Path) -> Dict[str, Dict[str, Any]]:
    """Form survey stages; the table compares them with the same floors and naive baseline as the row sheets."""
    results: Dict[str, Dict[str, Any]] = {}
    for name, stage in (("form generate", stage_form_generate), ("deflate floor", stage_deflate_floor),
                        ("(fill forms)", stage_form_fill), ("form collect", stage_form_collect),
                        ("naive form collect", stage_form_naive), ("unzip floor", stage_unzip_floor),
                        ("form collect 2 processes", stage_form_collect_parallel),
                        ("form collect, 1 new", stage_form_collect_one_new)):
        print(f"  {name} …", flush=True)
        results[name] = run_stage(stage, n, 0, str(work))
    return results


WEB_UPLOAD = 30  # returns sent through the page at once (a department-sized day)


class _Page:
    """A client of the running page (urllib; the secret's cookie kept), as a browser would be."""

    def __init__(self, url: str) -> None:
        import http.cookiejar
        import urllib.request

        self.origin = url.split("/?", 1)[0]
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.opener.open(url, timeout=60).read()

    def get(self, path: str) -> str:
        with self.opener.open(self.origin + path, timeout=120) as response:
            return response.read().decode("utf-8")

    def upload(self, files: List[Path]) -> int:
        import secrets
        import urllib.request

        boundary = "----bench" + secrets.token_hex(8)
        body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{p.name}"\r\n'
                        f"Content-Type: application/octet-stream\r\n\r\n".encode() + p.read_bytes() + b"\r\n"
                        for p in files) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.origin + "/receive", data=body, method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": self.origin})
        with self.opener.open(request, timeout=600) as response:
            response.read()
            return response.status


def stage_web(n: int, r: int, work: str) -> Dict[str, Any]:
    """The page (``serve``, one process started once, warm): the roster of a survey folder of n
    respondents (n - 30 returns already received and collected: set-up, not timed), then 30
    returns uploaded at once until the roster shows them. Not pinned: the server is a
    process of its own, as on a secretariat's PC."""
    import re
    import statistics

    from welfare_workbook.folder import collect_in, open_folder
    from welfare_workbook.master import write_master_xlsx
    from welfare_workbook.receive import receive
    from welfare_workbook.workspace import init

    base = Path(work) / "web"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    write_master_xlsx(synthetic_rows(n, r), base / "master.xlsx")
    folder = base / "調査フォルダ"
    made = init(folder, master=base / "master.xlsx")
    if not made.valid:
        raise SystemExit("web: " + "; ".join(i.message for i in made.issues))
    files = sorted((Path(work) / "returns").glob("*.xlsx"))
    kept, sent = files[:-WEB_UPLOAD], files[-WEB_UPLOAD:]
    ws, master, _ = open_folder(folder)
    receive(ws, kept)
    collect_in(ws, master)
    process = subprocess.Popen([sys.executable, "-m", "welfare_workbook", "serve", "-w", str(folder), "--port", "0",
                                "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        page = _Page(process.stdout.readline().strip())  # type: ignore[union-attr]
        rows = re.compile(r'<tr data-respondent-id="([^"]+)">.*?data-state="([^"]+)"', re.S)
        for _ in range(3):  # warm: imports and first reads are not what a user waits for twice
            html = page.get("/")
        assert len(rows.findall(html)) == n, len(rows.findall(html))
        times = []
        for _ in range(10):
            start = time.perf_counter()
            page.get("/")
            times.append(time.perf_counter() - start)
        wanted = {p.stem for p in sent}  # the returns are named by respondent id
        start = time.perf_counter()
        status = page.upload(sent)
        answered = time.perf_counter() - start
        while True:
            states = dict(rows.findall(page.get("/")))
            if all(states.get(rid) not in (None, "未提出") for rid in wanted):
                break
            if time.perf_counter() - start > 300:
                raise SystemExit("web: the roster did not show the uploaded returns")
        shown = time.perf_counter() - start
        while "data-collecting" in page.get("/"):  # the outputs (集計表 …) follow in their own process
            time.sleep(0.2)
        outputs = time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"seconds": statistics.median(times), "files": 1, "rss_mb": float("nan"), "roster_rows": n,
            "roster_best": min(times), "upload_status": status, "upload_answered": answered, "upload_shown": shown,
            "upload_outputs": outputs}


UNPINNED = {"stage_collect_parallel", "stage_form_collect_parallel", "stage_web"}  # stages that measure using more than one core


def _child(stage: Callable, args: tuple, queue: Any) -> None:
    if stage.__name__ not in UNPINNED:
        pin_one_core()
    try:
        queue.put(stage(*args))
    except BaseException as exc:  # report, don't hang the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def run_stage(stage: Callable, *args: Any) -> Dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(stage, args, queue))
    process.start()
    result = queue.get()
    process.join()
    if "error" in result:
        raise SystemExit(f"{stage.__name__}: {result['error']}")
    return result


def cold_start(repeat: int = 5) -> Dict[str, Any]:
    """`welfare-workbook --help` in a fresh interpreter (best of ``repeat``)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "welfare_workbook", "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "files": 1, "rss_mb": float("nan")}


def print_web(web: Dict[str, Any]) -> None:
    print("web page (serve, warm process):")
    print(f"  roster of {web['roster_rows']} respondents: {web['seconds'] * 1000:.0f} ms median of 10 "
          f"(best {web['roster_best'] * 1000:.0f} ms; goal ≤ 300 ms)")
    print(f"  {WEB_UPLOAD} returns uploaded → shown on the roster: {web['upload_shown']:.2f} s "
          f"(the upload answered with its verdicts after {web['upload_answered']:.2f} s; goal ≤ 3 s); "
          f"outputs (集計表.xlsx …) rewritten after {web['upload_outputs']:.2f} s")


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="respondents (default 1000)")
    parser.add_argument("-r", type=int, default=100, help="rows per workbook (default 100)")
    parser.add_argument("--quick", action="store_true", help="N=100")
    parser.add_argument("--json-out", type=Path, default=None, help="write the table as JSON here")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--web-only", action="store_true",
                        help="only the web page stage (and the returns it needs)")
    parser.add_argument("--libreoffice", type=int, default=0, metavar="K",
                        help="also measure K returns re-saved by LibreOffice (shared strings, as departments send them)")
    parser.add_argument("--form", type=int, nargs="?", const=1741, default=0, metavar="N",
                        help="measure the form survey instead: N synthetic 団体 (default 1,741) answering the seed 003 form")
    args = parser.parse_args(argv)
    if args.form:
        return run_form(args.form, args)
    n = 100 if args.quick else args.n
    r = args.r
    work = Path(args.keep or tempfile.mkdtemp(prefix="wwbench-"))
    work.mkdir(parents=True, exist_ok=True)
    random.seed(0)
    print(f"N={n} respondents × R={r} rows; one core; Python {platform.python_version()} on {platform.machine()}",
          flush=True)
    results: Dict[str, Dict[str, Any]] = {}
    try:
        steps: List[tuple] = [
            ("generate", stage_generate), ("deflate floor", stage_deflate_floor), ("(fill returns)", stage_fill),
            ("collect", stage_collect), ("read + validate", stage_read_validate),
            ("naive collect", stage_naive_collect), ("unzip floor", stage_unzip_floor),
            ("calamine read", stage_calamine_read), ("collect 2 processes", stage_collect_parallel),
            ("collect, 1 new", stage_collect_one_new), ("web page", stage_web),
        ]
        if args.web_only:
            steps = [("(fill returns)", stage_fill), ("web page", stage_web)]
        if args.libreoffice:
            steps += [("(LibreOffice re-save)", stage_resave, min(args.libreoffice, n)),
                      ("collect LO", stage_collect, "returns_lo"), ("naive collect LO", stage_naive_collect, "returns_lo"),
                      ("unzip floor LO", stage_unzip_floor, "returns_lo")]
        for name, stage, *extra in steps:
            print(f"  {name} …", flush=True)
            results[name] = run_stage(stage, n, r, str(work), *extra)
        if not args.web_only:
            results["cold start --help"] = cold_start()
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.web_only:
        print_web(results["web page"])
        return 0

    # stage -> (naive baseline, floor) it is compared with
    compare = {"generate": (None, "deflate floor"), "collect": ("naive collect", "unzip floor"),
               "read + validate": ("naive collect", "unzip floor"),
               "naive collect": (None, "unzip floor"), "deflate floor": (None, None), "unzip floor": (None, None),
               "cold start --help": (None, None), "calamine read": (None, "unzip floor"),
               "collect 2 processes": ("naive collect", "unzip floor"), "collect, 1 new": (None, None)}
    if args.libreoffice:
        compare.update({"collect LO": ("naive collect LO", "unzip floor LO"), "naive collect LO": (None, "unzip floor LO"),
                        "unzip floor LO": (None, None)})
    print()
    print(f"{'stage':<20}{'total s':>9}{'ms/file':>10}{'vs naive':>14}{'vs floor':>10}{'peak RSS MB':>13}")
    def per_file(name: str) -> float:
        return results[name]["seconds"] / max(results[name]["files"], 1)

    for name, (naive, floor) in compare.items():
        m = results[name]
        per = per_file(name) * 1000
        vs_naive = f"{per_file(naive) / per_file(name):.1f}× faster" if naive else ""
        vs_floor = f"{per_file(name) / per_file(floor):.1f}×" if floor else ""
        rss = "" if m["rss_mb"] != m["rss_mb"] else f"{m['rss_mb']:.0f}"
        print(f"{name:<20}{m['seconds']:>9.2f}{per:>10.2f}{vs_naive:>14}{vs_floor:>10}{rss:>13}")
    print(f"answers collected: {results['collect'].get('answers')} (naive read {results['naive collect'].get('answers')})")
    print()
    print("ratios (same run):")
    print(f"  per answer cell: collect {per_answer(results['collect']):.1f} µs (the form survey's: --form)")
    print(f"  read + check + validate per return / bare calamine read of its sheets: "
          f"{per_file('read + validate') / per_file('calamine read'):.2f}× (goal ≤ 2.5×)")
    print(f"  collect on 2 processes vs 1: {per_file('collect') / per_file('collect 2 processes'):.2f}× faster "
          f"(goal ≥ 1.7×; {os.cpu_count()} cores)")
    print(f"  collect after one new arrival / full collect of all {n}: "
          f"{100 * results['collect, 1 new']['seconds'] / results['collect']['seconds']:.1f}% (goal ≤ 5%)")
    print_web(results["web page"])
    if args.json_out:
        payload = {"n": n, "r": r, "python": platform.python_version(), "machine": platform.machine(),
                   "cpu_count": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "stages": results}
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"JSON: {args.json_out}")
    return 0


def per_answer(stage: Dict[str, Any]) -> float:
    """Microseconds of a collect stage per answer cell read (the cost the row and form surveys share)."""
    return 1e6 * stage["seconds"] / max(stage.get("answers") or 0, 1)


def run_form(n: int, args: Any) -> int:
    work = Path(args.keep or tempfile.mkdtemp(prefix="wwbench-form-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"form survey: N={n} 団体 (seed 003 form); one core; Python {platform.python_version()}", flush=True)
    try:
        results = main_form(n, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    failed = {k: v["error"] for k, v in results.items() if "error" in v}
    if failed:
        print(failed)
        return 1

    def per_file(name: str) -> float:
        return results[name]["seconds"] / max(results[name]["files"], 1)

    print()
    print(f"{'stage':<20}{'total s':>9}{'ms/file':>10}{'vs naive':>14}{'vs floor':>10}{'peak RSS MB':>13}")
    for name, naive, floor in (("form generate", None, "deflate floor"), ("form collect", "naive form collect", "unzip floor"),
                               ("naive form collect", None, "unzip floor"), ("deflate floor", None, None),
                               ("unzip floor", None, None)):
        m = results[name]
        vs_naive = f"{per_file(naive) / per_file(name):.1f}× faster" if naive else ""
        vs_floor = f"{per_file(name) / per_file(floor):.1f}×" if floor else ""
        print(f"{name:<20}{m['seconds']:>9.2f}{per_file(name) * 1000:>10.2f}{vs_naive:>14}{vs_floor:>10}"
              f"{m['rss_mb']:>13.0f}")
    print(f"answers collected: {results['form collect'].get('answers')} (naive read {results['naive form collect'].get('answers')})")
    print()
    print("ratios (same run):")
    print(f"  per answer cell: form collect {per_answer(results['form collect']):.1f} µs "
          "(the row survey's: benchmarks/run.py without --form prints its own)")
    print(f"  form collect on 2 processes vs 1: {per_file('form collect') / per_file('form collect 2 processes'):.2f}× "
          f"faster ({os.cpu_count()} cores)")
    print(f"  form collect after one new arrival / full collect of all {n}: "
          f"{100 * results['form collect, 1 new']['seconds'] / results['form collect']['seconds']:.1f}%")
    if args.json_out:
        args.json_out.write_text(json.dumps({"n": n, "form": True, "stages": results}, ensure_ascii=False, indent=2),
                                 encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
