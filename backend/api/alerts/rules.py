from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from backend.alerts import warning_rules
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.errors import Problem
from backend.extensions import db
from backend.models import WarningRule
from backend.schemas.alerts import WarningRuleIn, WarningRuleOut

blp = Blueprint("warning_rules", __name__, url_prefix="/api/v1", description="Warning rules: thresholds and levels")


@blp.get("/warning-rules")
@blp.response(200, WarningRuleOut(many=True))
@login_required
def list_rules():
    """Every rule with its plain-language explanation."""
    return db.session.scalars(select(WarningRule).order_by(WarningRule.id)).all()


@blp.patch("/warning-rules/<code>")
@blp.arguments(WarningRuleIn)
@blp.response(200, WarningRuleOut)
@login_required
def edit_rule(body, code):
    """Thresholds, levels, who is notified, acknowledgement deadline (school admin; audited). The
    next evaluation of the warning rules uses them."""
    authorize(current_user, "edit", Resource.WARNING_RULES)
    rule = db.session.scalar(select(WarningRule).where(WarningRule.code == code))
    if rule is None:
        raise Problem(404, "未找到 / Not found")
    warning_rules.update(rule, body, current_user.id)
    db.session.commit()
    return rule
