"""welfare_workbook: 地域福祉計画の進捗調査ブックを作成・回収・集計する。

A library first, with a thin command line (``welfare-workbook``) on top::

    from welfare_workbook import load_master, sample_path, generate
    master, issues = load_master(sample_path())
    result = generate(master, Path("output"))
"""

from ._version import __version__

from .master import load_master, sample_path  # noqa: E402
from .generate import build_workbook, generate  # noqa: E402
from .pipeline import collect  # noqa: E402

__all__ = ["__version__", "load_master", "sample_path", "build_workbook", "generate", "collect"]
