"""The one reader of every spreadsheet upload (roster, scoring sheet): bounded before it is parsed.

An .xlsx is a zip of XML. Read naively, a few kilobytes can cost gigabytes: a zip bomb (an
860 KB file that inflates to gigabytes of zeros), or a sheet that declares itself
A1:XFD1048576 so the reader pads every row to 16,384 cells. So an upload is checked in this
order, and refused with a problem (413 too large, 422 not a readable file) before any cost:

1. **Compressed size** (`UPLOAD_MAX_BYTES`).
2. **The zip's directory**, before openpyxl opens it: member count, no absolute, `..` or
   backslash paths, no encrypted members, no nested archives, only stored or deflated members,
   the *sum of declared uncompressed sizes* (`UPLOAD_MAX_UNCOMPRESSED_BYTES`) and each large
   member's compression ratio. Python's zipfile never inflates a member past its declared size
   (a member that lies fails its CRC), so the declared sum bounds everything parsed after it.
3. **Rows and cells**, while reading: openpyxl in read-only mode streams each sheet row by row;
   the sheet's declared dimension is not trusted (`reset_dimensions`), a row is as wide as its
   last cell, and reading stops with a 413 as soon as the file passes `UPLOAD_MAX_ROWS` rows,
   `UPLOAD_MAX_CELLS` cells (empty ones in a row included: parsing them is the cost) or
   `MAX_COLUMNS` columns in a row. XML entities are refused by
   defusedxml, which openpyxl uses when it is installed (it is, in the runtime lock).

A CSV is decoded as UTF-8 (with or without a BOM), else as GB18030 (a superset of GBK, what
Excel on a Chinese Windows saves as "CSV"), else UTF-16 with a BOM; anything else is a 422.
"""
import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from flask import current_app

from backend.errors import Problem

MAX_COLUMNS = 256  # a roster has a dozen; Excel allows 16,384, which is how a 5 KB file pads to gigabytes
MAX_MEMBERS = 1000  # files inside one .xlsx; Excel writes about a dozen
MAX_RATIO = 200  # inflated / compressed, for members over RATIO_FROM bytes; real sheet XML is 5–30
RATIO_FROM = 1 << 20
ARCHIVES = (".zip", ".xlsx", ".xlsm", ".xlsb", ".xls", ".docx", ".pptx", ".jar", ".gz", ".bz2", ".xz",
            ".7z", ".rar", ".tar", ".cab")
UNREADABLE = "无法读取文件 / Cannot read the file"
TOO_LARGE = "文件过大 / The file is too large"


@dataclass
class Sheet:
    name: str
    rows: list[tuple]  # rows[i] is the sheet's row i + 1, trailing empty cells and rows dropped


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed: int
    max_rows: int
    max_cells: int

    @classmethod
    def from_config(cls) -> "Limits":
        c = current_app.config
        return cls(c["UPLOAD_MAX_BYTES"], c["UPLOAD_MAX_UNCOMPRESSED_BYTES"], c["UPLOAD_MAX_ROWS"],
                   c["UPLOAD_MAX_CELLS"])


def _too_large(detail: str) -> Problem:
    return Problem(413, TOO_LARGE, detail)


def _unreadable(detail: str) -> Problem:
    return Problem(422, UNREADABLE, detail, errors={"file": [detail]})


def read_upload(storage, limits: Limits | None = None) -> bytes:
    """The bytes of a werkzeug FileStorage, reading no more than the limit allows."""
    limits = limits or Limits.from_config()
    data = storage.stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise _too_large(f"The file is over {limits.max_bytes // 1024} KB.")
    return data


def read_table(filename: str, data: bytes, limits: Limits | None = None, csv_sheet: str = "CSV") -> list[Sheet]:
    """Every sheet of an .xlsx, or a .csv as one sheet named `csv_sheet`; 415 for anything else."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data, limits)
    if name.endswith(".csv"):
        return [Sheet(csv_sheet, read_csv(data, limits))]
    raise Problem(415, "文件类型不支持 / Unsupported file type", "Upload an .xlsx or a .csv file.")


# ---------------------------------------------------------------- xlsx

def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip that would cost more to open than the limits allow, from its directory alone."""
    if len(data) > limits.max_bytes:
        raise _too_large(f"The file is over {limits.max_bytes // 1024} KB.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise _unreadable(f"不是有效的 .xlsx 文件 / Not a valid .xlsx file ({exc}).") from None
    if len(members) > MAX_MEMBERS:
        raise _too_large(f"The workbook holds {len(members)} parts; at most {MAX_MEMBERS} are read.")
    total = 0
    for info in members:
        name = info.filename
        if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or ":" in name:
            raise _unreadable(f"文件中有异常的路径 / The workbook holds an odd path: {name[:80]!r}.")
        if info.flag_bits & 0x1:
            raise _unreadable("文件已加密 / The workbook is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _unreadable(f"不支持的压缩方式 / Unsupported compression in {name[:80]!r}.")
        if name.lower().endswith(ARCHIVES):
            raise _unreadable(f"文件中嵌套了压缩包 / The workbook holds another archive: {name[:80]!r}.")
        total += info.file_size
        if total > limits.max_uncompressed:
            raise _too_large(f"The workbook unpacks to more than {limits.max_uncompressed // (1 << 20)} MB.")
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _too_large(f"{name[:80]!r} is compressed {info.file_size // max(info.compress_size, 1)}:1; "
                             f"a spreadsheet is not (a zip bomb?).")


def read_xlsx(data: bytes, limits: Limits | None = None) -> list[Sheet]:
    from openpyxl import load_workbook

    limits = limits or Limits.from_config()
    check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 — openpyxl raises many types for a broken file
        raise _unreadable(f"不是有效的 .xlsx 文件 / Not a valid .xlsx file ({type(exc).__name__}).") from None
    counter = _Counter(limits)
    sheets = []
    try:
        for ws in book.worksheets:
            if not hasattr(ws, "reset_dimensions"):  # a chartsheet: no cells
                continue
            ws.reset_dimensions()  # the declared A1:XFD1048576 is not believed
            rows = []
            for row in ws.iter_rows(values_only=True):
                rows.append(counter.take(ws.title, row))
            while rows and not rows[-1]:
                rows.pop()
            sheets.append(Sheet(ws.title, rows))
    except Problem:
        raise
    except Exception as exc:  # noqa: BLE001 — a sheet's XML broken, an entity refused, a CRC that fails
        raise _unreadable(f"不是有效的 .xlsx 文件 / Not a valid .xlsx file ({type(exc).__name__}).") from None
    finally:
        book.close()
    return sheets


class _Counter:
    def __init__(self, limits: Limits):
        self.limits, self.rows, self.cells = limits, 0, 0

    def take(self, sheet: str, row) -> tuple:
        self.rows += 1
        if self.rows > self.limits.max_rows:
            raise _too_large(f"More than {self.limits.max_rows} rows (sheet {sheet!r}); split the file.")
        # Every cell the parser returned counts, empty ones too: parsing is the cost (a sheet of
        # formatted empty cells is as slow to read as one of values).
        if len(row) > MAX_COLUMNS:
            raise _too_large(f"Sheet {sheet!r}, row {self.rows}: more than {MAX_COLUMNS} columns.")
        self.cells += len(row)
        if self.cells > self.limits.max_cells:
            raise _too_large(f"More than {self.limits.max_cells} cells; split the file.")
        end = len(row)
        while end and (row[end - 1] is None or row[end - 1] == ""):
            end -= 1
        return tuple(row[:end])


# ---------------------------------------------------------------- csv

def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM or none), else UTF-16 with its BOM, else GB18030 (covers GBK and GB2312)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _unreadable("无法识别文件编码，请另存为 UTF-8 的 CSV / Unknown text encoding; save the CSV as UTF-8.")


def read_csv(data: bytes, limits: Limits | None = None) -> list[tuple]:
    limits = limits or Limits.from_config()
    if len(data) > limits.max_bytes:
        raise _too_large(f"The file is over {limits.max_bytes // 1024} KB.")
    text = decode_text(data)
    if "\x00" in text:
        raise _unreadable("文件中有空字符，不是文本文件 / The file holds NUL characters: not a text file.")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    counter = _Counter(limits)
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(counter.take("CSV", row))
    except csv.Error as exc:
        raise _unreadable(f"CSV 格式有误 / Malformed CSV ({exc}).") from None
    while rows and not rows[-1]:
        rows.pop()
    return rows


# ---------------------------------------------------------------- reading the cells of an import

HEADER_SCAN = 10  # an import's header is looked for in this many rows: title rows and notes come first
_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")


def cell_text(value) -> str:
    """A cell as text: a whole float (Excel's 2024010101.0) without its ".0", trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def header_key(value) -> str:
    """A header as compared: brackets (必填, 班级/系部/学校…), stars and colons dropped, spaces and case folded."""
    text = _BRACKETS.sub("", unicodedata.normalize("NFKC", cell_text(value)))
    text = text.replace("*", "").replace(":", "")
    return " ".join(text.lower().split())
