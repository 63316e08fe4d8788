from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from backend import database
from backend.auth.current import login_required
from backend.auth.policy import Resource, authorize
from backend.org import directory
from backend.schemas.org import TermQuery
from backend.schemas.valuecard import CatalogueOut, PointIn, RuleOut, RulePatchIn, WeightsIn
from backend.valuecard import catalogue, catalogue_edit

blp = Blueprint("catalogue", __name__, url_prefix="/api/v1/catalogue",
                description="Scoring points and their rules per term")


@blp.get("")
@blp.arguments(TermQuery, location="query")
@blp.response(200, CatalogueOut)
@login_required
def list_rules(query):
    authorize(current_user, "view", Resource.CATALOGUE)
    term = directory.term_or_current(query["term_id"])
    with database.write_apart():  # a GET that makes the term's catalogue on first sight
        version = catalogue.ensure_version(term)
    return {"term_id": term.id, "domain_weights": version.domain_weights, "rules": catalogue.rules(term)}


@blp.get("/<code>")
@blp.arguments(TermQuery, location="query")
@blp.response(200, RuleOut)
@login_required
def get_rule(query, code):
    authorize(current_user, "view", Resource.CATALOGUE)
    return catalogue.rule(directory.term_or_current(query["term_id"]), code)


@blp.patch("/<code>")
@blp.arguments(TermQuery, location="query")
@blp.arguments(RulePatchIn)
@blp.response(200, RuleOut)
@login_required
def update_rule(query, body, code):
    """Change a point's rule for one term only; other terms' cards are untouched."""
    authorize(current_user, "edit", Resource.CATALOGUE)
    return catalogue_edit.update_rule(directory.term_or_current(query["term_id"]), code, body, current_user.id)


@blp.post("")
@blp.arguments(TermQuery, location="query")
@blp.arguments(PointIn)
@blp.response(201, RuleOut)
@login_required
def add_point(query, body):
    """Add a college's own scoring point to a term (school admin; audited). Its code is made by
    the server (X-A-17); the terms after it inherit it, the terms before never see it."""
    authorize(current_user, "edit", Resource.CATALOGUE)
    return catalogue_edit.add_point(directory.term_or_current(query["term_id"]), body, current_user.id)


@blp.put("/domains/weights")  # two segments: "/weights" would also match "/<code>"
@blp.arguments(TermQuery, location="query")
@blp.arguments(WeightsIn)
@blp.response(200, RuleOut(many=True))
@login_required
def set_weights(query, body):
    """Re-balance a domain's weights in one step (school admin; audited): they must add up to 1,
    else 422 naming the domain's weights and nothing changes. Answers the domain's rules."""
    authorize(current_user, "edit", Resource.CATALOGUE)
    return catalogue_edit.set_weights(directory.term_or_current(query["term_id"]), body["level"], body["domain"],
                                      body["weights"], current_user.id)
