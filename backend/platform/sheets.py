"""The one writer of every spreadsheet and CSV the app produces: nothing in them is live.

Names, titles and notes typed by users end up in files that staff open in Excel, WPS or
LibreOffice. A text that starts with `=`, `+`, `-` or `@` (or a tab or CR before one) would be
read there as a formula (`=HYPERLINK(...)` sends the sheet's data away on a click), and a
control character makes openpyxl refuse the whole file. So every value goes through here:

- **Control characters** (C0 but tab, LF and CR; DEL and C1; lone surrogates) become U+FFFD.
  Input refuses them (schemas/common.py); this is for what was stored before that, so a download
  never fails and the reader sees that something was there.
- **Numbers stay numbers** (a negative number is a number, not a formula); only text is
  neutralised. A *string* "-5" is text and is treated like any other text.
- **XLSX**: text cells are written as text (`data_type` "s", never a formula or an error
  value) and a text starting with a trigger also gets Excel's quote prefix (the cell style an
  apostrophe typed in Excel sets), so it stays text when someone edits the cell. The text
  itself is unchanged, so a scoring sheet still reads back exactly.
- **CSV** has no types: a field starting with a trigger gets a leading apostrophe (OWASP's
  advice), and quoting follows RFC 4180. The file starts with a BOM so Excel reads UTF-8.
"""
import csv
import datetime
import decimal
import io
import re

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_NUMBERS = (int, float, decimal.Decimal)  # bool is an int
_XLSX_KEEP = _NUMBERS + (datetime.date, datetime.time, datetime.timedelta)
_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def clean(text: str) -> str:
    """The text without the characters that break a file (each becomes U+FFFD)."""
    return _CONTROL.sub(REPLACEMENT, text)


def is_trigger(text: str) -> bool:
    """Would a spreadsheet read this text as the start of a formula?"""
    return text.startswith(TRIGGERS)


def inert(value):
    """A value safe for a CSV field: numbers and None as they are, text cleaned and, if it
    starts with a formula trigger, prefixed with an apostrophe."""
    if value is None or isinstance(value, _NUMBERS):
        return value
    text = clean(value if isinstance(value, str) else str(value))
    return "'" + text if is_trigger(text) else text


def csv_bytes(headers: list, rows) -> bytes:
    """A CSV download that Excel opens as UTF-8, every field inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([inert(h) for h in headers])
    writer.writerows([inert(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8


def cell(ws: Worksheet, value) -> Cell:
    """A worksheet cell holding `value` as data, never as a formula."""
    if value is not None and not isinstance(value, _XLSX_KEEP):
        value = clean(value if isinstance(value, str) else str(value))
    c = Cell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # openpyxl would make "=…" a formula and "#N/A" an error value
        if is_trigger(value):
            c.quotePrefix = True
    return c


def append(ws: Worksheet, values) -> None:
    """Add a row at the bottom of the sheet (like `ws.append`), every value inert."""
    ws.append([cell(ws, v) for v in values])


def write_rows(ws: Worksheet, rows) -> None:
    for row in rows:
        append(ws, row)


def sheet_title(text: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return _SHEET_TITLE.sub("_", clean(text)).strip("'")[:31] or "Sheet"
