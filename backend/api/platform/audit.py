from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend import database
from backend.api.common import answers, download
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.platform import audit
from backend.schemas.platform import AuditPageOut, AuditQuery

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="The audit log (read only)")


@blp.get("/audit")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPageOut)
@answers(blp, "csv", description="The filtered log: JSON pages, or all of it as CSV with `format=csv`")
@login_required
def audit_log(query):
    """The audit log for a school admin's review, filtered, newest first. Reading it is itself
    audited. There is no way to change or delete an audit row through the API."""
    authorize(current_user, "view", Resource.AUDIT)
    filters = {k: v for k, v in query.items() if k not in ("page", "per_page", "format") and v is not None}
    with database.write_apart():
        audit.record(current_user.id, "audit.export" if query["format"] == "csv" else "audit.read", "audit_log", None,
                     {k: str(v) for k, v in filters.items()})
    if query["format"] == "csv":
        return download(audit.to_csv(filters), "csv", "audit")
    return audit.page(filters, query["page"], query["per_page"])
