"""The README and the command-line help describe the same commands."""

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from welfare_workbook.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_three_commands():
    block = re.search(r"```\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert block == ["python3 run.py demo", "python3 run.py serve", "python3 run.py test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 run.py test" in ci


def test_every_command_is_documented_and_has_japanese_help():
    runner = CliRunner()
    for name, command in cli.commands.items():
        assert f"welfare-workbook {name}" in README, name
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", result.output), f"{name} help is not Japanese"
        for option in command.params:
            for flag in getattr(option, "opts", []):
                if flag.startswith("--") and flag != "--help":
                    assert flag in result.output


def test_readme_master_sheets_match_the_reader():
    from welfare_workbook.master import MASTER_COLUMNS

    for sheet, columns in MASTER_COLUMNS.items():
        line = next((ln for ln in README.splitlines() if ln.startswith(f"| {sheet} |")), None)
        assert line is not None, sheet
        assert ", ".join(columns) in line, sheet


def test_help_runs_as_a_module_without_importing_pandas():
    code = ("import sys, runpy; sys.argv=['welfare-workbook','--help'];\n"
            "try:\n    runpy.run_module('welfare_workbook', run_name='__main__')\n"
            "except SystemExit: pass\n"
            "assert 'pandas' not in sys.modules and 'pandera' not in sys.modules and 'openpyxl' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 0, result.stderr
    assert "generate" in result.stdout


def test_readme_python_example_runs(tmp_path: Path, monkeypatch) -> None:
    """The README's library example, run as written, prints what its comments say."""
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
                             cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    promised = [line.split("# ")[-1].split("（")[0].strip() for line in code.splitlines() if line.startswith("print(")]
    assert printed.stdout.split("\n")[:len(promised)] == promised
    assert (tmp_path / "output" / "回収結果" / "answers.csv").is_file()
