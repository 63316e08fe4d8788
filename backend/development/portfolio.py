"""A teacher's growth portfolio (成长电子档案袋, seed 000): honours, papers, projects,
certificates, training hours and industry practice, each with its evidence files."""
import hashlib
import io
import re
import struct
import zipfile
import zlib

from sqlalchemy import select

from backend.auth.policy import Resource, can
from backend.errors import Problem
from backend.extensions import db
from backend.models import Attachment, PortfolioItem, User

KINDS = ("honour", "paper", "project", "certificate", "training", "industry_practice")
MAX_BYTES = 5 * 1024 * 1024
# What a file's first bytes must be for its extension: a renamed executable is refused. Past the
# first bytes, `check` reads the file's structure (below).
TYPES = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# A browser that sniffs a file's type reads its first 1,445 bytes (WHATWG MIME Sniffing, "resource
# header"); a file with HTML there can be taken for a page: a PDF/HTML or JPEG/HTML polyglot.
# Attachments are served with nosniff, as downloads and sandboxed, but a copy may end up somewhere
# that sniffs, so no evidence file carries markup there. Markers of five or more characters, which
# compressed or binary data does not produce by chance (and which PDF, XMP and EXIF never use).
SNIFF_WINDOW = 2048
HTML_MARKERS = re.compile(rb"<(?:!doctype|html|head|body|script|iframe|svg|style|title|meta|img|object|embed|form"
                          rb"|div)[\s/>]|<a\s+href\s*=", re.I)
# Office files are zips: the parts that make one a document or a workbook, and members a
# browser or the desktop would run or render as a page if the zip were unpacked.
OFFICE_PARTS = {
    ".docx": ("word/document.xml", b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    ".xlsx": ("xl/workbook.xml", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
ACTIVE_MEMBERS = (".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".js", ".hta")
MAX_CONTENT_TYPES = 1024 * 1024  # [Content_Types].xml is a few KB; it is the one member read
NAMES = {".pdf": "PDF", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".docx": "DOCX", ".xlsx": "XLSX"}


def items(owner_id: int) -> list[PortfolioItem]:
    return db.session.scalars(select(PortfolioItem).where(PortfolioItem.owner_id == owner_id)
                              .order_by(PortfolioItem.occurred_on.desc(), PortfolioItem.id.desc())).all()


def add(owner: User, body: dict) -> PortfolioItem:
    if not can(owner, "add", Resource.PORTFOLIO):
        raise Problem(403, "无权操作 / Not allowed", "The growth portfolio is a teacher's.")
    item = PortfolioItem(owner_id=owner.id, **body)
    db.session.add(item)
    db.session.flush()
    return item


def _refuse(message: str) -> Problem:
    return Problem(422, "请求数据有误 / Invalid request data", errors={"file": [message]})


def attach(item: PortfolioItem, filename: str, data: bytes) -> Attachment:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in TYPES or not data.startswith(TYPES[ext][0]):
        raise _refuse("只接受 PDF、PNG、JPEG、DOCX、XLSX 文件 / Only PDF, PNG, JPEG, DOCX and XLSX files are accepted.")
    if len(data) > MAX_BYTES:
        raise Problem(413, "文件过大 / File too large", f"At most {MAX_BYTES // 1024 // 1024} MB per file.")
    check(ext, data)
    digest = hashlib.sha256(data).hexdigest()
    same = next((a for a in item.attachments if a.sha256 == digest), None)
    if same is not None:  # a retried upload
        return same
    attachment = Attachment(item_id=item.id, filename=name, content_type=TYPES[ext][1], size=len(data),
                            sha256=digest, data=data)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def check(ext: str, data: bytes) -> None:
    """Refuse (422 on `file`) a file whose content is not what its extension says, read by its
    structure rather than its first bytes, or that carries HTML where a browser sniffs."""
    if HTML_MARKERS.search(data[:SNIFF_WINDOW]):
        raise _refuse("文件开头含有网页代码（HTML） / The file carries web page code (HTML) at its start.")
    valid = {".pdf": _pdf, ".png": _png, ".jpg": _jpeg, ".jpeg": _jpeg}.get(ext)
    problem = valid(data) if valid else _office(ext, data)
    if problem:
        raise _refuse(f"不是有效的 {NAMES[ext]} 文件 / Not a valid {NAMES[ext]} file: {problem}.")


PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")
PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")


def _pdf(data: bytes) -> str | None:
    """A PDF names its version, holds numbered objects and ends (within the last KB, as readers
    allow) with %%EOF after its cross-reference pointer or trailer."""
    if not PDF_HEADER.match(data):
        return "no version header"
    tail = data[-1024:]
    if b"%%EOF" not in tail or (b"startxref" not in tail and b"trailer" not in tail):
        return "no trailer"
    if not PDF_OBJECT.search(data) or b"endobj" not in data:
        return "no objects"
    return None


PNG_COLOUR_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


def _png(data: bytes) -> str | None:
    """Every chunk's length and CRC; IHDR first with a real size and colour type, image data, IEND last."""
    at, seen = 8, []
    while at < len(data):
        if at + 12 > len(data):
            return "a truncated chunk"
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if length > len(data) or len(body) != length or at + 12 + length > len(data):
            return "a truncated chunk"
        if struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] != zlib.crc32(kind + body):
            return f"a damaged {kind.decode('latin-1')!r} chunk"
        if not seen:
            if kind != b"IHDR" or length != 13:
                return "no IHDR header chunk"
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if not (0 < width < 2**31 and 0 < height < 2**31) or depth not in PNG_COLOUR_DEPTHS.get(colour, ()):
                return "an impossible image header"
        seen.append(kind)
        at += 12 + length
        if kind == b"IEND":
            break
    if not seen or seen[-1] != b"IEND" or at != len(data):
        return "no IEND at its end"
    if b"IDAT" not in seen:
        return "no image data"
    return None


# Start-of-frame markers (baseline, progressive, lossless, arithmetic), not DHT (C4), JPG (C8), DAC (CC).
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> str | None:
    """The marker segments from SOI to the start of scan, with a frame header (size, components)
    before it, and an end-of-image marker after it."""
    at, frame = 2, False
    while True:
        if at + 4 > len(data) or data[at] != 0xFF:
            return "a broken marker segment"
        while data[at + 1] == 0xFF and at + 5 < len(data):  # fill bytes
            at += 1
        marker = data[at + 1]
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            at += 2
            continue
        if marker in (0xD8, 0xD9, 0x00):
            return "a misplaced marker"
        length = struct.unpack(">H", data[at + 2:at + 4])[0]
        segment = data[at + 4:at + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return "a truncated segment"
        if marker in JPEG_FRAMES:
            if len(segment) < 6:
                return "a truncated frame header"
            precision, height, width, components = struct.unpack(">BHHB", segment[:6])
            if precision not in (8, 12, 16) or width == 0 or not 1 <= components <= 4 \
                    or length != 8 + 3 * components:
                return "an impossible frame header"
            frame = True
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            if not frame:
                return "no frame header"
            return None if b"\xff\xd9" in data[at + 2 + length:] else "no end of image"
        at += 2 + length


def _office(ext: str, data: bytes) -> str | None:
    """A zip whose central directory lists the document's main part and [Content_Types].xml,
    which declares that part; no member that would render or run as a page. Only the content
    types (at most 1 MB) are decompressed."""
    main, content_type = OFFICE_PARTS[ext]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            active = sorted(n for n in names if n.lower().rstrip("/").endswith(ACTIVE_MEMBERS))
            if active:
                return f"it holds {active[0]!r}"
            if "[Content_Types].xml" not in names or main not in names:
                return f"no {main}"
            types = archive.getinfo("[Content_Types].xml")
            if types.file_size > MAX_CONTENT_TYPES or types.flag_bits & 0x1:
                return "an unreadable [Content_Types].xml"
            with archive.open(types) as f:
                declared = f.read(MAX_CONTENT_TYPES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError,
            zlib.error):
        return "not a readable zip"
    if len(declared) > MAX_CONTENT_TYPES or content_type not in declared:
        return f"[Content_Types].xml does not declare {main}"
    return None


def summary(found: list[PortfolioItem]) -> dict:
    """Counts per kind and hours of training and industry practice (the yearly report's evidence)."""
    return {"count": {k: sum(1 for i in found if i.kind == k) for k in KINDS},
            "training_hours": sum(i.hours or 0 for i in found if i.kind == "training"),
            "industry_hours": sum(i.hours or 0 for i in found if i.kind == "industry_practice")}
