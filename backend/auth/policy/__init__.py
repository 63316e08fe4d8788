"""The one authorization policy: who may do what to which object.

Every rule lives here, one module per domain; services and endpoints ask, they keep no role tables
of their own. `can(user, action, obj)` answers yes or no; `authorize(user, action, obj)` answers an
object the user may not even see with 404 (its existence does not leak: a foreign object, another
scorer's entry) and a visible object with a forbidden action with 403. Checks come before any
audit row: a refused read is not a read.

    core         scopes (roles over a class, department, person), can/authorize, the non-row resources
    org          classes, departments, students, terms, roster, catalogue, audit log
    development  plans, self-diagnosis, self-assessment, portfolio
    valuecard    scoring and reversing, class sessions, check-in, leave
    alerts       warnings, warning rules, special groups
    reporting    class, department and school reports
"""
from backend.auth.policy import alerts, development, org, reporting, valuecard
from backend.auth.policy import assessing as assessing_rules
from backend.auth.policy import teacher_warnings as teacher_warning_rules
from backend.auth.policy import timetable as timetable_rules
from backend.auth.policy.core import (
    RULES,
    SENSITIVE_READERS,
    STAFF_ROLES,
    Resource,
    authorize,
    can,
    has_role,
    is_student,
    roles_over_class,
    roles_over_department,
    roles_over_person,
    roles_over_student,
)

for _module in (org, development, valuecard, alerts, reporting):
    RULES.update(_module.RULES)
RULES.update(timetable_rules.RULES)  # issue 16: courses and the timetable
RULES.update(assessing_rules.RULES)  # issue 20: the department's assessing diagnosis
RULES.update(teacher_warning_rules.RULES)  # issue 20: teacher warnings, the department admins only

__all__ = ["RULES", "SENSITIVE_READERS", "STAFF_ROLES", "Resource", "alerts", "authorize", "can", "development",
           "has_role", "is_student", "org", "reporting", "roles_over_class", "roles_over_department",
           "roles_over_person", "roles_over_student", "valuecard"]
