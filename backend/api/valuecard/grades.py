"""Course grades imported from the academic-affairs system (教务系统), previewed, then applied."""
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import answers, download, uploaded
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.extensions import db
from backend.org import directory
from backend.schemas.grades import GradeImportOut, GradeImportQuery, GradeTemplateQuery
from backend.valuecard import grade_import

blp = Blueprint("grades", __name__, url_prefix="/api/v1", description="Course grades from the academic-affairs export")


@blp.post("/grades/import")
@blp.arguments(GradeImportQuery, location="query")
@blp.response(200, GradeImportOut)
@login_required
def import_grades(query):
    """Upload the export (.xlsx or .csv, multipart field `file`): 课程代码, 学号, 成绩 (0–100 or
    优/良/中/及格/不及格), optional 课程名称, 姓名, 学分, 补考成绩. `preview=true` checks and counts, writing
    nothing. All or nothing: any bad row answers 422 listing every row, column, student and course
    (an unknown course code or student number among them). Re-importing the same file changes nothing;
    a changed grade replaces the stored one and the card and rollups follow. The teaching office and
    the school admin import for their classes, a course teacher for the courses they teach."""
    authorize(current_user, "import", Resource.GRADES)
    filename, data = uploaded()
    term = directory.term_or_current(query["term_id"])
    if query["preview"]:
        return grade_import.preview(current_user, term, filename, data)
    answer = grade_import.import_grades(current_user, term, filename, data)
    db.session.commit()
    return answer


@blp.get("/grades/template")
@blp.arguments(GradeTemplateQuery, location="query")
@answers(blp, "csv", "xlsx", description="The template, as `format` asks")
@login_required
def template(query):
    """The grades template, with one example row."""
    authorize(current_user, "import", Resource.GRADES)
    if query["format"] == "xlsx":
        return download(grade_import.template_xlsx(), "xlsx", "spiral-grades-template")
    return download(grade_import.template_csv(), "csv", "spiral-grades-template")
