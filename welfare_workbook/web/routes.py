"""The page's routes: each reads the request, makes one call into :mod:`.views` (which
calls the library) with the work lock held, and renders a template.

Every page works without JavaScript (forms post and the server answers with a page);
``static/app.js`` adds drag-and-drop, an upload progress bar and the roster refreshed
in place. A request asking for a fragment (header ``X-Fragment: 1``) gets only the part
that changed.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from ..workspace import Workspace
from . import files, views
from .config import PageConfig

HERE = Path(__file__).resolve().parent
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8", "icon.png": "image/png"}
NAV = [("/", "提出状況"), ("/receive", "受付"), ("/master", "マスタ"), ("/forms", "調査票"), ("/outputs", "出力"),
       ("/log", "記録"), ("/rollover", "翌年度へ")]
MAX_FILES = 2000  # files in one upload (a prefecture's returns at once)


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["q"] = lambda text: quote(str(text), safe="")  # one path segment
    env.filters["qpath"] = lambda text: quote(str(text), safe="/")  # a path below a place
    env.globals["days_text"] = days_text
    env.globals["state_class"] = {word: f"st-{n}" for n, word in enumerate(views.STATES, 1)}
    return env


def days_text(days: int) -> str:
    """あと 3 日 / 今日まで / 5 日超過.

    >>> days_text(3), days_text(0), days_text(-5)
    ('あと 3 日', '今日まで', '5 日超過')
    """
    return f"あと {days} 日" if days > 0 else "今日まで" if days == 0 else f"{-days} 日超過"


def config(request: Request) -> PageConfig:
    return request.app.state.config


def workspace(request: Request) -> Workspace:
    return views.PageWorkspace(config(request).root)


async def work(request: Request, function: Callable[..., Any], *args: Any) -> Any:
    """Run a library call off the event loop, one at a time (the second waits its turn)."""
    lock = config(request).work_lock

    def locked() -> Any:
        with lock:
            return function(*args)

    return await run_in_threadpool(locked)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    ws = workspace(request)
    context.setdefault("title", dict(NAV).get(request.url.path, ""))
    # who: what this survey calls a respondent (課 / 団体), for every template
    html = environment().get_template(template).render(
        nav=NAV, path=request.url.path, folder=ws.root.name, who=views.wording(ws), **context)
    return HTMLResponse(html, status_code=status_code)


def fragment_wanted(request: Request) -> bool:
    return request.headers.get("x-fragment") == "1"


# ---------------------------------------------------------------------------
# 提出状況


COLLECT_WAIT = 600.0  # seconds an explicit 回収 waits for its collect to finish


def collected_notes(request: Request) -> List[Dict[str, Any]]:
    """What the last collect said about the folder and its outputs (e.g. 集計表.xlsx open in Excel)."""
    return [views.issue_view(n) for n in config(request).collects().last.get("notes", [])]


async def roster_page(request: Request) -> Response:
    state = request.query_params.get("state")
    collecting = config(request).collects().busy
    data = await work(request, views.roster, workspace(request), state, collecting)
    data["notes"] = data["notes"] + collected_notes(request)
    if fragment_wanted(request):
        return render(request, "_roster.html", **data)
    return render(request, "roster.html", title="提出状況", **data)


async def collect_action(request: Request) -> Response:
    """``collect -w`` now (in the collector's process), waiting for it: then the roster."""
    collector = config(request).collects()
    collector.request()
    await run_in_threadpool(collector.wait, COLLECT_WAIT)
    return RedirectResponse("/", status_code=303)


async def settled(request: Request) -> None:
    """Wait for a collect under way: mail drafts and rollover read what it writes."""
    await run_in_threadpool(config(request).collects().wait, COLLECT_WAIT)


# ---------------------------------------------------------------------------
# 受付


async def receive_page(request: Request) -> Response:
    recent = await work(request, views.recent_receipts, workspace(request))
    return render(request, "receive.html", title="受付", recent=recent, result=None)


async def upload_action(request: Request) -> Response:
    form = await request.form(max_files=MAX_FILES, max_fields=100)
    staging = views.Staging()
    try:
        for item in form.getlist("files"):
            if hasattr(item, "read") and getattr(item, "filename", None) is not None:
                await run_in_threadpool(staging.add, item.filename, item.file)
        if not staging.uploads:
            result: Dict[str, Any] = {"verdicts": [], "received": 0, "notes": [views.issue_view(
                {"severity": "error", "message": "ファイルが選ばれていません。受け付けるファイルを選んでください。"})]}
        else:
            result = await work(request, views.receive_files, workspace(request), staging)
            if result["received"]:
                config(request).collects().request()  # the outputs follow, in their own process
    finally:
        staging.remove()
        await form.close()
    refused = result["notes"] or any(v.get("refused") for v in result["verdicts"])
    status_code = 200 if result["received"] or not refused else 400
    if fragment_wanted(request):
        return render(request, "_verdicts.html", status_code, result=result)
    recent = await work(request, views.recent_receipts, workspace(request))
    return render(request, "receive.html", status_code, title="受付", recent=recent, result=result)


# ---------------------------------------------------------------------------
# one respondent


async def respondent_page(request: Request, refused: Optional[List[Dict[str, Any]]] = None,
                          reason: str = "", action: str = "") -> Response:
    rid = request.path_params["rid"]
    data = await work(request, views.respondent, workspace(request), rid)
    if data is None:
        return render(request, "error.html", 404, title="見つかりません",
                      message=f"{views.wording(workspace(request))['id']}「{rid}」は、この調査の名簿にありません。")
    done = request.query_params.get("done", "")
    return render(request, "respondent.html", 400 if refused else 200, title=f"{data['name']}（{rid}）", r=data,
                  refused=refused or [], reason=reason, action=action, done=views.ACTION_LABELS.get(done, ""))


async def review_action(request: Request) -> Response:
    rid = request.path_params["rid"]
    form = await request.form(max_files=0, max_fields=10)
    action, reason = str(form.get("action", "")), str(form.get("reason", ""))
    recorded, issues = await work(request, views.review_respondent, workspace(request), rid, action, reason)
    if recorded:
        return RedirectResponse(f"/respondent/{quote(rid, safe='')}?done={quote(action)}", status_code=303)
    return await respondent_page(request, refused=issues or [views.issue_view(
        {"severity": "warning", "message": "変更はありません。"})], reason=reason, action=action)


# ---------------------------------------------------------------------------
# マスタ, 調査票, 出力, 記録, 翌年度へ


async def master_page(request: Request) -> Response:
    data = await work(request, views.master_check, workspace(request))
    replaced = request.query_params.get("replaced") == "1"
    return render(request, "master.html", title="マスタ", m=data, replaced=replaced, refused=[])


async def master_upload(request: Request) -> Response:
    form = await request.form(max_files=1, max_fields=10)
    staging = views.Staging()
    refused: List[Dict[str, Any]] = []
    try:
        item = form.get("master")
        upload = None
        if hasattr(item, "read") and getattr(item, "filename", ""):
            upload = await run_in_threadpool(staging.add, item.filename, item.file)  # type: ignore[union-attr]
        if upload is None or upload.path is None or upload.path.suffix != ".xlsx":
            refused = [views.issue_view({"severity": "error", "message": "マスタの .xlsx ファイルを選んでください。"})]
        else:
            done, refused = await work(request, views.replace_master, workspace(request), upload.path)
            if done:
                return RedirectResponse("/master?replaced=1", status_code=303)
    finally:
        staging.remove()
        await form.close()
    data = await work(request, views.master_check, workspace(request))
    return render(request, "master.html", 400, title="マスタ", m=data, replaced=False, refused=refused)


async def forms_page(request: Request) -> Response:
    data = await work(request, views.forms, workspace(request))
    return render(request, "forms.html", title="調査票", f=data, made=None)


async def generate_action(request: Request) -> Response:
    made = await work(request, views.generate, workspace(request))
    data = await work(request, views.forms, workspace(request))
    return render(request, "forms.html", 200 if made["done"] else 400, title="調査票", f=data, made=made)


async def outputs_page(request: Request) -> Response:
    data = await work(request, views.outputs, workspace(request))
    return render(request, "outputs.html", title="出力", o=data, mailed=None, collecting=config(request).collects().busy,
                  collected=collected_notes(request))


async def mail_action(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    await settled(request)
    mailed = await work(request, views.mail, workspace(request), str(form.get("kind", "")))
    data = await work(request, views.outputs, workspace(request))
    return render(request, "outputs.html", 200 if mailed["done"] else 400, title="出力", o=data, mailed=mailed,
                  collecting=False, collected=collected_notes(request))


async def log_page(request: Request) -> Response:
    data = await work(request, views.log, workspace(request), request.query_params.get("respondent") or None)
    return render(request, "log.html", title="記録", j=data)


async def rollover_page(request: Request) -> Response:
    plan = await work(request, views.rollover_plan, workspace(request))
    return render(request, "rollover.html", title="翌年度へ", plan=plan, done=None, target=plan["next"], force=False)


async def rollover_action(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10)
    target, force = str(form.get("next", "")), form.get("force") == "1"
    await settled(request)
    done = await work(request, views.rollover, workspace(request), target, force)
    plan = await work(request, views.rollover_plan, workspace(request))
    return render(request, "rollover.html", 200 if done["done"] else 400, title="翌年度へ", plan=plan, done=done,
                  target=target, force=force)


# ---------------------------------------------------------------------------
# downloads and the page's own files


async def download(request: Request) -> Response:
    place, name = request.path_params["place"], request.path_params["name"]
    path = await run_in_threadpool(files.find_download, workspace(request), place, name)
    if path is None:
        return render(request, "error.html", 404, title="見つかりません",
                      message=f"「{name}」はありません。ページを読み込み直してください。")
    return StreamingResponse(files.iter_file(path), media_type=files.media_type(path.name),
                             headers={"content-disposition": files.content_disposition(path.name)})


async def download_zip(request: Request) -> Response:
    name = request.path_params["name"]
    source = await run_in_threadpool(files.zip_source, workspace(request), name)
    if source is None or not source[1]:
        return render(request, "error.html", 404, title="見つかりません",
                      message=f"「{name}」に入れるファイルがありません。先に作成してください。")
    data = await run_in_threadpool(files.zip_bytes, *source)
    return Response(data, media_type="application/zip",
                    headers={"content-disposition": files.content_disposition(name)})


@functools.lru_cache(maxsize=None)
def _static(name: str) -> bytes:
    return (HERE / "static" / name).read_bytes()


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        return Response(status_code=404)
    return Response(_static(name), media_type=STATIC[name])


async def favicon(request: Request) -> Response:
    return Response(_static("icon.png"), media_type=STATIC["icon.png"])


HTTP_MESSAGES = {400: "送られた内容を読めませんでした。ページを読み込み直して、もう一度操作してください。",
                 404: "このページはありません。上の見出しから選んでください。",
                 405: "この操作はできません。ページを読み込み直してください。"}


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such page, a form it cannot parse …) in Japanese."""
    code = int(getattr(exc, "status_code", 400))
    return render(request, "error.html", code, title="使えません",
                  message=HTTP_MESSAGES.get(code, f"要求を処理できませんでした（{code}）。"))


async def internal_error(request: Request, exc: Exception) -> Response:
    """An unexpected error: a Japanese page, and the page keeps serving (the traceback is not shown)."""
    return HTMLResponse("<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>内部エラー</title></head>"
                        "<body><h1>内部エラー</h1><p role=\"alert\">思わぬエラーで処理できませんでした。調査フォルダの内容は"
                        "変わっていないか、途中までです。ページを読み込み直してください。続くときは、コマンドで同じ操作を"
                        "試してください（--debug で詳しい情報が出ます）。</p><p><a href=\"/\">提出状況へ戻る</a></p></body></html>",
                        status_code=500)


def routes() -> List[Route]:
    return [
        Route("/", roster_page), Route("/collect", collect_action, methods=["POST"]),
        Route("/receive", receive_page, methods=["GET"]), Route("/receive", upload_action, methods=["POST"]),
        Route("/respondent/{rid}", respondent_page), Route("/respondent/{rid}/review", review_action, methods=["POST"]),
        Route("/master", master_page, methods=["GET"]), Route("/master", master_upload, methods=["POST"]),
        Route("/forms", forms_page), Route("/forms/generate", generate_action, methods=["POST"]),
        Route("/outputs", outputs_page), Route("/outputs/mail", mail_action, methods=["POST"]),
        Route("/log", log_page),
        Route("/rollover", rollover_page, methods=["GET"]), Route("/rollover", rollover_action, methods=["POST"]),
        Route("/files/{place}/{name:path}", download), Route("/zip/{name}", download_zip),
        Route("/static/{name}", static_file), Route("/favicon.ico", favicon),
    ]
