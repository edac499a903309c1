"""集計表 layout shared by its sheets: the styles and cell writer, the A4 page planning
(rows kept with their heading, merged blocks split at a page break), headings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .excel import (
    A4_POINTS, HEADER_FILL, LINE_POINTS, LOCKED_FILL, POINTS_PER_INCH, StyleCache, apply_page_plan,
    estimate_lines, keep_row_breaks, plan_pages, put, row_height,
)
from .master import column_letter

SIDE_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 0.3, 0.6, 0.6  # inches: A4 landscape margins of every 集計表 sheet



class ReportWriter(StyleCache):
    """Shared styles and cell writing for the report sheets."""

    def __init__(self) -> None:
        super().__init__()
        from openpyxl.styles import Alignment, PatternFill

        self.center = self.wrap_center
        self.plain = Alignment(vertical="top")
        self.head_fill = PatternFill("solid", fgColor=HEADER_FILL)
        self.section_fill = PatternFill("solid", fgColor=LOCKED_FILL)

    def cell(self, ws: Any, row: int, col: int, value: Any, *, bold: bool = False, border: bool = True,
             center: bool = False, fill: Any = None, wrap: Optional[bool] = None) -> Any:
        """A report cell; text outside tables (border=False) overflows instead of wrapping."""
        cell = put(ws, row, col, value if value != "" else None)
        if wrap is None:
            wrap = border
        attributes: Dict[str, Any] = {
            "font": self.bold if bold else self.font,
            "alignment": (self.center if center else self.wrap) if wrap else self.plain,
        }
        if border:
            attributes["border"] = self.border
        if fill is not None:
            attributes["fill"] = fill
        self.apply(cell, (bold, border, center, wrap, id(fill)), **attributes)
        return cell

    def header(self, ws: Any, row: int, labels: Sequence[str], widths: Sequence[float]) -> None:
        for index, (label, width) in enumerate(zip(labels, widths), start=1):
            self.cell(ws, row, index, label, bold=True, center=True, fill=self.head_fill)
            ws.column_dimensions[column_letter(index)].width = width
        lines = max((estimate_lines(label, width) for label, width in zip(labels, widths)), default=1)
        ws.row_dimensions[row].height = max(30.0, row_height(lines))


DEFAULT_ROW = 15.0  # a row written without a height (openpyxl's default)


TITLE_SIZE = 14 / 10  # the 14 pt titles against 10 pt text


@dataclass
class Pages:
    """What a sheet's print layout needs to know: the table's column widths, its title
    rows, the rows that must stay on one page (an item's rows: merged blocks), the
    headings that must not end a page apart from what follows, rows that start a page."""

    widths: Sequence[float]
    title_rows: Tuple[int, int] = (0, 0)
    groups: List[Tuple[int, int]] = field(default_factory=list)
    headings: List[int] = field(default_factory=list)
    new_page: List[int] = field(default_factory=list)
    heads: Dict[int, float] = field(default_factory=dict)  # first row of a merged block -> its text's height
    table_end: int = 0  # the last row of the table the title rows head

    def finish(self, ws: Any, *, titles_only_if_long: bool = False, last_row: int = 0) -> None:
        """A4, fit to the pages wide the widths need; manual row breaks that keep headings
        with their rows and items whole; the print area; page numbers."""
        plan = plan_pages(self.widths, margins=2 * SIDE_MARGIN, title_columns=2)
        ws.page_margins.left = ws.page_margins.right = SIDE_MARGIN
        ws.page_margins.top, ws.page_margins.bottom = TOP_MARGIN, BOTTOM_MARGIN
        ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.print_options.horizontalCentered = True
        last_row = max(ws.max_row, last_row, 1)  # a chart's rows hold no cell
        # rows are printed at the scale; Excel, with narrower columns than estimated, may
        # print up to 7 % larger: plan the page lengths for that
        scale = min(1.0, plan.scale * 1.07)
        page = (A4_POINTS[plan.orientation][1] - (TOP_MARGIN + BOTTOM_MARGIN) * POINTS_PER_INCH) * 0.97 / scale
        heights = [ws.row_dimensions[r].height or DEFAULT_ROW for r in range(1, last_row + 1)]
        first, last = self.title_rows
        title_height = sum(heights[first - 1:last]) if first else 0.0
        breaks = keep_row_breaks(heights, page_height=page, title_height=title_height, groups=self.groups,
                                 keep_with_next=self.headings, new_page=self.new_page, heads=self.heads)
        table_end = self.table_end or max((end for _, end in self.groups), default=0)
        one_page = not any(b < table_end for b in breaks) and sum(heights[:table_end]) <= page
        rows = f"{first}:{last}" if first and not (titles_only_if_long and one_page) else ""
        apply_page_plan(ws, plan, title_rows=rows)
        from openpyxl.worksheet.pagebreak import Break

        for at in breaks:
            ws.row_breaks.append(Break(id=at))
        _split_merged(ws, self.groups, breaks)
        ws.print_area = f"A1:{column_letter(len(self.widths))}{last_row}"
        ws.oddFooter.center.text = "&P / &N"


CONTINUED = "（続き）"


def _split_merged(ws: Any, groups: Sequence[Tuple[int, int]], breaks: Sequence[int]) -> None:
    """An item longer than a page is cut where the page ends: its merged cells (No., name)
    are merged again page by page, and the part on the next page shows the No. and the
    name's first line marked （続き）, so no page starts with rows of an unnamed item."""
    import copy

    for first, last in groups:
        cuts = [b for b in breaks if first <= b < last]
        if not cuts:
            continue
        spans = [r for r in ws.merged_cells.ranges if r.min_row == first and r.max_row == last]
        parts = list(zip([first] + [b + 1 for b in cuts], cuts + [last]))
        for merged in spans:
            col = merged.min_col
            top = ws.cell(first, col)
            value, style = top.value, copy.copy(top._style)
            ws.unmerge_cells(merged.coord)
            for start, end in parts:
                if start > first and value is not None:
                    text = str(value)
                    shown = text if col == 1 else text.split("\n")[0] + "\n" + CONTINUED
                    put(ws, start, col, shown)._style = copy.copy(style)
                elif start > first:
                    ws.cell(start, col)._style = copy.copy(style)
                if end > start:
                    ws.merge_cells(start_row=start, start_column=col, end_row=end, end_column=col)


def fit_row(ws: Any, row: int, texts: Sequence[Tuple[str, float]]) -> None:
    lines = max((estimate_lines(text, width) for text, width in texts), default=1)
    ws.row_dimensions[row].height = row_height(lines)


def heading(ws: Any, w: ReportWriter, row: int, text: str, widths: Sequence[float], *, title: bool = False,
             bold: bool = False) -> None:
    """A line of text above a table, across its width, as tall as it wraps to."""
    cell = w.cell(ws, row, 1, text, border=False, bold=bold, wrap=True)
    if title:
        cell.font = w.title
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(widths))
    ws.row_dimensions[row].height = row_height(
        estimate_lines(text, sum(widths) / (TITLE_SIZE if title else 1)), 19 if title else LINE_POINTS)
