from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.extensions import db
from backend.models import ClassGroup, Department, StudentProfile, Term
from backend.org import directory
from backend.platform import clock
from backend.schemas.auth import StudentOut
from backend.schemas.org import ClassOut, DepartmentOut, TermIn, TermOut
from backend.valuecard import catalogue

blp = Blueprint("org", __name__, url_prefix="/api/v1", description="Departments, classes, students, terms")


@blp.get("/departments")
@blp.response(200, DepartmentOut(many=True))
@login_required
def departments():
    return directory.visible_departments(current_user)


@blp.get("/departments/<int:dept_id>")
@blp.response(200, DepartmentOut)
@login_required
def department(dept_id):
    dept = db.session.get(Department, dept_id)
    authorize(current_user, "view", dept)
    return dept


@blp.get("/classes")
@blp.response(200, ClassOut(many=True))
@login_required
def classes():
    return directory.visible_classes(current_user)


@blp.get("/classes/<int:class_id>")
@blp.response(200, ClassOut)
@login_required
def class_detail(class_id):
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "view", cls)
    return cls


@blp.get("/classes/<int:class_id>/students")
@blp.response(200, StudentOut(many=True))
@login_required
def class_students(class_id):
    cls = db.session.get(ClassGroup, class_id)
    authorize(current_user, "view_roster", cls)
    return [profile for profile, _user in directory.class_students(cls)]


@blp.get("/students/<int:student_id>")
@blp.response(200, StudentOut)
@login_required
def student(student_id):
    profile = db.session.get(StudentProfile, student_id)
    authorize(current_user, "view", profile)
    return profile


@blp.get("/terms")
@blp.response(200, TermOut(many=True))
@login_required
def terms():
    authorize(current_user, "view", Resource.TERMS)
    return db.session.scalars(db.select(Term).order_by(Term.starts_on)).all()


@blp.get("/terms/current")
@blp.response(200, TermOut)
@login_required
def current_term():
    return directory.current_term(clock.school_today())


@blp.post("/terms")
@blp.arguments(TermIn)
@blp.response(201, TermOut)
@login_required
def create_term(body):
    """Create a term; it inherits the latest earlier term's catalogue."""
    authorize(current_user, "edit", Resource.TERMS)
    term = directory.create_term(body)
    catalogue.ensure_version(term)
    db.session.commit()
    return term
