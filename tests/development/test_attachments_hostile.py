"""Portfolio evidence files are checked by content, not by their first bytes: a PDF/HTML polyglot,
HTML in a zip named .docx and broken images are refused with a 422 on `file` (nothing stored); real
PDF, DOCX, XLSX, PNG and JPEG files are accepted and served back as downloads, nosniff, sandboxed."""
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Attachment
from tests.helpers import assert_problem, build_college, login, writing

ICONS = Path(__file__).resolve().parents[2] / "pwa" / "app" / "icons"
ICON, LARGE_ICON = (ICONS / "icon-192.png").read_bytes(), (ICONS / "icon-512.png").read_bytes()


def real_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Certificate of completion")
    return bytes(pdf.output())


def real_xlsx() -> bytes:
    book = Workbook()
    book.active.append(["培训", 40])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>')
DOCUMENT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:body><w:p><w:r><w:t>结业证书</w:t></w:r></w:p></w:body></w:document>')


def a_zip(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def real_docx(**extra) -> bytes:
    return a_zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "word/document.xml": DOCUMENT, **extra})


def real_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (15, 118, 110)).save(out, "JPEG")
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


HTML = b"<html><body><script>fetch('/api/v1/me').then(r => r.text()).then(alert)</script></body></html>\n"


@pytest.fixture
def teacher(app, client):
    college = build_college(students=30)
    me = login(client, college["head_teacher"])
    item = client.post("/api/v1/me/portfolio", headers=writing(me), json={
        "kind": "certificate", "title": "双师资格证书", "occurred_on": "2026-10-20"}).json
    return me, item["id"], login(client, college["dept_admin"])


def upload(client, teacher, name: str, data: bytes):
    me, item, _ = teacher
    return client.post(f"/api/v1/portfolio/{item}/attachments", headers=me, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), name)})


def stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Attachment))


HOSTILE = {
    # %PDF first, so a first-bytes check passes, then a page that runs if a browser sniffs it
    "pdf-html-polyglot": ("证书.pdf", b"%PDF-1.4\n" + HTML + b"1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    "pdf-doctype-polyglot": ("证书.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n<!DOCTYPE html><p>x</p>\n1 0 obj<<>>endobj\n"
                                       b"startxref\n0\n%%EOF\n"),
    "pdf-without-structure": ("证书.pdf", b"%PDF-1.4\n" + b"A" * 100),
    # a zip, so PK\x03\x04 matches, holding a page and nothing of a Word document
    "html-in-zip-docx": ("证书.docx", a_zip({"index.html": HTML.decode()})),
    # a real document with a page beside it
    "docx-with-html-member": ("证书.docx", real_docx(**{"word/evil.html": HTML.decode()})),
    "docx-with-svg-member": ("证书.docx", real_docx(**{"word/media/x.svg": "<svg onload='alert(1)'/>"})),
    "docx-named-xlsx": ("成绩.xlsx", real_docx()),
    "broken-zip-docx": ("证书.docx", b"PK\x03\x04" + b"\x00" * 200),
    "docx-undeclared-document": ("证书.docx", real_docx(**{"[Content_Types].xml": CONTENT_TYPES.replace(
        "wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml")})),
    "png-signature-only": ("照片.png", b"\x89PNG\r\n\x1a\n" + HTML),
    "png-with-html-text-chunk": ("照片.png", ICON[:33] + png_chunk(b"tEXt", b"Comment\x00" + HTML) + ICON[33:]),
    "png-with-trailing-page": ("照片.png", ICON + HTML),
    "png-signature-then-executable": ("照片.png", b"\x89PNG\r\n\x1a\nMZ\x90\x00" + b"\x00" * 200),
    "png-with-a-zip-after-its-end": ("照片.png", LARGE_ICON + real_docx()),   # past the sniffed start
    "png-damaged-crc": ("照片.png", ICON[:29] + b"\x00\x00\x00\x00" + ICON[33:]),
    "jpeg-signature-only": ("照片.jpg", b"\xff\xd8\xff\xe0" + HTML),
    "jpeg-signature-then-executable": ("照片.jpg", b"\xff\xd8\xff\xe0MZ\x90\x00" + b"\x00" * 200),
    "jpeg-truncated": ("照片.jpg", real_jpeg()[:120]),
    "jpeg-html-comment": ("照片.jpg", real_jpeg()[:2] + b"\xff\xfe" + struct.pack(">H", len(HTML) + 2) + HTML
                          + real_jpeg()[2:]),
    "jpeg-without-frame": ("照片.jpg", b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x08\x01\x01\x00\x00?\x00\x00\xff\xd9"),
}


@pytest.mark.parametrize("name,data", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_file_that_is_not_what_it_says_is_refused_and_nothing_is_stored(client, teacher, name, data):
    before = stored()
    problem = assert_problem(upload(client, teacher, name, data), 422)
    assert list(problem["errors"]) == ["file"]
    assert stored() == before


REAL = {
    "pdf": ("结业证书.pdf", real_pdf, "application/pdf"),
    "docx": ("总结.docx", real_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("学时.xlsx", real_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "png": ("照片.png", lambda: ICON, "image/png"),
    "jpeg": ("照片.jpeg", real_jpeg, "image/jpeg"),
}


@pytest.mark.parametrize("name,make,content_type", list(REAL.values()), ids=list(REAL))
def test_real_files_are_accepted_and_served_as_sandboxed_downloads(client, teacher, name, make, content_type):
    data = make()
    sent = upload(client, teacher, name, data)
    assert sent.status_code == 201, sent.json
    downloaded = client.get(f"/api/v1/attachments/{sent.json['id']}", headers=teacher[2])
    assert downloaded.status_code == 200 and downloaded.data == data
    assert downloaded.headers["Content-Type"] == content_type  # the stored type, no charset, no guess
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    assert downloaded.headers["Cache-Control"] == "no-store"
    policy = [d.strip() for d in downloaded.headers["Content-Security-Policy"].split(";")]
    assert "sandbox" in policy and "default-src 'none'" in policy


def test_html_past_the_sniffed_start_of_a_real_pdf_is_its_own_business(client, teacher):
    """A paper about web pages may quote HTML in its text; browsers sniff only the start of a file
    (and this one is served nosniff, as a download, sandboxed), so that is no reason to refuse it.
    (Uncompressed here so the quote is there in plain bytes; real PDFs compress their text.)"""
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    for line in range(60):
        pdf.cell(text=f"Line {line} of the first page of the paper", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.cell(text="Lesson: the <script> and <html> elements")
    data = bytes(pdf.output())
    assert data.find(b"<script>") > 2048
    assert upload(client, teacher, "论文.pdf", data).status_code == 201
