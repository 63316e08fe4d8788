"""Majors (专业): listed, created and renamed by the school admin, like the other org units."""
from sqlalchemy import func, select

from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Department, Major, User
from backend.platform import audit

INVALID = "请求数据有误 / Invalid request data"


def listing() -> list[dict]:
    counts = dict(db.session.execute(select(ClassGroup.major_id, func.count()).group_by(ClassGroup.major_id)).all())
    majors = db.session.scalars(select(Major).join(Department).order_by(Department.name, Major.name)).all()
    return [{"id": m.id, "name": m.name, "department_id": m.department_id, "department": m.department.name,
             "classes": counts.get(m.id, 0)} for m in majors]


def _check_name(department_id: int, name: str, major_id: int | None = None) -> None:
    # Read for the readable 422; the unique (department_id, name) constraint holds it under a race.
    clash = db.session.scalar(select(Major).where(Major.department_id == department_id,
                                                  func.lower(Major.name) == name.lower(), Major.id != (major_id or 0)))
    if clash is not None:
        raise Problem(422, INVALID, errors={"name": [f"本系部已有专业“{clash.name}” / The department already has "
                                                     f"a major named {clash.name}."]})


def create(actor: User, department_id: int, name: str) -> Major:
    if db.session.get(Department, department_id) is None:
        raise Problem(422, INVALID, errors={"department_id": ["没有这个系部 / No such department."]})
    name = name.strip()
    _check_name(department_id, name)
    major = Major(department_id=department_id, name=name)
    db.session.add(major)
    db.session.flush()
    audit.record(actor.id, "major.create", "major", str(major.id), {"after": {"name": name, "department_id": department_id}})
    return major


def rename(actor: User, major: Major, name: str) -> Major:
    name = name.strip()
    _check_name(major.department_id, name, major.id)
    before = major.name
    major.name = name
    db.session.flush()
    audit.record(actor.id, "major.rename", "major", str(major.id), {"before": {"name": before}, "after": {"name": name}})
    return major


def view(major: Major) -> dict:
    return next(m for m in listing() if m["id"] == major.id)
