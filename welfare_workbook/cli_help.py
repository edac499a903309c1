"""Japanese help text on a terminal: widths counted as the screen shows them (a kanji is
two columns), lines broken where Japanese allows (never before 、。」 or after 「（),
paths kept whole; and the help formatter and context that use them."""

from __future__ import annotations

import re
import unicodedata
from typing import List, Optional, Sequence, Tuple

import click


# characters that must not begin a line (closing marks) or end one (opening marks)
_NO_LINE_START = set("、。，．・：；！？）」』】〕］｝〉》ー…ぁぃぅぇぉっゃゅょァィゥェォッャュョ,.:;!?)]}")


_NO_LINE_END = set("（「『【〔［｛〈《([{")


# a path such as output/回収結果 is never broken inside (it ends at a space or Japanese punctuation)
_PATH = re.compile(r"[^\s（）「」『』【】〔〕［］、。，．・：；！？]*[/\\][^\s（）「」『』【】〔〕［］、。，．・：；！？]*")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a console: wide, full-width and ambiguous characters take two.

    Ambiguous ones (○, →, ①) count two because a Japanese Windows console shows them so.

    >>> display_width("abc"), display_width("使い方"), display_width("→")
    (3, 6, 2)
    """
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WFA" else 1
               for ch in text)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WFA"


def _tokens(text: str) -> List[Tuple[str, bool]]:
    """(unit, space before it): a run of narrow characters and a path stay whole, each other wide one is a unit.

    Closing marks join the unit before them and opening marks the unit after them, so
    no line starts with 。 or ends with （.
    """
    units: List[Tuple[str, bool]] = []
    space = False
    at = 0
    while at < len(text):
        if text[at].isspace():
            space, at = True, at + 1
            continue
        path = _PATH.match(text, at)
        unit = path.group() if path else text[at]
        at += len(unit)
        glue = bool(units) and not space and (
            unit[0] in _NO_LINE_START or units[-1][0][-1] in _NO_LINE_END
            or not (_wide(unit[0]) or _wide(units[-1][0][-1])))
        units[-1:] = [(units[-1][0] + unit, units[-1][1])] if glue else [*units[-1:], (unit, space)]
        space = False
    return units


def wrap(text: str, width: int) -> List[str]:
    """Lines of at most ``width`` columns, broken at spaces or between two wide characters.

    >>> wrap("マスタ（.xlsx か、シートごとの CSV のフォルダ）。", 20)
    ['マスタ（.xlsx か、', 'シートごとの CSV の', 'フォルダ）。']
    >>> wrap("既定 output/メール/KIND。", 12)
    ['既定', 'output/メール/KIND。']
    """
    lines: List[str] = []
    line = ""
    for unit, space in _tokens(text):
        joined = line + (" " if space and line else "") + unit
        if line and display_width(joined) > width:
            lines.append(line)
            line = unit
        else:
            line = joined
    if line or not lines:
        lines.append(line)
    return lines


def _paragraphs(text: str) -> List[List[str]]:
    """Paragraphs (split at blank lines) as lists of lines; ``\\b`` marks one not to rewrap."""
    result: List[List[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            result[-1].append(line.strip())
        elif result[-1]:
            result.append([])
    return [p for p in result if p]


def _join_lines(lines: Sequence[str]) -> str:
    """One paragraph's lines as one text: a space between narrow words, none inside Japanese."""
    text = ""
    for line in lines:
        if text and not (display_width(text[-1]) == 2 and display_width(line[0]) == 2):
            text += " "
        text += line
    return text


class JaHelpFormatter(click.HelpFormatter):
    """click's formatter with ``使い方:`` and wrapping by display width."""

    def write_usage(self, prog: str, args: str = "", prefix: Optional[str] = None) -> None:
        head = f"{'':>{self.current_indent}}{'使い方: ' if prefix is None else prefix}{prog}"
        indent = " " * (display_width(head) + 1)
        lines = wrap(args, max(self.width - len(indent), 20)) if args else []
        self.write(head + (f" {lines[0]}" if lines else "") + "\n")
        for line in lines[1:]:
            self.write(f"{indent}{line}\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        blocks = []
        for lines in _paragraphs(text):
            if lines[0] == "\b":  # click's marker: keep the lines as written
                blocks.append("\n".join(indent + line for line in lines[1:]))
            else:
                width = max(self.width - self.current_indent, 20)
                blocks.append("\n".join(indent + line for line in wrap(_join_lines(lines), width)))
        self.write("\n\n".join(blocks) + "\n")

    def write_dl(self, rows: Sequence[Tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(first) for first, _ in rows), default=0), col_max) + col_spacing
        pad = " " * (self.current_indent + first_col)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + pad)
            width = max(self.width - first_col - self.current_indent, 10)
            lines = [line for lines in _paragraphs(second) for line in wrap(_join_lines(lines), width)] or [""]
            self.write("\n".join([lines[0]] + [pad + line for line in lines[1:]]) + "\n")


class JaContext(click.Context):
    formatter_class = JaHelpFormatter
