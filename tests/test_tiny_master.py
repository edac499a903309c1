"""A whole cycle on a master written inline, as the README's マスタの形式 describes it:
two departments, one 基本施策, two actions, two indicators — small enough to read."""

from __future__ import annotations

from pathlib import Path

from collect_helpers import fill, read_answers
from helpers import master_tables, write_master
from welfare_workbook.generate import generate
from welfare_workbook.master import load_master
from welfare_workbook.pipeline import collect

TINY_TOWN = """
## 調査設定
| 項目 | 値 |
| 自治体名 | 架空町 |
| 計画名 | 第1次架空町地域福祉計画 |
| 調査名 | 令和7年度 進捗状況調査 |
| 対象年度 | 令和7年度 |
| 提出期限 | 令和8年5月29日 |
| 事務局 | 福祉課 |
| 連絡先 | 内線 123 |
| 対象シート | 取組状況,中間評価,今後の方向性 |

## 担当課
| 課ID | 課名 | 区分 | メール | 担当者 |
| T01 | 福祉課 | 庁内 | fukushi@example.jp | 山田 |
| T02 | 社会福祉協議会 | 関係機関 | shakyo@example.jp | |

## 計画体系
| 基本方針ID | 基本方針 | 基本施策ID | 基本施策 | めざす姿 |
| Ⅰ | 支え合う地域 | Ⅰ-1 | 見守り活動の推進 | 誰もが見守られている |

## 取組
| 取組No | 基本施策ID | 取組名 | 内容 | 主担当課ID | 関係課ID | 掲載ページ |
| 1 | Ⅰ-1 | 見守りネットワーク | 地域の見守り協定を広げる | T01 | T02 | 12 |
| 2 | Ⅰ-1 | サロン活動 | 身近な通いの場を支える | T02 | | 13 |

## 指標
| 指標No | 基本施策ID | 指標名 | 単位 | 型 | 回答課ID | 関連取組 | 現状値 | 現状年度 | 目標値 | 目標年度 |
| 1 | Ⅰ-1 | 見守り協定の締結数 | 件 | 整数 | T01 | 1 | 12 | R5 | 20 | R11 |
| 2 | Ⅰ-1 | サロンの数 | か所 | 整数 | T02 | 2 | 30 | R5 | 40 | R11 |

## 実績
| 年度 | 指標No | 取組No | 課ID | 値 | 取組内容 | 成果 | 課題 | 評価 | 方向性 | 理由 |
| 令和6年度 | 1 | | T01 | 14 | 協定を 2 件締結 | | | | | |
"""


def test_a_tiny_town_from_generate_to_answers(tmp_path: Path) -> None:
    master, issues = load_master(write_master(master_tables(TINY_TOWN), tmp_path / "マスタ.xlsx"))
    assert master is not None and not issues.has_errors, issues.to_list()
    generated = generate(master, tmp_path / "調査票")
    # every action is measured by an indicator, so there is no その他の取組 sheet
    assert {w.respondent_id: w.sheets for w in generated.workbooks} == {
        "T01": {"取組状況": 1, "中間評価": 1, "今後の方向性": 1},
        "T02": {"取組状況": 1, "中間評価": 2, "今後の方向性": 2}}
    filled = [fill(master, wb, tmp_path / "提出") for wb in generated.workbooks]
    result = collect(master, [tmp_path / "提出"], tmp_path / "回収結果")
    rows = read_answers(tmp_path / "回収結果" / "answers.csv")
    assert {r["respondent_id"] for r in rows} == {"T01", "T02"}
    assert len(rows) == sum(len([v for v in f.answers.values() if v != ""]) for f in filled)
    assert not result.missing
