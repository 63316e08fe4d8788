import io

from flask import request, send_file
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import KEY_DOC, answers, disposition, once
from backend.auth.current import login_required
from backend.auth.policy import authorize
from backend.development import portfolio
from backend.errors import Problem
from backend.extensions import db
from backend.models import Attachment, PortfolioItem, StaffProfile
from backend.schemas.development import AttachmentOut, PortfolioIn, PortfolioOut

blp = Blueprint("portfolio", __name__, url_prefix="/api/v1", description="A teacher's growth portfolio")


def _item(item_id: int, action: str) -> PortfolioItem:
    item = db.session.get(PortfolioItem, item_id)
    authorize(current_user, action, item)
    return item


def _attachment(attachment_id: int, action: str) -> Attachment:
    found = db.session.get(Attachment, attachment_id)
    if found is None:
        raise Problem(404, "未找到 / Not found")
    _item(found.item_id, action)
    return found


@blp.get("/me/portfolio")
@blp.response(200, PortfolioOut(many=True))
@login_required
def my_portfolio():
    return portfolio.items(current_user.id)


@blp.get("/teachers/<int:teacher_id>/portfolio")
@blp.response(200, PortfolioOut(many=True))
@login_required
def teacher_portfolio(teacher_id):
    """A teacher's evidence, for the teacher and their department admin."""
    authorize(current_user, "view", db.session.get(StaffProfile, teacher_id))
    return portfolio.items(teacher_id)


@blp.post("/me/portfolio")
@blp.arguments(PortfolioIn)
@blp.response(201, PortfolioOut)
@blp.doc(**KEY_DOC)
@login_required
def add_item(body):
    """An honour, paper, project, certificate, training or industry practice (with hours)."""
    return once("portfolio", body, lambda: portfolio.add(current_user, body), PortfolioOut, 201)


@blp.delete("/portfolio/<int:item_id>")
@blp.response(204)
@login_required
def delete_item(item_id):
    db.session.delete(_item(item_id, "edit"))
    db.session.commit()


@blp.post("/portfolio/<int:item_id>/attachments")
@blp.response(201, AttachmentOut)
@login_required
def upload(item_id):
    """Evidence as a multipart `file`: PDF, PNG, JPEG, DOCX or XLSX, at most 5 MB. The same file
    sent twice to the same item is kept once."""
    item = _item(item_id, "edit")
    sent = request.files.get("file")
    if sent is None:
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"file": ["请选择文件 / Choose a file."]})
    attachment = portfolio.attach(item, sent.filename or "", sent.read(portfolio.MAX_BYTES + 1))
    db.session.commit()
    return attachment


@blp.get("/attachments/<int:attachment_id>")
@answers(blp, *sorted({media for _, media in portfolio.TYPES.values()}), description="The file, its stored type")
@login_required
def download(attachment_id):
    """The file as it was stored: always a download (never shown in the page), its stored type and no
    other (nosniff), and sandboxed should a browser render it anyway; never cached (no-store)."""
    found = _attachment(attachment_id, "view")
    response = send_file(io.BytesIO(found.data), mimetype=found.content_type, as_attachment=True,
                         download_name="file", conditional=False, etag=False, last_modified=None)
    response.headers["Content-Disposition"] = disposition(found.filename)  # a user's file name, safely encoded
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.delete("/attachments/<int:attachment_id>")
@blp.response(204)
@login_required
def delete_attachment(attachment_id):
    db.session.delete(_attachment(attachment_id, "edit"))
    db.session.commit()
