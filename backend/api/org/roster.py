from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate

from backend.api.common import download
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.errors import Problem
from backend.org import roster
from backend.schemas.common import StrictSchema

blp = Blueprint("roster", __name__, url_prefix="/api/v1/roster", description="Student and staff roster import")



class TemplateQuery(StrictSchema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    kind = fields.String(load_default="students", validate=validate.OneOf(["students", "staff"]))


@blp.post("/import")
@blp.response(200)
@login_required
def import_roster():
    """Upload an .xlsx (sheets 学生 and 教职工) or a .csv as multipart field `file`.

    All or nothing: any bad row answers 422 listing every row, column and
    message (zh-CN and English), and nothing is written. Re-importing the same
    file changes nothing. New accounts get a random initial password, returned
    once here, which must be changed at first login.
    """
    authorize(current_user, "import", Resource.ROSTER)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"file": ["请上传文件 / Upload a file."]})
    return roster.import_roster(upload.filename, upload.read(), current_user.id)


@blp.get("/template")
@blp.arguments(TemplateQuery, location="query")
@login_required
def template(query):
    """The import template, with one example row per sheet."""
    authorize(current_user, "import", Resource.ROSTER)
    if query["format"] == "xlsx":
        return download(roster.template_xlsx(), "xlsx", "spiral-roster-template")
    return download(roster.template_csv(query["kind"]), "csv", f"spiral-{query['kind']}-template")
