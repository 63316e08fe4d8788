"""The organisation: school → department → major → class, terms, courses."""
from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base


class School(Base):
    __tablename__ = "school"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))


class Major(Base):
    __tablename__ = "major"
    __table_args__ = (UniqueConstraint("department_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    department: Mapped[Department] = relationship(lazy="joined")


class ClassGroup(Base):
    """A class (班级). Named ClassGroup because `class` is a Python keyword."""

    __tablename__ = "class_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major.id"), index=True)
    # Denormalised from major so that scope checks and department reports need no join.
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    entry_year: Mapped[int]
    head_teacher_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    major: Mapped[Major] = relationship(lazy="joined")


class Term(Base):
    """A semester (学期) of an academic year (学年), e.g. 2026-2027 semester 1."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("school_id", "academic_year", "semester"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    academic_year: Mapped[str] = mapped_column(String(9))  # "2026-2027"
    semester: Mapped[int]  # 1 or 2
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    @property
    def weeks(self) -> int:
        return ((self.ends_on - self.starts_on).days // 7) + 1

    def week_of(self, day: date) -> int:
        """Teaching week number (1-based) of a day inside the term."""
        return (day - self.starts_on).days // 7 + 1

    @property
    def name(self) -> str:
        return f"{self.academic_year} 第{self.semester}学期"

    @property
    def name_en(self) -> str:
        return f"{self.academic_year} semester {self.semester}"


class Course(Base):
    __tablename__ = "course"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class TeachingAssignment(Base):
    """Who teaches which course to which class in which term."""

    __tablename__ = "teaching_assignment"
    __table_args__ = (UniqueConstraint("teacher_id", "class_id", "course_id", "term_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("class_group.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
