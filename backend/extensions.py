"""Extensions created unbound; create_app() binds them."""
import http

from apispec import BasePlugin
from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_sqlalchemy import SQLAlchemy
from werkzeug.routing import IntegerConverter

from backend.models.base import Base
from backend.schemas.common import ProblemSchema

PROBLEM_JSON = "application/problem+json"
BEARER = [{"bearerAuth": []}]


class SecurityPlugin(BasePlugin):
    """Every operation declares its security: the access token (bearerAuth) unless the view says
    otherwise with `@blp.doc(security=[])` (login, refresh and the VAPID public key)."""

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                operation.setdefault("security", BEARER)


class SpiralApi(Api):
    """flask-smorest's Api documenting the errors as they are sent: RFC 9457 problem documents,
    `application/problem+json` (errors.py), for every status and as every operation's default."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not 100 <= status < 200 and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem document (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


class Int32Converter(IntegerConverter):
    """`<int:…>` in every route: ids are signed 32-bit INTEGERs in both databases, so a larger one
    names no row and answers 404 (the route does not match) instead of PostgreSQL's out-of-range 500.
    Its maximum shows in the OpenAPI path parameter."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**31 - 1,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
compress = Compress()
api = SpiralApi(spec_kwargs={"extra_plugins": [SecurityPlugin()]})
