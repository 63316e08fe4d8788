"""Need-to-know reads of a student's or a class's data (docs/DESIGN.md decision 7).

Discipline, mental-health and finance points are shown only to the student and to
the roles that act on them; every such read by staff is written to the audit log.
"""
from backend.auth.policy import SENSITIVE_READERS, authorize, roles_over_class
from backend.extensions import db
from backend.models import ClassGroup, StudentProfile, User
from backend.platform import audit


def student(viewer: User, student_id: int, purpose: str) -> tuple[StudentProfile, bool]:
    """The student, if the viewer may see them, and whether sensitive points are shown (audited)."""
    profile = db.session.get(StudentProfile, student_id)
    authorize(viewer, "view", profile)
    if profile.user_id == viewer.id:
        return profile, True
    sensitive = bool(roles_over_class(viewer, db.session.get(ClassGroup, profile.class_id)) & SENSITIVE_READERS)
    if sensitive:
        audit.sensitive_read(viewer.id, "student", str(student_id), purpose)
    return profile, sensitive


def class_group(viewer: User, class_id: int, purpose: str) -> tuple[ClassGroup, bool]:
    """The class, if the viewer works with it, and whether sensitive class points are shown (audited)."""
    cls = db.session.get(ClassGroup, class_id)
    authorize(viewer, "view_roster", cls)
    sensitive = bool(roles_over_class(viewer, cls) & SENSITIVE_READERS)
    if sensitive:
        audit.sensitive_read(viewer.id, "class", str(class_id), purpose)
    return cls, sensitive
