"""What several blueprints share: idempotent writes, file downloads."""
import io
import re
import unicodedata
from urllib.parse import quote

from flask import jsonify, request, send_file
from flask_jwt_extended import current_user

from backend.errors import Problem
from backend.platform import idempotency, uploads

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


def once_prepared(route: str, payload, prepare, schema, status: int = 200):
    """`once` for a write that answers before it writes (`prepare()` -> (answer, write)): its
    Idempotency-Key is stored with the answer in one statement (idempotency.run_prepared)."""
    def prepared():
        answer, write = prepare()
        return idempotency.Prepared(schema().dump(answer), status, write)
    body, code = idempotency.run_prepared(current_user.id, request.headers.get(idempotency.KEY_HEADER), route,
                                          payload, prepared)
    response = jsonify(body)
    response.status_code = code
    return response


def uploaded() -> tuple[str, bytes]:
    """The request's file (multipart field `file`): its name and its bytes, bounded as
    platform/uploads.py bounds them; a 422 naming `file` when none came."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Problem(422, "请求数据有误 / Invalid request data", errors={"file": ["请上传文件 / Upload a file."]})
    return upload.filename, uploads.read_upload(upload)


TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def answers(blp, *formats: str, description: str = "A generated file"):
    """Document a 200 in each media type it is sent as (the OpenAPI states what the server sends):
    `json` a JSON object (the view declares no schema of its own), a file format its type from
    TYPES, anything else a media type as it is."""
    def decorate(view):
        for fmt in reversed(formats):
            schema = {"type": "object"} if fmt == "json" else {"type": "string", "format": "binary"}
            content_type = "application/json" if fmt == "json" else TYPES.get(fmt, fmt).split(";")[0]
            view = blp.alt_response(200, schema=schema, content_type=content_type, description=description)(view)
        return view
    return decorate


# What may not be in a file name: control characters, lone surrogates, path separators and the
# characters Windows refuses; each run becomes "_".
_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f\ud800-\udfff/\\:*?"<>|]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")
ATTR_CHARS = "!#$&+-.^_`|~"  # RFC 5987 attr-char besides letters and digits


def disposition(filename: str) -> str:
    """`Content-Disposition` for an attachment (RFC 6266): the name in UTF-8 as `filename*`
    (RFC 5987) and an ASCII fallback as `filename`. Names come from users (a class, a student, an
    uploaded file), so nothing in them can end the header or the quoted string, or be a path."""
    stem, dot, ext = filename.rpartition(".") if "." in filename else (filename, "", "")
    stem, ext = _UNSAFE_NAME.sub("_", stem).strip(" ."), _UNSAFE_NAME.sub("_", ext)[:16]
    name = f"{stem[:120] or 'download'}{dot}{ext}"
    ascii_stem = _NOT_ASCII_NAME.sub("_", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode())
    ascii_ext = _NOT_ASCII_NAME.sub("_", ext)
    fallback = f"{ascii_stem.strip('._')[:120] or 'download'}{dot}{ascii_ext}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=ATTR_CHARS)}"


def download(body: bytes, fmt: str, stem: str):
    """A generated file as an attachment named `stem.fmt`, the name safely encoded."""
    response = send_file(io.BytesIO(body), mimetype=TYPES[fmt], as_attachment=True, download_name=f"{fmt}.{fmt}")
    response.headers["Content-Disposition"] = disposition(f"{stem}.{fmt}")
    return response
