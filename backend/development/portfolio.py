"""A teacher's growth portfolio (成长电子档案袋, seed 000): honours, papers, projects,
certificates, training hours and industry practice, each with its evidence files."""
import hashlib

from sqlalchemy import select

from backend.auth.policy import Resource, can
from backend.errors import Problem
from backend.extensions import db
from backend.models import Attachment, PortfolioItem, User

KINDS = ("honour", "paper", "project", "certificate", "training", "industry_practice")
MAX_BYTES = 5 * 1024 * 1024
# What a file's first bytes must be for its extension: a renamed executable is refused.
TYPES = {
    ".pdf": (b"%PDF-", "application/pdf"),
    ".png": (b"\x89PNG\r\n\x1a\n", "image/png"),
    ".jpg": (b"\xff\xd8\xff", "image/jpeg"),
    ".jpeg": (b"\xff\xd8\xff", "image/jpeg"),
    ".docx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": (b"PK\x03\x04", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


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


def attach(item: PortfolioItem, filename: str, data: bytes) -> Attachment:
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in TYPES or not data.startswith(TYPES[ext][0]):
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"file": [
            "只接受 PDF、PNG、JPEG、DOCX、XLSX 文件 / Only PDF, PNG, JPEG, DOCX and XLSX files are accepted."]})
    if len(data) > MAX_BYTES:
        raise Problem(413, "文件过大 / File too large", f"At most {MAX_BYTES // 1024 // 1024} MB per file.")
    digest = hashlib.sha256(data).hexdigest()
    same = next((a for a in item.attachments if a.sha256 == digest), None)
    if same is not None:  # a retried upload
        return same
    attachment = Attachment(item_id=item.id, filename=name, content_type=TYPES[ext][1], size=len(data),
                            sha256=digest, data=data)
    db.session.add(attachment)
    db.session.flush()
    return attachment


def summary(found: list[PortfolioItem]) -> dict:
    """Counts per kind and hours of training and industry practice (the yearly report's evidence)."""
    return {"count": {k: sum(1 for i in found if i.kind == k) for k in KINDS},
            "training_hours": sum(i.hours or 0 for i in found if i.kind == "training"),
            "industry_hours": sum(i.hours or 0 for i in found if i.kind == "industry_practice")}
