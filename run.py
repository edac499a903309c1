"""Set-up-free entry point: ``python3 run.py demo``, ``python3 run.py serve`` or ``python3 run.py test``.

Creates a virtual environment in ``.venv`` on first use (and again whenever
setup.cfg changes), installs the package with what it needs, then runs:

    python3 run.py demo [--out DIR]     the whole cycle on the bundled sample
    python3 run.py serve [-w DIR] [--port N] [--no-browser]
                                        the page over a survey folder (without -w and
                                        outside one: a trial folder output/調査フォルダ
                                        made from the bundled sample, said so)
    python3 run.py test [PYTEST ARGS]   the test suite
    python3 run.py cli ARGS...          any welfare-workbook command

Only the standard library is used here, so it works on a fresh machine that has
nothing but Python 3 (Windows: ``py run.py demo``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"
TRIAL_FOLDER = ROOT / "output" / "調査フォルダ"  # what `serve` opens when no survey folder is named
MARKER, MASTER, JOURNAL = "調査フォルダ.json", "マスタ.xlsx", "記録.csv"  # as welfare_workbook.workspace names them


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env() -> Path:
    """Create .venv and install the package (with test extras) when needed."""
    python = venv_python()
    wanted = hashlib.sha256((ROOT / "setup.cfg").read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    if not python.exists():
        print("仮想環境 .venv を作成しています…", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("必要なパッケージをインストールしています…", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)
    return python


def in_survey_folder(start: Path) -> bool:
    """Whether ``start`` (or a folder above it) is a survey folder, as ``serve`` looks for one."""
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file() or ((folder / MASTER).is_file() and (folder / JOURNAL).is_file()):
            return True
    return False


def serve_args(python: Path, rest: list) -> list:
    """``serve`` with the folder asked for; else (not in a survey folder) the trial folder,
    made from the bundled sample on first use. Either way it says which (on stderr, so the
    page's URL stays the first line of stdout)."""
    command = [str(python), "-m", "welfare_workbook", "serve"]
    named = any(a in ("-w", "--workspace") or a.startswith(("--workspace=", "-w")) for a in rest)
    if named or in_survey_folder(Path.cwd()) or any(a in ("-h", "--help") for a in rest):
        return command + rest
    shown = TRIAL_FOLDER.relative_to(ROOT).as_posix()
    if not (TRIAL_FOLDER / MARKER).is_file():
        print(f"調査フォルダが指定されていないので、同梱のサンプル（第3次計画）から試用の調査フォルダ {shown} を作って開きます。"
              "自分の調査フォルダを開くときは -w で指定します。", file=sys.stderr, flush=True)
        made = subprocess.run([str(python), "-m", "welfare_workbook", "init", str(TRIAL_FOLDER), "--sample", "dai3ji"],
                              capture_output=True, text=True, encoding="utf-8", errors="replace")
        if made.returncode != 0:
            sys.stderr.write(made.stdout + made.stderr)
            raise SystemExit(made.returncode)
        forms = subprocess.run([str(python), "-m", "welfare_workbook", "generate", "-w", str(TRIAL_FOLDER)],
                               capture_output=True)
        if forms.returncode != 0:
            print("調査票は作れませんでした。ページの「調査票」で作成してください。", file=sys.stderr, flush=True)
        print("試しに受け付けるファイルは、python3 run.py demo が output/提出 に作ります。", file=sys.stderr, flush=True)
    else:
        print(f"調査フォルダが指定されていないので、試用の調査フォルダ {shown} を開きます。"
              "自分の調査フォルダを開くときは -w で指定します。", file=sys.stderr, flush=True)
    return command + ["-w", str(TRIAL_FOLDER)] + rest


def run(args: list, cwd: "Path | None" = None) -> int:
    """Run a command; Ctrl-C goes to it (it stops cleanly) and its exit code is ours."""
    process = subprocess.Popen(args, cwd=cwd)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue


def main(argv: list) -> int:
    if not argv or argv[0] not in ("demo", "serve", "test", "cli"):
        print(__doc__)
        return 2
    python = ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        args = [str(python), "-m", "welfare_workbook", "demo", *(rest or ["--out", str(ROOT / "output")])]
    elif command == "serve":
        args = serve_args(python, rest)
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), "-m", "welfare_workbook", *rest]
    return run(args, cwd=ROOT if command == "test" else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
