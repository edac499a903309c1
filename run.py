"""Set-up-free entry point: ``python3 run.py demo`` or ``python3 run.py test``.

Creates a virtual environment in ``.venv`` on first use (and again whenever
setup.cfg changes), installs the package with what it needs, then runs:

    python3 run.py demo [--out DIR]     the whole cycle on the bundled sample
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


def main(argv: list) -> int:
    if not argv or argv[0] not in ("demo", "test", "cli"):
        print(__doc__)
        return 2
    python = ensure_env()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        args = [str(python), "-m", "welfare_workbook", "demo", *(rest or ["--out", str(ROOT / "output")])]
    elif command == "test":
        args = [str(python), "-m", "pytest", *rest]
    else:
        args = [str(python), "-m", "welfare_workbook", *rest]
    return subprocess.run(args, cwd=ROOT if command == "test" else None).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
