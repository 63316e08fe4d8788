"""A person's own data (PIPL art. 45): everything Spiral holds about the signed-in user, as JSON
or as a readable PDF. Every export is audited (privacy.export, with the format)."""
import json

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend.api.common import answers, download
from backend.auth.current import login_required
from backend.privacy import export
from backend.reporting import document

blp = Blueprint("my_data", __name__, url_prefix="/api/v1/me", description="A person's own data (PIPL art. 45)")


@blp.get("/data")
@answers(blp, "json", description="Everything held about you; `withheld` says what was left out and why")
@login_required
def my_data():
    data = export.collect(current_user)
    export.audited(current_user, "json", data)
    # Readable as it is opened: Chinese as characters, not \u escapes, and indented.
    response = Response(json.dumps(data, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{current_user.username}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/data.pdf")
@answers(blp, "pdf", description="The same content as a PDF in Chinese")
@login_required
def my_data_pdf():
    data = export.collect(current_user)
    body = document.to_pdf(export.document(data))
    export.audited(current_user, "pdf", data)
    response = download(body, "pdf", f"我的数据-{current_user.username}")
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/data/about")
@answers(blp, "json", description="What the 我的数据 screen says: the retention and what is withheld")
@login_required
def my_data_about():
    """The rules the screen states, from this installation's configuration."""
    return export.about()
