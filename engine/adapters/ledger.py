"""Write a notice's 督办台账 as an .xlsx workbook: the only importer of openpyxl.

One sheet, laid out to be filtered on screen and printed: a title row (the notice, 统计截至 and the day), two
header rows (each milestone spans its 计划 and 实际 columns), one row per duty. Dates are written as dates and
day counts as numbers, so that they sort and filter; the header rows are frozen and carry the filters, and are
repeated on every printed page (A4 landscape, fitted to the page's width). Overdue rows are filled red, rows at
risk yellow.

Text that a spreadsheet would read as a formula (beginning with =, +, -, @ or a tab) is written as text with
Excel's quote prefix, never as a formula: opinions and titles come from people.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from engine.domain.workflow.ledger import (
    ACTUAL,
    LEADING,
    PLANNED,
    STAGES,
    TRAILING,
    Ledger,
    LedgerRow,
)

SHEET = "督办台账"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
MILESTONE_FORMAT = "mm-dd"  # the cell holds the whole date; the deadline and the title row show the year
TITLE_DATE_FORMAT = 'yyyy"年"m"月"d"日"'
WORKDAYS_FORMAT = '0;"逾期"0;0'  # a number that sorts, read as 逾期 3 when negative
FONT = "宋体"
FIRST_ROW = 4  # after the title row and the two header rows
WIDTHS = (
    (8, 24, 10, 9, 12, 10.5, 10)  # the leading columns
    + (6.5,) * (2 * len(STAGES))
    + (7, 6.5, 26, 20)  # the trailing columns
)
MILESTONES = range(len(LEADING) + 1, len(LEADING) + 2 * len(STAGES) + 1)
LINE = 13.5  # points a line of 10-point text takes
OVERDUE_FILL = PatternFill("solid", fgColor="FFC7CE")
AT_RISK_FILL = PatternFill("solid", fgColor="FFEB9C")
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def write_ledger(ledger: Ledger) -> bytes:
    """Lay the ledger out as an .xlsx workbook and return its bytes."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET
    book.properties.creator = "Banfa"
    book.properties.title = ledger.title
    _title(sheet, ledger)
    _headers(sheet)
    for index, row in enumerate(ledger.rows):
        _row(sheet, FIRST_ROW + index, row)
    _layout(sheet, FIRST_ROW + len(ledger.rows) - 1)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write a value; text is cleaned of characters a workbook cannot hold, and never becomes a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        if text.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def _title(sheet: Worksheet, ledger: Ledger) -> None:
    last = len(WIDTHS)
    title = ledger.title + (f"（{ledger.scope}）" if ledger.scope else "")
    cell = _put(sheet, 1, 1, title)
    cell.font = Font(name=FONT, size=14, bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last - 2)
    label = _put(sheet, 1, last - 1, "统计截至")
    label.font = Font(name=FONT, size=10, bold=True)
    label.alignment = Alignment(horizontal="right", vertical="center")
    day = _put(sheet, 1, last, ledger.as_of)
    day.number_format = TITLE_DATE_FORMAT
    day.font = Font(name=FONT, size=10, bold=True)
    day.alignment = Alignment(horizontal="left", vertical="center")
    sheet.row_dimensions[1].height = 30


def _headers(sheet: Worksheet) -> None:
    """Two header rows: a single column spans both; a milestone spans its 计划 and 实际 columns."""
    column = 1
    for label in LEADING:
        _header(sheet, column, label)
        column += 1
    for stage in STAGES:
        _put(sheet, 2, column, stage)
        _put(sheet, 3, column, PLANNED)
        _put(sheet, 3, column + 1, ACTUAL)
        sheet.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + 1)
        column += 2
    for label in TRAILING:
        _header(sheet, column, label)
        column += 1
    for row in (2, 3):
        for col in range(1, len(WIDTHS) + 1):
            cell = sheet.cell(row=row, column=col)
            cell.font = Font(name=FONT, size=10, bold=True)
            cell.fill = HEADER_FILL
            cell.border = GRID
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[2].height = sheet.row_dimensions[3].height = 2 * LINE


def _header(sheet: Worksheet, column: int, label: str) -> None:
    _put(sheet, 2, column, label)
    sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)


def _row(sheet: Worksheet, number: int, row: LedgerRow) -> None:
    values: Sequence[object] = (
        row.number,
        row.task,
        row.lead,
        row.officer,
        row.co_departments,
        row.deadline,
        row.state,
        *(day for pair in zip(row.planned, row.actual, strict=True) for day in pair),
        row.workdays_left,
        row.risk,
        row.progress,
        row.remarks,
    )
    fill = OVERDUE_FILL if row.overdue else AT_RISK_FILL if row.at_risk else None
    lines = 1
    for column, value in enumerate(values, start=1):
        cell = _put(sheet, number, column, value)
        cell.font = Font(name=FONT, size=10)
        cell.border = GRID
        cell.alignment = Alignment(vertical="center", wrap_text=isinstance(value, str))
        if isinstance(value, dt.date):
            cell.number_format = MILESTONE_FORMAT if column in MILESTONES else DATE_FORMAT
        elif isinstance(value, int):
            cell.number_format = WORKDAYS_FORMAT
        elif isinstance(value, str):
            lines = max(lines, _lines(value, WIDTHS[column - 1]))
        if fill is not None:
            cell.fill = fill
    # Spreadsheets do not all grow a row to its wrapped text when they open a file: give each its height.
    sheet.row_dimensions[number].height = lines * LINE + 3


def _lines(text: str, width: float) -> int:
    """How many lines the text wraps to in a column `width` characters wide (a CJK character is two)."""
    per_line = max(width - 1, 1)
    return sum(
        max(1, math.ceil(sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) / per_line))
        for part in text.split("\n")
    )


def _layout(sheet: Worksheet, last_row: int) -> None:
    """Widths, frozen headers with filters, and the printed page."""
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"C{FIRST_ROW}"
    last = get_column_letter(len(WIDTHS))
    sheet.auto_filter.ref = f"A{FIRST_ROW - 1}:{last}{max(last_row, FIRST_ROW - 1)}"
    sheet.print_title_rows = f"1:{FIRST_ROW - 1}"
    sheet.print_area = f"A1:{last}{max(last_row, FIRST_ROW - 1)}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
