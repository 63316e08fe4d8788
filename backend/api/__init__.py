"""HTTP only: blueprints that parse, authorize, call a domain service and answer; one subpackage per domain."""
from flask import Flask
from flask_smorest import Api


def register_api(app: Flask, api: Api) -> None:
    from backend.api.alerts import effect, incidents, rules, teacher_warnings, warnings
    from backend.api.auth import cas, login, me
    from backend.api.development import assessing, assessment, plans, portfolio, portrait, teacher_standards
    from backend.api.notify import channels, notifications
    from backend.api.org import organisation, roster, timetable, units
    from backend.api.platform import audit, health, home, my_data, pwa
    from backend.api.reporting import reports, roll
    from backend.api.valuecard import attendance, cadres, catalogue, entries, grades, mark_disputes, meetings

    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    for module in (login, me, cas, units, organisation, timetable, catalogue, roster, entries, attendance, meetings,
                   cadres, grades, reports, roll, warnings, rules, incidents, effect, notifications, channels, plans,
                   assessment, portfolio, audit, home, my_data,
                   mark_disputes, teacher_standards, assessing, portrait, teacher_warnings):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(pwa.bp)
