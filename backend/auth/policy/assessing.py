"""The department's assessing diagnosis of a teacher's year and the department's teacher summary.

Only the teacher's own department admins write and read an assessing diagnosis; the teacher reads
it once it is agreed (a draft is the department's working paper). Names of teachers are for the
department admin; a school admin sees the department's counts.
"""
from backend.auth.policy.core import roles_over_department, roles_over_person
from backend.auth.roles import Role
from backend.models import AssessingDiagnosis, Department, User


def _assessor(user: User, a: AssessingDiagnosis) -> bool:
    if user.id == a.teacher_id:
        return False  # nobody assesses their own year
    roles, student = roles_over_person(user, a.teacher_id)
    return not student and Role.DEPT_ADMIN in roles


def _reader(user: User, a: AssessingDiagnosis) -> bool:
    return (a.teacher_id == user.id and a.status == "agreed") or _assessor(user, a)


RULES = {
    (AssessingDiagnosis, "view"): _reader,
    (AssessingDiagnosis, "assess"): _assessor,
    (Department, "assess_teachers"): lambda u, d: Role.DEPT_ADMIN in roles_over_department(u, d),
    (Department, "view_teacher_summary"): lambda u, d: bool(roles_over_department(u, d)
                                                           & {Role.DEPT_ADMIN, Role.SCHOOL_ADMIN}),
}
