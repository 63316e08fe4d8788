"""The roles of docs/DOMAIN.md §1 and the org units a grant of each may be scoped to."""
from enum import StrEnum


class Role(StrEnum):
    STUDENT = "student"
    HEAD_TEACHER = "head_teacher"
    COURSE_TEACHER = "course_teacher"
    COUNSELLOR = "counsellor"
    STUDENT_AFFAIRS = "student_affairs"
    TEACHING_OFFICE = "teaching_office"
    PE_TEACHER = "pe_teacher"
    DEPT_ADMIN = "dept_admin"
    SCHOOL_ADMIN = "school_admin"


class Scope(StrEnum):
    CLASS = "class"
    DEPARTMENT = "department"
    SCHOOL = "school"


ALLOWED_SCOPES: dict[Role, set[Scope]] = {
    Role.HEAD_TEACHER: {Scope.CLASS},
    Role.COURSE_TEACHER: {Scope.CLASS},
    Role.PE_TEACHER: {Scope.CLASS, Scope.DEPARTMENT},
    Role.COUNSELLOR: {Scope.CLASS, Scope.DEPARTMENT},
    Role.STUDENT_AFFAIRS: {Scope.DEPARTMENT, Scope.SCHOOL},
    Role.TEACHING_OFFICE: {Scope.DEPARTMENT, Scope.SCHOOL},
    Role.DEPT_ADMIN: {Scope.DEPARTMENT},
    Role.SCHOOL_ADMIN: {Scope.SCHOOL},
}

ROLE_NAMES_ZH = {
    Role.STUDENT: "学生", Role.HEAD_TEACHER: "班主任", Role.COURSE_TEACHER: "任课教师",
    Role.COUNSELLOR: "辅导员", Role.STUDENT_AFFAIRS: "学工办", Role.TEACHING_OFFICE: "教研室",
    Role.PE_TEACHER: "体育老师", Role.DEPT_ADMIN: "系部管理员", Role.SCHOOL_ADMIN: "学校管理员",
}
