from flask import current_app, jsonify, url_for
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.common import KEY_DOC, answers, download, once, uploaded
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.errors import Problem
from backend.extensions import db
from backend.jobs import roster as roster_jobs
from backend.models import StudentProfile
from backend.org import onboarding, roster
from backend.reporting import slips
from backend.schemas.common import StrictSchema
from backend.schemas.org import (
    PasswordResetOut,
    RosterImportJobOut,
    RosterImportOut,
    SlipsOut,
    SlipsQuery,
)

blp = Blueprint("roster", __name__, url_prefix="/api/v1", description="Student and staff roster import, initial passwords")

class TemplateQuery(StrictSchema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    kind = fields.String(load_default="students", validate=validate.OneOf(["students", "staff"]))


@blp.post("/roster/import")
@blp.response(200, RosterImportOut)
@blp.alt_response(202, schema=RosterImportJobOut, description="A large import, running as a background job")
@login_required
def import_roster():
    """Upload an .xlsx (sheets 学生 and 教职工) or a .csv as multipart field `file`.

    All or nothing: any bad sheet, row or column answers 422 listing every sheet, row, column
    and message (zh-CN and English), and nothing is written. The header may sit below title
    rows; columns such as 序号 or 身份证号 are read past, not imported; any other unknown column,
    and any sheet without a student or staff header that is not empty, is refused. A CSV may be
    UTF-8 (with or without BOM), GBK/GB18030 or UTF-16. Files over the upload limits answer 413.
    Re-importing the same file changes nothing. New accounts get a random initial password,
    returned once, which must be changed at first login. An import creating more than
    ROSTER_JOB_ACCOUNTS accounts answers 202 with a status URL (GET /roster/imports/{id}) where
    its progress and then its result or errors appear.
    """
    authorize(current_user, "import", Resource.ROSTER)
    filename, data = uploaded()
    parsed, checked = roster.prepare(filename, data)  # a bad file is a 422 now, never in a job
    if len(roster.new_accounts(checked)) > current_app.config["ROSTER_JOB_ACCOUNTS"]:
        job_id = roster_jobs.start(filename, data, current_user.id)
        if job_id is not None:  # None: no Redis, so the import runs here, as below
            body = roster_jobs.status(job_id, current_user.id) or {"id": job_id, "status": "queued"}
            body["status_url"] = url_for("roster.import_status", job_id=job_id)
            response = jsonify(RosterImportJobOut().dump(body))
            response.status_code = 202
            response.headers["Location"] = body["status_url"]
            return response
    return roster.import_roster(filename, data, current_user.id, parsed=parsed)


@blp.get("/roster/imports/<string:job_id>")
@blp.response(200, RosterImportJobOut)
@login_required
def import_status(job_id):
    """A background import's progress, then its result (as the synchronous import answers it,
    initial passwords included) or its problem. Only the user who started it may read it."""
    authorize(current_user, "import", Resource.ROSTER)
    body = roster_jobs.status(job_id, current_user.id)
    if body is None:
        raise Problem(404, "未找到 / Not found", "No such import.")
    body["status_url"] = url_for("roster.import_status", job_id=job_id)
    return body


@blp.get("/roster/template")
@blp.arguments(TemplateQuery, location="query")
@answers(blp, "csv", "xlsx", description="The template, as `format` asks")
@login_required
def template(query):
    """The import template, with one example row per sheet."""
    authorize(current_user, "import", Resource.ROSTER)
    if query["format"] == "xlsx":
        return download(roster.template_xlsx(), "xlsx", "spiral-roster-template")
    return download(roster.template_csv(query["kind"]), "csv", f"spiral-{query['kind']}-template")


@blp.get("/roster/slips/<string:slips_id>")
@blp.arguments(SlipsQuery, location="query")
@blp.response(200, SlipsOut)
@answers(blp, "pdf", "xlsx", description="The slips: PDF to print and cut, or XLSX")
@login_required
def initial_passwords(query, slips_id):
    """New accounts' initial passwords (an import's, a reset's), for a short time after they were
    made and only to the user who made them; anyone else, or later, gets 404. Audited."""
    found = onboarding.fetch(slips_id, current_user.id, query["format"])
    if query["format"] == "json":
        return found
    body = slips.to_pdf(found["slips"]) if query["format"] == "pdf" else slips.to_xlsx(found["slips"])
    return download(body, query["format"], "spiral-initial-passwords")


@blp.post("/students/<int:student_id>/password-reset")
@blp.response(200, PasswordResetOut)
@blp.doc(**KEY_DOC)
@login_required
def reset_password(student_id):
    """A new initial password for a student (school admin: any; head teacher: own class), to be
    changed at next login; the student's sessions end. The password is fetched from the slips."""
    profile = db.session.get(StudentProfile, student_id)
    authorize(current_user, "reset_password", profile)
    return once(f"password-reset:{student_id}", {}, lambda: {
        "student_id": student_id, "slips_id": onboarding.reset_password(current_user.id, profile)}, PasswordResetOut)
