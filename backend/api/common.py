"""What several blueprints share: idempotent writes, file downloads."""
import io

from flask import jsonify, request, send_file
from flask_jwt_extended import current_user

from backend.platform import idempotency

KEY_DOC = {"parameters": [{"in": "header", "name": idempotency.KEY_HEADER, "required": True,
                           "schema": {"type": "string"}, "description": "a UUID made on the device, one per write"}]}


def once(route: str, payload, write, schema, status: int = 200):
    """Run a write once per Idempotency-Key; a replay gets the first answer and writes nothing.

    The answer is dumped through the response schema before it is stored, so a
    replay is byte-for-byte the first response; it is returned as a Response so
    flask-smorest does not dump it twice.
    """
    body, code = idempotency.run_once(current_user.id, request.headers.get(idempotency.KEY_HEADER), route, payload,
                                      lambda: (schema().dump(write()), status))
    response = jsonify(body)
    response.status_code = code
    return response


TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(body: bytes, fmt: str, stem: str):
    """A generated file as an attachment named `stem.fmt`."""
    return send_file(io.BytesIO(body), mimetype=TYPES[fmt], as_attachment=True, download_name=f"{stem}.{fmt}")
