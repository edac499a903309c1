"""The local web page (``welfare-workbook serve``, DESIGN §2b), route by route.

Each test runs the real app (Starlette's TestClient) over a real survey folder:
init, generate_in and the demo's simulated returns. Nothing is mocked.
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from pathlib import Path
from typing import Any, List
from urllib.parse import unquote

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
# newer Starlette prefers the httpx2 fork for its TestClient and says so; httpx serves every version
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

from web_helpers import (ORIGIN, STATE_WORDS, Pristine, client_for, iter_pages, make_pristine,  # noqa: E402
                         page_fixtures, received as _received, roster_states, settle, tree, upload)

from welfare_workbook import journal  # noqa: E402
from welfare_workbook.guard import Limits  # noqa: E402
from welfare_workbook.workspace import Workspace  # noqa: E402

WEB = Path(__file__).resolve().parent.parent / "welfare_workbook" / "web"


pristine, folder, client = page_fixtures(make_pristine, "web")


def _journal(folder: Path) -> List[journal.Entry]:
    return journal.read(Workspace(folder).journal_path).entries


# ---------------------------------------------------------------------------
# the guard


def test_without_the_secret_every_request_is_refused(folder: Path) -> None:
    from starlette.testclient import TestClient

    from welfare_workbook.web.app import create_app
    from welfare_workbook.web.config import PageConfig

    config = PageConfig(folder, 8765)
    anonymous = TestClient(create_app(config), base_url=ORIGIN)
    for path in ("/", "/static/app.js", "/files/results/answers.csv", "/log"):
        response = anonymous.get(path)
        assert response.status_code == 403 and "token" in response.text and "開いてください" in response.text
    assert anonymous.get("/?token=wrong").status_code == 403
    anonymous.cookies.set(config.cookie, "wrong")
    assert anonymous.get("/").status_code == 403
    # another host name pointing at 127.0.0.1 (DNS rebinding) is refused even with the secret
    other = TestClient(create_app(config), base_url="http://localhost:8765")
    assert other.get(f"/?token={config.token}").status_code == 403


def test_the_secret_moves_into_a_strict_httponly_cookie(folder: Path) -> None:
    from starlette.testclient import TestClient

    from welfare_workbook.web.app import create_app
    from welfare_workbook.web.config import PageConfig

    config = PageConfig(folder, 8765)
    browser = TestClient(create_app(config), base_url=ORIGIN)
    response = browser.get(f"/log?respondent=K01&token={config.token}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/log?respondent=K01"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"welfare_workbook_8765={config.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = browser.get("/log?respondent=K01")
    assert page.status_code == 200 and config.token not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_a_cross_site_post_is_refused_and_changes_nothing(client: Any, folder: Path, pristine: Pristine) -> None:
    _received(client, pristine)
    before = (folder / "記録.csv").read_bytes()
    inbox = tree(folder / "受付")
    form = {"action": "accept", "reason": "確認した"}
    evil = {"origin": "http://evil.example"}
    assert client.post("/respondent/K01/review", data=form, headers=evil).status_code == 403
    assert client.post("/respondent/K01/review", data=form, headers={"origin": "null"}).status_code == 403
    no_origin = client.post("/respondent/K01/review", data=form, headers={"origin": "", "referer": ""})
    assert no_origin.status_code == 403
    files = [("files", ("x.xlsx", pristine.files()[0].read_bytes(), "application/octet-stream"))]
    assert client.post("/receive", files=files, headers={"origin": "http://127.0.0.1:9999"}).status_code == 403
    assert client.post("/rollover", data={"next": "x", "force": "1"},
                       headers={"origin": "http://127.0.0.1.evil.example:8765"}).status_code == 403
    assert (folder / "記録.csv").read_bytes() == before and tree(folder / "受付") == inbox
    assert not (folder.parent / "x").exists()
    # the page's own Referer (no Origin header) is enough
    same = client.post("/respondent/K01/review", data=form, follow_redirects=False,
                       headers={"origin": "", "referer": ORIGIN + "/respondent/K01"})
    assert same.status_code == 303


def test_a_post_without_the_secret_is_refused(folder: Path) -> None:
    from starlette.testclient import TestClient

    from welfare_workbook.web.app import create_app
    from welfare_workbook.web.config import PageConfig

    anonymous = TestClient(create_app(PageConfig(folder, 8765)), base_url=ORIGIN, headers={"origin": ORIGIN})
    before = (folder / "記録.csv").read_bytes()
    assert anonymous.post("/forms/generate").status_code == 403
    assert anonymous.post("/outputs/mail", data={"kind": "督促"}).status_code == 403
    assert (folder / "記録.csv").read_bytes() == before and not (folder / "メール" / "督促").exists()


# ---------------------------------------------------------------------------
# 提出状況 and 受付


def test_roster_lists_every_respondent_with_its_state(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    states = roster_states(page.text)
    assert len(states) == 11 and set(states.values()) == {"未提出"}
    assert '<th scope="col">状態</th>' in page.text and "提出期限" in page.text
    assert 'data-count="未提出">11<' in page.text


def test_upload_receives_collects_and_the_roster_shows_it(client: Any, folder: Path, pristine: Pristine) -> None:
    response = _received(client, pristine)
    assert "受け付けた結果" in response.text and 'data-respondent-id="K02"' in response.text
    stored = sorted((folder / "受付").iterdir())
    assert len(stored) == len(pristine.files())
    assert all(re.match(r"\d{8}-\d{6}_", p.name) for p in stored)
    assert (folder / "回収結果" / "issues.json").is_file() and (folder / "回収結果" / "集計表.xlsx").is_file()
    receipts = [e for e in _journal(folder) if e.operation == "受付"]
    assert len(receipts) == len(stored) and all(e.reason == "ページから受付" for e in receipts)
    assert all(e.before.startswith("ブラウザ：") and "upload" not in e.before for e in receipts)  # no temp path
    states = roster_states(client.get("/").text)
    assert states["K02"] == "要修正" and states["K05"] == "未提出" and states["K01"] == "確認待ち"
    assert set(states.values()) <= STATE_WORDS
    only = roster_states(client.get("/", params={"state": "要修正"}).text)
    assert "K02" in only and set(only.values()) == {"要修正"}
    # the same files again: recorded once, said so
    again = upload(client, pristine.files()[:1])
    assert "受付済み" in again.text and len(list((folder / "受付").iterdir())) == len(stored)


def test_the_roster_shows_an_upload_before_its_outputs_are_written(client: Any, folder: Path,
                                                                   pristine: Pristine) -> None:
    response = upload(client, pristine.files())
    assert 'data-state="要修正"' in response.text  # the verdict: 受付/ read as collect reads it
    assert roster_states(client.get("/").text)["K02"] == "要修正"  # whether or not the outputs are done
    settle(client)
    assert (folder / "回収結果" / "集計表.xlsx").is_file()
    assert client.config.collects().last["code"] in (0, 1)  # 1: some return has errors
    assert roster_states(client.get("/").text)["K02"] == "要修正"


def test_collects_asked_for_during_a_run_become_one_more_run(folder: Path) -> None:
    from welfare_workbook.web.collector import Collector

    collector = Collector(folder)
    for _ in range(5):
        collector.request()
    assert collector.wait(180) and 1 <= collector.runs <= 2
    assert (folder / "回収結果" / "issues.json").is_file()


def test_upload_answers_a_fragment_for_the_page_script(client: Any, pristine: Pristine) -> None:
    response = upload(client, pristine.files()[:2], headers={"x-fragment": "1"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="verdicts"') and "<html" not in response.text
    roster = client.get("/", headers={"x-fragment": "1"})
    assert roster.text.startswith('<div id="roster"') and len(roster_states(roster.text)) == 11


def test_upload_names_are_made_safe_and_stay_in_the_inbox(client: Any, folder: Path, pristine: Pristine) -> None:
    outside = tree(folder.parent)
    source = pristine.files()[0]
    names = ["../../逃げた.xlsx", "..\\..\\windows.xlsx", "C:\\Windows\\system32\\drive.xlsx", "C:relative.xlsx",
             "制御\x07文字\x1b[31m.xlsx", "/etc/passwd.xlsx", "..", "CON.xlsx"]
    # distinct bytes for each (the same bytes are recorded once)
    variants = []
    for number, _ in enumerate(names):
        path = folder.parent / f"variant{number}.bin"
        path.write_bytes(source.read_bytes() + b"\0" * (number + 1))
        variants.append(path)
    response = upload(client, variants, names)
    assert response.status_code == 200, response.text
    stored = sorted(p.name for p in (folder / "受付").iterdir())
    assert len(stored) == len(names) - 1  # ".." has no suffix a return can have: refused
    assert "受け付けませんでした" in response.text
    for name in stored:
        assert not set(name) & set('/\\:*?"<>|') and not any(ord(ch) < 32 for ch in name)
    assert any(n.endswith("_逃げた.xlsx") for n in stored) and any(n.endswith("_drive.xlsx") for n in stored)
    assert any(re.search(r"_制御.*文字", n) for n in stored) and any(n.endswith("_CON.xlsx") for n in stored)
    now = tree(folder.parent)
    outside_now = [p for p in now if not p.startswith(folder.name + "/") and not p.startswith("variant")]
    assert outside_now == [p for p in outside if not p.startswith(folder.name + "/")]
    assert not Path("/etc/passwd.xlsx").exists()


def test_an_upload_that_is_not_a_workbook(client: Any, folder: Path) -> None:
    text = client.post("/receive", files=[("files", ("メモ.txt", b"hello", "text/plain"))])
    assert text.status_code == 400 and "受け付けませんでした" in text.text and "Excel のブック" in text.text
    assert not any((folder / "受付").iterdir())
    fake = client.post("/receive", files=[("files", ("福祉政策課_回答.xlsx", b"not a zip", "application/octet-stream"))])
    assert fake.status_code == 200
    assert 'data-state="形式違い"' in fake.text  # matched by its name, unreadable: how to re-save it is said
    assert roster_states(client.get("/").text)["K01"] == "形式違い"


def test_an_empty_upload_is_a_japanese_message(client: Any) -> None:
    response = client.post("/receive", data={"x": "1"})
    assert response.status_code == 400 and "ファイルが選ばれていません" in response.text


def test_a_body_over_the_limit_is_refused_before_it_is_stored(folder: Path, pristine: Pristine) -> None:
    with client_for(folder, max_body=64 * 1024) as small:
        big = small.post("/receive", files=[("files", ("大きい.xlsx", b"\0" * (200 * 1024), "application/octet-stream"))])
        assert big.status_code == 413 and "大きすぎます" in big.text
        # a declared length over the limit is refused without reading the body
        declared = small.post("/receive", content=b"x", headers={"content-length": str(10 ** 9),
                                                                 "content-type": "application/octet-stream"})
        assert declared.status_code == 413
        assert not any((folder / "受付").iterdir())
        assert small.get("/").status_code == 200  # and the page still works


def test_the_default_limit_is_collects_own() -> None:
    from welfare_workbook.guard import MAX_UNCOMPRESSED
    from welfare_workbook.web.config import PageConfig

    assert PageConfig(Path("."), 1).max_body == MAX_UNCOMPRESSED


def test_a_zip_bomb_is_received_and_reported_not_inflated(folder: Path) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", b"<" + b" " * (8 * 1024 * 1024) + b"/>")
    with client_for(folder, limits=Limits(max_bytes=1024 * 1024)) as c:
        response = c.post("/receive", files=[("files", ("福祉政策課.xlsx", bomb.getvalue(), "application/octet-stream"))])
        assert response.status_code == 200
        assert "形式違い" in response.text
        settle(c)
        data = json.loads((folder / "回収結果" / "issues.json").read_text(encoding="utf-8"))
        assert any(i["code"] == "file_too_large" for i in data["issues"])
        assert c.get("/").status_code == 200


def test_two_uploads_at_once_both_land(client: Any, folder: Path, pristine: Pristine) -> None:
    files = pristine.files()
    halves = [files[: len(files) // 2], files[len(files) // 2:]]
    codes: List[int] = []

    def send(part: List[Path]) -> None:
        codes.append(upload(client, part).status_code)

    threads = [threading.Thread(target=send, args=(half,)) for half in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200, 200]
    settle(client)
    assert len(list((folder / "受付").iterdir())) == len(files)
    states = roster_states(client.get("/").text)
    assert states["K02"] == "要修正" and states["K05"] == "未提出"
    verdict = json.loads((folder / "回収結果" / "issues.json").read_text(encoding="utf-8"))
    assert len(verdict["returns"]) == len(files)  # the last collect saw both uploads


# ---------------------------------------------------------------------------
# one respondent


def test_respondent_page_shows_issues_history_and_links(client: Any, pristine: Pristine) -> None:
    _received(client, pristine)
    page = client.get("/respondent/K02")
    assert page.status_code == 200
    assert 'data-state="要修正"' in page.text
    issues = page.text.split('<table class="issues">', 1)[1].split("</table>", 1)[0]
    assert "中間評価" in issues and re.search(r"<td>[A-Z]+\d+</td>", issues)  # sheet and cell
    assert "「課題」の記入が必要です" in issues
    assert "受付" in page.text.split('id="history-h"', 1)[1]
    for place in ("/files/forms/", "/files/inbox/", "/files/sendback/"):
        assert f'href="{place}' in page.text, place
    for button in ("確認済にする", "差戻しにする", "戻す"):
        assert f">{button}</button>" in page.text
    assert '<label for="reason">' in page.text


def test_review_needs_a_reason_for_errors_and_records_it(client: Any, folder: Path, pristine: Pristine) -> None:
    _received(client, pristine)
    refused = client.post("/respondent/K02/review", data={"action": "accept", "reason": ""})
    assert refused.status_code == 400 and "理由" in refused.text and 'role="alert"' in refused.text
    assert roster_states(client.get("/").text)["K02"] == "要修正"
    done = client.post("/respondent/K02/review", data={"action": "accept", "reason": "電話で確認した"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert "確認済にしました" in client.get(done.headers["location"]).text
    assert roster_states(client.get("/").text)["K02"] == "確認済"
    last = _journal(folder)[-1]
    assert (last.operation, last.respondent_id, last.reason) == ("確認", "K02", "電話で確認した")
    client.post("/respondent/K02/review", data={"action": "reopen", "reason": ""})
    assert roster_states(client.get("/").text)["K02"] == "要修正"
    client.post("/respondent/K01/review", data={"action": "send_back", "reason": "数値の確認"})
    assert roster_states(client.get("/").text)["K01"] == "差戻し中"


def test_unknown_respondent_is_a_japanese_404(client: Any) -> None:
    page = client.get("/respondent/K99")
    assert page.status_code == 404 and "名簿にありません" in page.text


# ---------------------------------------------------------------------------
# マスタ, 調査票, 出力, 記録, 翌年度へ


def _bad_master(path: Path) -> Path:
    from welfare_workbook.master import sample_rows, write_master_xlsx

    rows = sample_rows()
    header = rows["指標"][0]
    rows["指標"][1][header.index("回答課ID")] = "K99"
    write_master_xlsx(rows, path)
    return path


def test_master_page_checks_and_a_bad_replacement_is_refused(client: Any, folder: Path, tmp_path: Path) -> None:
    page = client.get("/master")
    assert 'data-master-valid="true"' in page.text
    original = (folder / "マスタ.xlsx").read_bytes()
    bad = _bad_master(tmp_path / "bad.xlsx")
    refused = client.post("/master", files={"master": ("新マスタ.xlsx", bad.read_bytes(), "application/octet-stream")})
    assert refused.status_code == 400 and "K99" in refused.text and "置き換えませんでした" in refused.text
    assert (folder / "マスタ.xlsx").read_bytes() == original
    good = tmp_path / "good.xlsx"
    good.write_bytes(original)
    from welfare_workbook.master import sample_rows, write_master_xlsx

    rows = sample_rows()
    rows["調査設定"] = [r if r[0] != "連絡先" else [r[0], "内線 1234"] for r in rows["調査設定"]]
    write_master_xlsx(rows, good)
    replaced = client.post("/master", files={"master": ("新マスタ.xlsx", good.read_bytes(), "application/octet-stream")},
                           follow_redirects=False)
    assert replaced.status_code == 303
    assert "置き換え" in client.get(replaced.headers["location"]).text
    last = _journal(folder)[-1]
    assert last.operation == "作成" and last.reason == "ブラウザ：新マスタ.xlsx"  # not a temporary path


def test_generate_refuses_while_the_master_has_errors(client: Any, folder: Path) -> None:
    _bad_master(folder / "マスタ.xlsx")  # edited by hand in Excel meanwhile
    page = client.get("/master")
    assert 'data-master-valid="false"' in page.text and "指標" in page.text
    cells = page.text.split('<table class="issues">', 1)[1]
    assert re.search(r"<td>[A-Z]+\d+</td>", cells)
    made = client.post("/forms/generate")
    assert made.status_code == 400 and "作成できませんでした" in made.text and "K99" in made.text


def test_forms_generate_and_download_as_one_zip(client: Any, folder: Path) -> None:
    for old in (folder / "調査票").iterdir():
        old.unlink()
    made = client.post("/forms/generate")
    assert made.status_code == 200 and "11 課分" in made.text
    names = sorted(p.name for p in (folder / "調査票").iterdir())
    assert len(names) == 11
    link = re.search(r'href="(/zip/[^"]+)" download="調査票.zip"', made.text)
    assert link and unquote(link.group(1)).endswith("/調査票.zip")
    response = client.get(link.group(1))
    assert response.headers["content-disposition"].endswith("filename*=UTF-8''%E8%AA%BF%E6%9F%BB%E7%A5%A8.zip")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == names
        assert all(info.flag_bits & 0x800 for info in archive.infolist())  # UTF-8 names
    one = re.search(r'href="(/files/forms/[^"]+)" download', made.text)
    assert one is not None
    single = client.get(one.group(1))
    assert single.status_code == 200 and single.content[:2] == b"PK"
    disposition = single.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition and 'filename="' in disposition
    assert unquote(disposition.split("UTF-8''", 1)[1]) == unquote(one.group(1).rsplit("/", 1)[1])


def test_downloads_cannot_leave_their_place(client: Any, folder: Path) -> None:
    (folder.parent / "secret.txt").write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    for path in ("/files/forms/..%2F..%2Fsecret.txt", "/files/forms/../../secret.txt", "/files/results/..%2Fマスタ.xlsx",
                 "/files/nowhere/x", "/files/inbox/%2Fetc%2Fpasswd", "/zip/..%2F調査票.zip", "/static/..%2Fapp.py"):
        response = client.get(path)
        assert response.status_code == 404 and b"TOP-SECRET" not in response.content, path


def test_outputs_offer_every_file_with_its_name(client: Any, folder: Path, pristine: Pristine) -> None:
    _received(client, pristine)
    page = client.get("/outputs")
    hrefs = re.findall(r'<a [^>]*?href="([^"]+)"( download(?:="[^"]*")?)?', page.text)
    wanted = ["集計表.xlsx", "answers.csv", "indicators.csv", "確認結果.xlsx", "差戻し.zip"]
    for name in wanted:
        found = [h for h, d in hrefs if unquote(h).endswith("/" + name)]
        assert found, name
        response = client.get(found[0])
        assert response.status_code == 200
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="') and unquote(disposition.split("UTF-8''")[1]) == name
    mailed = client.post("/outputs/mail", data={"kind": "督促"})
    assert mailed.status_code == 200 and "督促メールの下書き" in mailed.text
    link = re.search(r'href="(/zip/[^"]+)" download="メール_督促.zip"', mailed.text)
    assert link is not None
    with zipfile.ZipFile(io.BytesIO(client.get(link.group(1)).content)) as archive:
        assert any(n.endswith(".eml") for n in archive.namelist()) and "index.csv" in archive.namelist()
    assert any(e.operation == "督促メール" and e.respondent_id == "K05" for e in _journal(folder))
    assert "/files/mail/" in client.get("/respondent/K05").text


def test_log_is_newest_first_and_filters_by_respondent(client: Any, pristine: Pristine) -> None:
    _received(client, pristine)
    client.post("/respondent/K01/review", data={"action": "accept", "reason": "よし"})
    page = client.get("/log")
    rows = re.findall(r'<tr><td class="when">([0-9: -]+)</td><td>[^<]*</td><td>([^<]+)</td>', page.text)
    assert rows[0][1] == "確認" and rows[-1][1] == "作成"
    only = client.get("/log", params={"respondent": "K01"}).text
    ids = set(re.findall(r'<a href="/respondent/([^"]+)">', only.split("<tbody>", 1)[1]))
    assert ids == {"K01"}
    assert '<option value="K01" selected>' in only


def test_rollover_refuses_open_states_then_makes_the_next_folder(client: Any, folder: Path, pristine: Pristine) -> None:
    _received(client, pristine)
    page = client.get("/rollover")
    assert "まだ片付いていない課" in page.text and "令和7年度" in page.text
    refused = client.post("/rollover", data={"next": "翌年度"})
    assert refused.status_code == 400 and not (folder.parent / "翌年度").exists()
    done = client.post("/rollover", data={"next": "翌年度", "force": "1"})
    assert done.status_code == 200 and "調査フォルダを作りました" in done.text
    assert (folder.parent / "翌年度" / "調査フォルダ.json").is_file()


# ---------------------------------------------------------------------------
# the folder is the state


def test_changes_made_by_the_command_line_meanwhile_are_seen(client: Any, folder: Path, pristine: Pristine) -> None:
    from welfare_workbook.folder import collect_in, open_folder
    from welfare_workbook.receive import receive
    from welfare_workbook.review import review

    assert roster_states(client.get("/").text)["K02"] == "未提出"
    ws, master, _ = open_folder(folder)
    receive(ws, pristine.files())  # as `welfare-workbook receive` would
    assert roster_states(client.get("/").text)["K02"] == "要修正"  # read from 受付/ at once
    collect_in(ws, master)
    review(ws, "K01", "send_back", "差戻し")
    assert roster_states(client.get("/").text)["K01"] == "差戻し中"
    assert "差戻し" in client.get("/respondent/K01").text


def test_a_restarted_page_shows_the_same_state(folder: Path, pristine: Pristine) -> None:
    with client_for(folder) as first:
        _received(first, pristine)
        first.post("/respondent/K02/review", data={"action": "send_back", "reason": "直してください"})
        before = roster_states(first.get("/").text)
    with client_for(folder) as second:  # a new launch: new secret, same folder
        assert roster_states(second.get("/").text) == before
        assert before["K02"] == "差戻し中"


# ---------------------------------------------------------------------------
# offline, accessible, light to import


def test_no_page_or_file_of_the_page_names_an_outside_address(client: Any, pristine: Pristine) -> None:
    outside = re.compile(r"https?://(?!127\.0\.0\.1:8765[/\"'])", re.I)
    for path in sorted((WEB / "templates").iterdir()) + sorted((WEB / "static").iterdir()):
        if path.suffix in (".html", ".js", ".css"):
            assert not re.search(r"https?://", path.read_text(encoding="utf-8"), re.I), path.name
    _received(client, pristine)
    for page in iter_pages():
        response = client.get(page)
        assert response.status_code == 200, page
        assert not outside.search(response.text), page
        for src in re.findall(r'(?:src|href)="([^"]+)"', response.text):
            assert src.startswith("/") or src.startswith("#"), (page, src)
    for asset in ("/static/app.js", "/static/app.css", "/favicon.ico"):
        assert client.get(asset).status_code == 200


def test_every_page_is_labelled_for_screen_readers(client: Any, pristine: Pristine) -> None:
    _received(client, pristine)
    for page in iter_pages():
        html = client.get(page).text
        assert '<html lang="ja">' in html and '<nav aria-label="' in html and '<a class="skip" href="#main">' in html
        assert 'aria-current="page"' in html or page.startswith("/respondent"), page
        for table in re.findall(r"<table.*?</table>", html, re.S):
            assert "<caption>" in table and 'scope="col"' in table, page
        for field_id in re.findall(r'<(?:input|textarea|select) id="([^"]+)"', html):
            assert f'<label for="{field_id}"' in html, (page, field_id)
    upload_form = client.get("/receive").text
    assert re.search(r'<input id="files" name="files" type="file" multiple', upload_form)


def test_help_does_not_load_the_web_stack() -> None:
    import subprocess
    import sys

    code = ("import sys, runpy; sys.argv=['welfare-workbook','--help'];\n"
            "try:\n    runpy.run_module('welfare_workbook', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "web = ('starlette', 'uvicorn', 'jinja2', 'multipart', 'welfare_workbook.web')\n"
            "bad = [m for m in web if m in sys.modules]\n"
            "assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout


def test_serve_outside_a_survey_folder_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from welfare_workbook.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["serve", "--no-browser"])
    assert result.exit_code == 2 and "調査フォルダではありません" in result.output
    assert CliRunner().invoke(cli, ["serve", "--port", "70000"]).exit_code == 2


def test_unknown_pages_and_bad_forms_are_japanese_and_the_page_goes_on(client: Any) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/nothing"):
        page = client.get(path)
        assert page.status_code == 404 and "このページはありません" in page.text, path
    assert client.put("/").status_code == 405
    broken = client.post("/receive", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"})
    assert broken.status_code in (200, 400) and "<html" in broken.text
    assert client.get("/").status_code == 200


def test_a_return_just_received_shows_its_issues_before_the_outputs_are_written(client: Any, folder: Path,
                                                                               pristine: Pristine) -> None:
    from welfare_workbook.receive import receive

    receive(Workspace(folder), pristine.files())  # by the command line: nothing collected yet
    assert not (folder / "回収結果" / "issues.json").exists()
    page = client.get("/respondent/K02")
    assert "受付 のファイルを読み直して" in page.text and "「課題」の記入が必要です" in page.text
    assert 'data-state="要修正"' in page.text
