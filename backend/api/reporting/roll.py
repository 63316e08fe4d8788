from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import answers, download
from backend.auth.current import login_required
from backend.org import directory
from backend.reporting import roll
from backend.schemas.reporting import RollOut, RollQuery

blp = Blueprint("roll", __name__, url_prefix="/api/v1", description="The class roll (综合测评表)")


@blp.get("/classes/<int:class_id>/roll")
@blp.arguments(RollQuery, location="query")
@blp.response(200, RollOut)
@answers(blp, "xlsx", description="The roll as a spreadsheet (`format=xlsx`)")
@login_required
def class_roll(query, class_id):
    """Every student of the class by every scoring point: subtotals, total, value added, coverage.

    Each row equals the student's card for the same reader. For the class's head teacher, counsellor
    and course teachers and the department and school admins; every read is audited."""
    data = roll.roll(current_user, class_id, directory.term_or_current(query["term_id"]), request.path,
                     query["sort"], query["descending"])
    if query["format"] == "xlsx":
        return download(roll.to_xlsx(data), "xlsx", f"{data['class_name']}-{data['term_name']}-综合测评表")
    return data
