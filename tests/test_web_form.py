"""The local web page on a form survey's folder (seed 003: one form per 団体).

The same pages as tests/test_web.py, over a folder made by ``init --sample form003``:
forms made by ``generate_in``, returns filled by :mod:`welfare_workbook.form_simulate`.
The pages say 団体 / 団体コード / 団体名 where the row survey says 課 / 課ID / 課名.
Nothing is mocked.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import quote

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

from web_helpers import (FORM_BROKEN, FORM_CLEAN, FORM_EMPTIED, FORM_ERROR, Pristine, form_cell,  # noqa: E402
                         make_form_pristine, page_fixtures, received as _received, roster_states, settle, upload)

from welfare_workbook import journal  # noqa: E402
from welfare_workbook.form_master import form_sample_rows  # noqa: E402
from welfare_workbook.kinds import load_any_master  # noqa: E402
from welfare_workbook.master import sample_rows  # noqa: E402
from welfare_workbook.master_io import write_master_xlsx  # noqa: E402
from welfare_workbook.workspace import Workspace, file_sha256, init  # noqa: E402

PAGES = ("/", "/receive", "/master", "/forms", "/outputs", "/log", "/rollover", f"/respondent/{FORM_ERROR}",
         f"/respondent/{FORM_BROKEN}", "/respondent/090000", f"/log?respondent={FORM_ERROR}")
EXPECTED = {FORM_ERROR: "要修正", FORM_BROKEN: "形式違い", **{code: "確認待ち" for code in FORM_CLEAN},
            **{code: "未提出" for code in ("090000", "131075", "142051", "142069")}}


pristine, folder, client = page_fixtures(make_form_pristine, "web_form")


def _text(html: str) -> str:
    """What a reader sees of a page: the text of its main part, tags dropped."""
    return re.sub(r"<[^>]+>", " ", html.split('<main id="main"', 1)[1])


def _form_master(path: Path, edit: Any = None) -> Path:
    """The sample form master as an .xlsx the secretariat edited (``edit`` changes its rows)."""
    rows = form_sample_rows("form003")
    if edit is not None:
        edit(rows)
    write_master_xlsx(rows, path)
    return path


# ---------------------------------------------------------------------------
# every page, in the form survey's words


def test_every_page_of_a_new_form_folder_renders_and_says_dantai(client: Any) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "課" not in _text(page.text), path
    roster = client.get("/").text
    assert "<th scope=\"col\">団体コード</th><th scope=\"col\">団体名</th>" in roster and "（全 8 団体）" in roster
    assert '<a href="/respondent/012068">北海道 釧路市</a>' in roster and ">栃木県</a>" in roster
    master = client.get("/master").text
    assert 'data-master-valid="true"' in master and "回答団体 8" in master and "様式 chiiki_kyosei" in master
    missing = client.get("/respondent/999999")
    assert missing.status_code == 404 and "団体コード「999999」は、この調査の名簿にありません。" in missing.text


def test_every_page_after_an_upload_says_dantai_and_lists_the_form_outputs(client: Any, pristine: Pristine) -> None:
    _received(client, pristine)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text)
        assert "課" not in _text(page.text), path
    outputs = client.get("/outputs").text
    listed = re.findall(r'href="/files/results/([^"]+)" download', outputs)
    assert listed == [quote(n, safe="") for n in ("集計表.xlsx", "回答一覧.csv", "answers.csv", "確認結果.xlsx",
                                                  "issues.json")]
    assert "回答一覧（1 団体 1 行）" in outputs and "指標データ" not in outputs and "審議会資料" not in outputs
    rollover = client.get("/rollover").text
    assert "回答団体はそのまま引き継ぎます" in rollover and "「実績」に加え" not in rollover
    assert "まだ片付いていない団体（2）" in rollover
    log = client.get(f"/log?respondent={FORM_ERROR}").text
    assert set(re.findall(r'<a href="/respondent/([^"]+)">', log.split("<tbody>", 1)[1])) == {FORM_ERROR}


# ---------------------------------------------------------------------------
# upload, states, one 団体


def test_an_upload_puts_each_dantai_into_its_state_at_once(client: Any, folder: Path, pristine: Pristine) -> None:
    response = upload(client, pristine.files())
    assert response.status_code == 200, response.text
    verdicts = dict(re.findall(r'data-respondent-id="(\d{6})">.*?data-state="([^"]+)"', response.text, re.S))
    assert verdicts == {code: state for code, state in EXPECTED.items() if state != "未提出"}
    assert "<th scope=\"col\">団体</th>" in response.text and ">北海道 釧路市</a>" in response.text
    broken = response.text.split(f'data-respondent-id="{FORM_BROKEN}"', 1)[1].split("</tr>", 1)[0]
    assert ">北海道 鷹栖町</a>" in broken and "対象外" not in broken  # placed by its name, unreadable
    assert roster_states(client.get("/").text) == EXPECTED  # read from 受付/ while the outputs are written
    settle(client)
    assert client.config.collects().last["notes"] == []
    assert roster_states(client.get("/").text) == EXPECTED
    assert roster_states(client.get("/?state=要修正").text) == {FORM_ERROR: "要修正"}
    results = Workspace(folder).results
    assert {"answers.csv", "回答一覧.csv", "集計表.xlsx", "確認結果.xlsx", "issues.json"} <= {
        p.name for p in results.iterdir()}


def test_the_page_of_a_dantai_with_an_error_shows_it_at_its_sheet_and_cell(client: Any, folder: Path,
                                                                       pristine: Pristine) -> None:
    upload(client, pristine.files())
    cell = form_cell(folder, FORM_ERROR, FORM_EMPTIED)
    row = re.compile(r'<tr class="sev-error"><td><span class="badge">エラー</span></td><td class="file">[^<]*012068_釧路市'
                     rf'\.xlsx</td><td>調査票</td><td>{cell}</td><td>[^<]*未入力')
    early = client.get(f"/respondent/{FORM_ERROR}").text  # before the collect has written issues.json, or after
    assert row.search(early), early
    settle(client)
    page = client.get(f"/respondent/{FORM_ERROR}").text
    assert row.search(page) and "北海道 釧路市（012068）" in page and "この団体についての記録" in page
    assert '<dd data-state="要修正">' in page
    assert f'href="/files/forms/{quote("012068_釧路市.xlsx")}"' in page  # the form it was sent
    copy = "差戻し_012068_釧路市.xlsx"  # collect's send-back copy, with the error marked
    assert (folder / "回収結果" / "差戻し" / copy).is_file() and f'href="/files/sendback/{quote(copy)}"' in page
    broken = client.get(f"/respondent/{FORM_BROKEN}").text
    assert '<dd data-state="形式違い">' in broken and "北海道 鷹栖町" in broken


def test_accepting_a_return_with_an_error_needs_a_reason_and_records_it(client: Any, folder: Path,
                                                                      pristine: Pristine) -> None:
    _received(client, pristine)
    refused = client.post(f"/respondent/{FORM_ERROR}/review", data={"action": "accept", "reason": ""})
    assert refused.status_code == 400 and "北海道 釧路市の「" in refused.text
    assert "にはエラーが 1 件残っています（要修正）" in refused.text and "課" not in _text(refused.text)
    assert roster_states(client.get("/").text)[FORM_ERROR] == "要修正"
    done = client.post(f"/respondent/{FORM_ERROR}/review", data={"action": "accept", "reason": "電話で成果目標を確認した"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/respondent/{FORM_ERROR}?done=accept"
    page = client.get(done.headers["location"]).text
    assert "確認済にしました" in page and "電話で成果目標を確認した" in page
    assert roster_states(client.get("/").text)[FORM_ERROR] == "確認済"
    last = journal.read(Workspace(folder).journal_path).entries[-1]
    assert (last.respondent_id, last.operation, last.reason) == (FORM_ERROR, "確認", "電話で成果目標を確認した")


# ---------------------------------------------------------------------------
# 調査票, マスタ, 翌年度へ


def test_forms_are_made_one_per_dantai_and_zipped_by_code_and_name(client: Any, folder: Path) -> None:
    for made in Workspace(folder).forms.iterdir():
        made.unlink()
    response = client.post("/forms/generate")
    assert response.status_code == 200 and "8 団体分の調査票を作成しました。" in response.text
    assert "回答団体ごとの調査票（団体コード_団体名.xlsx）" in response.text
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/zip/{quote('調査票.zip')}").content))
    names = sorted(archive.namelist())
    master, _ = load_any_master(Workspace(folder).master_path)
    assert [n[:6] for n in names] == sorted(master.bodies)
    assert all(re.fullmatch(r"\d{6}_[^_/]+\.xlsx", n) for n in names), names
    assert {"012068_釧路市.xlsx", "090000_栃木県.xlsx", "131075_墨田区.xlsx"} <= set(names)


def test_a_form_folders_master_is_replaced_by_an_edited_form_master(client: Any, folder: Path, pristine: Pristine,
                                                                   tmp_path: Path) -> None:
    _received(client, pristine)

    def renamed(rows: Dict[str, List[List[str]]]) -> None:
        header = rows["回答団体"][0]
        for row in rows["回答団体"][1:]:
            if row[header.index("団体コード")] == FORM_ERROR:
                row[header.index("担当部署")] = "福祉部 地域福祉課（新）"
        rows["回答団体"] = [r for r in rows["回答団体"] if r[header.index("団体コード")] != "142069"]  # one fewer

    edited = _form_master(tmp_path / "回答団体を直したマスタ.xlsx", renamed)
    done = client.post("/master", files={"master": (edited.name, edited.read_bytes(), "application/octet-stream")},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/master?replaced=1"
    assert "回答団体 7" in client.get("/master?replaced=1").text
    states = roster_states(client.get("/").text)
    assert "142069" not in states and states[FORM_ERROR] == "要修正"  # the returns still belong to their 団体
    master, _ = load_any_master(Workspace(folder).master_path)
    assert master.departments[FORM_ERROR].person == "福祉部 地域福祉課（新）"


def test_a_master_of_the_other_kind_is_refused_once_returns_are_in(client: Any, folder: Path, pristine: Pristine,
                                                                  tmp_path: Path) -> None:
    _received(client, pristine)
    row_master = tmp_path / "マスタ_取組状況.xlsx"
    write_master_xlsx(sample_rows("dai3ji"), row_master)
    before = file_sha256(Workspace(folder).master_path)
    refused = client.post("/master", files={"master": (row_master.name, row_master.read_bytes(),
                                                        "application/octet-stream")})
    assert refused.status_code == 400 and "置き換えませんでした" in refused.text
    assert "この調査フォルダは団体ごとの様式（フォーム）の調査で、受付 に 4 件のファイルがあります。" in refused.text
    assert file_sha256(Workspace(folder).master_path) == before
    assert roster_states(client.get("/").text) == EXPECTED


def test_before_any_return_the_folder_may_change_kind_and_the_pages_follow(client: Any, tmp_path: Path) -> None:
    row_master = tmp_path / "マスタ_取組状況.xlsx"
    write_master_xlsx(sample_rows("dai3ji"), row_master)
    done = client.post("/master", files={"master": (row_master.name, row_master.read_bytes(), "application/octet-stream")},
                       follow_redirects=False)
    assert done.status_code == 303
    roster = client.get("/").text
    assert "<th scope=\"col\">課ID</th><th scope=\"col\">課名</th>" in roster and "K01" in roster_states(roster)
    assert "団体" not in _text(roster)


def test_init_refuses_a_master_of_the_other_kind_over_returns(tmp_path: Path) -> None:
    """The rule is the library's (``init --force``), so the command line keeps it too."""
    folder = tmp_path / "調査"
    assert init(folder, sample="dai3ji").valid
    (folder / "受付" / "20250101-000000_福祉政策課.xlsx").write_bytes(b"a return")
    report = init(folder, sample="form003", force=True)
    assert not report.valid and report.exit_code == 1
    [issue] = [i for i in report.issues if i.code == "folder_master_kind_changed"]
    assert issue.message.startswith("この調査フォルダは担当課ごとの表形式の調査で、受付 に 1 件のファイルがあります。")
    assert init(folder, sample="dai3ji", force=True).valid  # a master of the same kind is fine


def test_rollover_of_a_form_folder_keeps_the_dantai_and_moves_the_year(client: Any, folder: Path,
                                                                      pristine: Pristine) -> None:
    _received(client, pristine)
    refused = client.post("/rollover", data={"next": "翌年度"})
    assert refused.status_code == 400 and "繰り越しませんでした" in refused.text
    assert "まだ済んでいない団体があります（北海道 釧路市（要修正）" in refused.text and "課" not in _text(refused.text)
    done = client.post("/rollover", data={"next": "翌年度", "force": "1"})
    assert done.status_code == 200, done.text
    assert "令和元年度の調査フォルダを作りました" in done.text
    following, _ = load_any_master(Workspace(folder.parent / "翌年度").master_path)
    this, _ = load_any_master(Workspace(folder).master_path)
    assert following.settings.fiscal_year == this.settings.fiscal_year + 1
    assert list(following.bodies) == list(this.bodies)
