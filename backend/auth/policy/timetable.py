"""Courses and the timetable (issue 16): the school admin keeps them; teachers and classes read theirs.

A timetable is no secret inside the school: any staff member may read a term's offerings and
timetable; a student reads their own class's week (`/me/timetable`). An offering is taught, and its
meetings opened as sessions, by its own teacher only.
"""
from sqlalchemy import select

from backend.auth.policy.core import STAFF_ROLES, has_role, roles_over_class
from backend.auth.roles import Role
from backend.extensions import db
from backend.models import ClassGroup, CourseOffering, OfferingClass, TimetableSlot, User

TIMETABLE = "timetable"  # the term's offerings, slots, calendar and the import (a Resource)


def _school_admin(user: User, _) -> bool:
    return has_role(user, Role.SCHOOL_ADMIN)


def _staff(user: User, _) -> bool:
    return any(g.role in STAFF_ROLES for g in user.grants)


def sees_offering(user: User, offering: CourseOffering) -> bool:
    """Its teacher, the school admin, and staff holding a role over one of its classes."""
    if user.id == offering.teacher_id or has_role(user, Role.SCHOOL_ADMIN):
        return True
    classes = db.session.scalars(select(ClassGroup).join(OfferingClass, OfferingClass.class_id == ClassGroup.id)
                                 .where(OfferingClass.offering_id == offering.id))
    return any(roles_over_class(user, c) - {Role.STUDENT} for c in classes)


def teaches(user: User, slot: TimetableSlot) -> bool:
    return db.session.get(CourseOffering, slot.offering_id).teacher_id == user.id


def _sees_slot(user: User, slot: TimetableSlot) -> bool:
    return sees_offering(user, db.session.get(CourseOffering, slot.offering_id))


RULES = {
    (TIMETABLE, "view"): _staff,
    (TIMETABLE, "edit"): _school_admin,
    (CourseOffering, "view"): sees_offering,
    (CourseOffering, "edit"): lambda u, o: _school_admin(u, o),
    (TimetableSlot, "view"): _sees_slot,
    (TimetableSlot, "teach"): teaches,
    (TimetableSlot, "edit"): lambda u, s: _school_admin(u, s),
}
