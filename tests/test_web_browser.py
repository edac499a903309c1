"""The page in a real browser: ``serve`` started as a process, driven by Selenium with
Debian's chromium and chromium-driver (headless).

The flow a secretariat follows: open the printed URL, drop the returns into the file
input, see the roster change in place, open a respondent, accept with a reason,
download 集計表.xlsx and open it. Every request the browser made is checked to have
gone to the page itself (127.0.0.1), and a screenshot of each page is kept
(``WELFARE_WORKBOOK_SCREENSHOTS=DIR`` keeps them there too). Skipped, with the
reason, only when no browser or driver can be found (CI installs both).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Iterator, List, Optional

import pytest

from web_helpers import (FORM_BROKEN, FORM_CLEAN, FORM_ERROR, Pristine, Served, make_form_pristine, make_pristine,
                         start_server, wait_until)

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
DRIVERS = ("chromedriver", "chromium-driver")


def _which(names: tuple) -> Optional[str]:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


def _driver(downloads: Path) -> Any:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    browser, driver = _which(BROWSERS), _which(DRIVERS)
    if browser is None or driver is None:
        pytest.skip("no chromium / chromedriver found (apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1360,1000", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps", "--lang=ja"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    except Exception as exc:  # noqa: BLE001 — a browser that cannot start here is a skip, with why
        pytest.skip(f"chromium could not start: {str(exc).splitlines()[0][:200]}")
    chrome.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return chrome


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    return make_pristine(tmp_path_factory.mktemp("browser"))


@pytest.fixture()
def served(pristine: Pristine, tmp_path: Path) -> Iterator[Served]:
    server = start_server(pristine.copy(tmp_path / "令和6年度 進捗状況調査"))
    yield server
    code, out = server.stop()
    assert code == 0, out


class Shots:
    """Screenshots of each page, numbered in the order taken."""

    def __init__(self, driver: Any, folder: Path) -> None:
        self.driver, self.folder, self.taken = driver, folder, []  # type: ignore[var-annotated]
        folder.mkdir(parents=True, exist_ok=True)
        keep = os.environ.get("WELFARE_WORKBOOK_SCREENSHOTS")
        self.keep = Path(keep) if keep else None

    def __call__(self, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}_{name}.png"
        self.driver.set_window_size(1360, 700)  # measured at a small size: the page's own height
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(1360, min(max(int(height) + 140, 700), 2400))
        assert self.driver.save_screenshot(str(path))
        self.taken.append(path)
        if self.keep is not None:
            self.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, self.keep / path.name)


def _requests(driver: Any) -> List[str]:
    """Every URL the page asked for, from Chrome's performance (DevTools network) log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _state(driver: Any, rid: str) -> str:
    from selenium.webdriver.common.by import By

    cells = driver.find_elements(By.CSS_SELECTOR, f'#roster tr[data-respondent-id="{rid}"] td[data-state]')
    return cells[0].get_attribute("data-state") if cells else ""


def test_a_secretariat_works_through_the_page(served: Served, pristine: Pristine, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _driver(downloads)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Shots(driver, tmp_path / "screenshots")
    wait = WebDriverWait(driver, 60)
    requested: List[str] = []
    try:
        driver.get(served.url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#roster tbody tr[data-respondent-id]"))
        assert "token=" not in driver.current_url  # the secret went into the cookie
        assert {_state(driver, rid) for rid in ("K01", "K02", "K05")} == {"未提出"}
        shots("提出状況_受付前")

        # the returns through the file input; the roster changes without a reload
        driver.execute_script("window.notReloaded = true;")
        files = driver.find_element(By.CSS_SELECTOR, "form[data-upload] input[type=file][multiple]")
        files.send_keys("\n".join(str(p) for p in pristine.files()))
        driver.find_element(By.CSS_SELECTOR, "form[data-upload] button[type=submit]").click()
        wait.until(lambda d: _state(d, "K02") == "要修正")
        assert driver.execute_script("return window.notReloaded === true;")
        assert _state(driver, "K01") == "確認待ち" and _state(driver, "K05") == "未提出"
        verdicts = driver.find_elements(By.CSS_SELECTOR, "#verdicts tr[data-verdict]")
        assert len(verdicts) == len(pristine.files())
        shots("提出状況_受付後")

        driver.find_element(By.LINK_TEXT, "受付").click()
        wait.until(lambda d: d.find_elements(By.ID, "recent-h"))
        shots("受付")

        # a respondent: its issues, then accepted with a reason
        driver.find_element(By.LINK_TEXT, "提出状況").click()
        wait.until(lambda d: _state(d, "K02"))
        driver.find_element(By.CSS_SELECTOR, '#roster tr[data-respondent-id="K02"] th a').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.issues"))
        issue_rows = driver.find_elements(By.CSS_SELECTOR, "table.issues tbody tr")
        assert issue_rows and any(r.find_elements(By.TAG_NAME, "td")[3].text for r in issue_rows)  # cells
        shots("課_K02")
        driver.find_element(By.ID, "reason").send_keys("電話で確認し、数値は 100 で確定")
        driver.find_element(By.CSS_SELECTOR, 'button[value="accept"]').click()
        wait.until(lambda d: "確認済にしました" in d.page_source)
        state = driver.find_element(By.CSS_SELECTOR, "dd[data-state]").get_attribute("data-state")
        assert state == "確認済"
        shots("課_K02_確認済")

        # 集計表.xlsx downloaded and opened
        driver.find_element(By.LINK_TEXT, "出力").click()

        def summary_link(d: Any) -> Any:  # the outputs follow the upload in their own process
            found = d.find_elements(By.PARTIAL_LINK_TEXT, "集計表.xlsx")
            if found and not d.find_elements(By.CSS_SELECTOR, "[data-collecting]"):
                return found[0]
            time.sleep(0.5)
            d.refresh()
            return None

        link = wait.until(summary_link)
        shots("出力")
        link.click()
        target = downloads / "集計表.xlsx"
        assert wait_until(lambda: target.is_file() and not list(downloads.glob("*.crdownload")), 30)
        time.sleep(0.3)
        import openpyxl

        book = openpyxl.load_workbook(target, read_only=True)
        assert book.sheetnames
        book.close()

        for name, title in (("マスタ", "マスタ"), ("調査票", "調査票"), ("記録", "記録"), ("翌年度へ", "翌年度へ")):
            driver.find_element(By.LINK_TEXT, name).click()
            wait.until(lambda d, t=title: d.find_element(By.TAG_NAME, "h1").text == t)
            shots(title)
        requested = _requests(driver)
    finally:
        driver.quit()
    assert requested, "no request was logged"
    outside = [u for u in requested if not (u.startswith(served.origin + "/") or u.startswith(("data:", "about:")))]
    assert outside == [], outside
    assert len(shots.taken) == 10


@pytest.fixture(scope="module")
def form_pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    return make_form_pristine(tmp_path_factory.mktemp("browser_form"))


def test_a_form_survey_in_the_browser(form_pristine: Pristine, tmp_path: Path) -> None:
    """A form survey's folder: the returns dropped in, the roster in 団体 words, a 団体 with an error."""
    served = start_server(form_pristine.copy(tmp_path / "平成30年度 実施状況調査"))
    driver = None
    try:
        driver = _driver(tmp_path / "downloads")
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        shots = Shots(driver, tmp_path / "screenshots")
        wait = WebDriverWait(driver, 60)
        driver.get(served.url)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#roster tbody tr[data-respondent-id]"))
        headings = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#roster thead th")]
        assert headings[:2] == ["団体コード", "団体名"]
        files = driver.find_element(By.CSS_SELECTOR, "form[data-upload] input[type=file][multiple]")
        files.send_keys("\n".join(str(p) for p in form_pristine.files()))
        driver.find_element(By.CSS_SELECTOR, "form[data-upload] button[type=submit]").click()
        wait.until(lambda d: _state(d, FORM_ERROR) == "要修正")
        assert _state(driver, FORM_BROKEN) == "形式違い" and {_state(driver, c) for c in FORM_CLEAN} == {"確認待ち"}
        shots("フォーム_提出状況_受付後")
        driver.find_element(By.CSS_SELECTOR, f'#roster tr[data-respondent-id="{FORM_ERROR}"] th a').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.issues"))
        cells = [r.find_elements(By.TAG_NAME, "td") for r in driver.find_elements(By.CSS_SELECTOR, "table.issues tbody tr")]
        assert any(c[2].text == "調査票" and c[3].text.startswith("C") for c in cells)
        assert driver.find_element(By.TAG_NAME, "h1").text == f"北海道 釧路市（{FORM_ERROR}）"
        shots(f"フォーム_団体_{FORM_ERROR}")
    finally:
        if driver is not None:
            driver.quit()
        code, out = served.stop()
    assert code == 0, out
