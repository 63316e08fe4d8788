"""Teacher warnings (issue 20): the department admin's list and detail, and working one."""
from marshmallow import Schema, fields, validate

from backend.platform import language
from backend.schemas.common import OneLanguage, StrictSchema


class TeacherWarningQuery(StrictSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "resolved", "withdrawn", "all")))


class TeacherEventOut(Schema):
    at = fields.DateTime()
    kind = fields.String()
    actor = fields.Function(lambda e: e.actor_id)
    # System events ("cleared", "withdrawn") are "中文 / English": the reader's half; notes as written.
    text = fields.Function(lambda e: language.pick(e.text) if e.kind in ("withdrawn", "cleared") else e.text,
                           allow_none=True)
    follow_up_on = fields.Date(allow_none=True)


def _evidence(w) -> dict:
    """The stored evidence with its bilingual texts in the reader's language."""
    return {k: language.pick(v) if k in ("label", "source", "standard_title") else v for k, v in w.evidence.items()}


class TeacherWarningOut(Schema):
    id = fields.Integer()
    teacher_id = fields.Integer()
    teacher_name = fields.Function(lambda w: w.teacher_name)
    department_id = fields.Integer()
    indicator_code = fields.String()
    label = fields.Function(lambda w: language.pick(w.evidence["label"]))
    value = fields.Function(lambda w: w.evidence.get("value"))
    line = fields.Function(lambda w: w.evidence.get("line"))
    unit = fields.Function(lambda w: w.evidence.get("unit"))
    year = fields.Integer()
    stage = fields.String()
    level = fields.String()
    status = fields.String()
    past_since = fields.DateTime()
    raised_at = fields.DateTime()
    follow_up_on = fields.Date(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    episode = fields.Integer()
    previous_id = fields.Integer(allow_none=True)


class TeacherWarningDetailOut(TeacherWarningOut):
    evidence = fields.Function(_evidence)
    withdrawn_reason = OneLanguage(allow_none=True)
    acknowledged_at = fields.DateTime(allow_none=True)
    events = fields.List(fields.Nested(TeacherEventOut))


class TeacherInterventionIn(StrictSchema):
    kind = fields.String(load_default="note", validate=validate.OneOf(("note", "action")))
    text = fields.String(required=True, validate=validate.Length(2, 4000))
    follow_up_on = fields.Date(load_default=None)


class TeacherResolveIn(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(2, 4000))
