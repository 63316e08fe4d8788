"""HTTP only: blueprints that parse, authorize, call a service and answer."""
from flask import Flask
from flask_smorest import Api


def register_api(app: Flask, api: Api) -> None:
    from backend.api import (assessment, attendance, auth, catalogue, development, entries, health, me, notifications, org,
                             portfolio, pwa, reports, roster, warnings)

    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for module in (auth, me, org, catalogue, roster, entries, attendance, reports, warnings, notifications, development,
                   assessment, portfolio):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pwa.bp)
