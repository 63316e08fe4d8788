from flask_jwt_extended import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.alerts import evidence, interventions
from backend.alerts.warning_rules import GROUPS
from backend.platform import language
from backend.schemas.common import ChangeIn, JsonBoolean, JsonInteger, OneLanguage, StrictSchema

HOUR = validate.Range(0, 23)


class WarningQuery(StrictSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "resolved", "withdrawn", "all")))
    class_id = fields.Integer(load_default=None)


class EventOut(Schema):
    at = fields.DateTime()
    kind = fields.String()
    actor = fields.Function(lambda e: e.actor_id)
    # A system event's text is "中文 / English" (a withdrawal's reason): the reader's half. Staff
    # notes are shown as written.
    text = fields.Function(lambda e: language.pick(e.text) if e.kind == "withdrawn" else e.text, allow_none=True)
    follow_up_on = fields.Date(allow_none=True)


class WarningRuleOut(Schema):
    code = fields.String()
    kind = fields.String()
    category = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    explanation_zh = fields.String()
    explanation_en = fields.String()
    advice_zh = fields.String()
    advice_en = fields.String()
    params = fields.Dict()
    levels = fields.Dict()
    min_evidence = fields.Dict()
    chain = fields.List(fields.String())
    ack_hours = fields.Integer()
    enabled = fields.Boolean()
    updated_at = fields.DateTime()


class WarningRuleBriefOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    explanation_zh = fields.String()
    explanation_en = fields.String()
    advice_zh = fields.String()
    advice_en = fields.String()


class WarningRuleIn(ChangeIn):
    params = fields.Dict()
    levels = fields.Dict(keys=fields.String(), values=fields.Float())
    # {sessions, days, values}: checked field by field in warning_rules.min_evidence_problems.
    min_evidence = fields.Dict(metadata={"description": "least evidence: {sessions, days} for attendance "
                                                        "points, {values} for ledger points"})
    chain = fields.List(fields.String(), validate=validate.Length(1, 5))
    ack_hours = fields.Integer(validate=validate.Range(1, 24 * 30))
    enabled = fields.Boolean()
    explanation_zh = fields.String(validate=validate.Length(4, 2000))
    explanation_en = fields.String(validate=validate.Length(4, 2000))
    advice_zh = fields.String(validate=validate.Length(2, 2000))
    advice_en = fields.String(validate=validate.Length(2, 2000))


class WarningOut(Schema):
    """Staff view: who, what, how bad, how old, who must act."""
    id = fields.Integer()
    student_id = fields.Integer()
    student_name = fields.Function(lambda w: w.student_name)
    class_id = fields.Integer()
    class_name = fields.Function(lambda w: w.class_name)
    category = fields.String()
    sensitive = fields.Boolean()
    level = fields.String()
    status = fields.String()
    rule = fields.Nested(WarningRuleBriefOut)
    waiting_on = fields.Function(lambda w: w.rule.chain[w.step])
    raised_at = fields.DateTime()
    due_at = fields.DateTime()
    follow_up_on = fields.Date(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    episode = fields.Integer()
    previous_id = fields.Integer(allow_none=True)


class WarningDetailOut(WarningOut):
    evidence = fields.Function(lambda w: evidence.for_reader(current_user, w))
    withdrawn_reason = OneLanguage(allow_none=True)
    events = fields.List(fields.Nested(EventOut))
    chain = fields.Function(lambda w: w.rule.chain)
    acknowledged_at = fields.DateTime(allow_none=True)


class OwnWarningOut(Schema):
    """The student's view (their own warnings, and `GET /warnings/{id}` on one of them): what
    crossed the line and what to do next. No case notes, no staff ids, no ledger entries, no chain."""
    id = fields.Integer()
    category = fields.String()
    level = fields.String()
    status = fields.String()
    raised_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    rule = fields.Nested(WarningRuleBriefOut)
    values = fields.Function(lambda w: w.evidence.get("values", []))


class InterventionIn(StrictSchema):
    # A case note or one of the intervention kinds (backend/alerts/interventions.py);
    # the older "action" is still accepted and counts as "other".
    kind = fields.String(load_default="note", validate=validate.OneOf(interventions.ACCEPTED))
    text = fields.String(required=True, validate=validate.Length(2, 4000))
    follow_up_on = fields.Date(load_default=None)


class WarningResolveIn(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(2, 4000))


class SpecialGroupIn(StrictSchema):
    student_id = fields.Integer(required=True)
    group = fields.String(required=True, validate=validate.OneOf(GROUPS))
    reason = fields.String(required=True, validate=validate.Length(2, 2000))
    responsible_id = fields.Integer(required=True)


class SpecialGroupQuery(StrictSchema):
    group = fields.String(load_default=None, validate=validate.OneOf(GROUPS))
    include_closed = fields.Boolean(load_default=False)


class CloseIn(StrictSchema):
    note = fields.String(required=True, validate=validate.Length(2, 2000))


class SpecialGroupOut(Schema):
    id = fields.Integer()
    student_id = fields.Integer()
    group = fields.String()
    reason = fields.String()
    responsible_id = fields.Integer()
    registered_by = fields.Integer()
    registered_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    close_note = fields.String(allow_none=True)


class KeysIn(StrictSchema):
    # Checked with the endpoint below (SubscriptionIn.push_service), by content: a P-256 point and
    # a 16-byte secret, base64url; errors name keys.p256dh and keys.auth.
    p256dh = fields.String(required=True, metadata={"description": "65-byte uncompressed P-256 point, base64url"})
    auth = fields.String(required=True, metadata={"description": "16-byte secret, base64url"})


class SubscriptionIn(StrictSchema):
    endpoint = fields.Url(required=True, require_tld=False, validate=validate.Length(max=1024),
                          metadata={"description": "https URL of a push service on a public address, "
                                                   "without credentials"})
    keys = fields.Nested(KeysIn, required=True)
    device = fields.String(load_default=None, validate=validate.Length(max=120))
    expirationTime = fields.Raw(load_default=None)  # sent by PushSubscription.toJSON(); unused

    @validates_schema(skip_on_field_errors=False)
    def push_service(self, data, **kwargs):
        """Push goes only to push services (notify/push.py: https, public host, no credentials;
        keys that a message can be encrypted to)."""
        from backend.notify.push import subscription_problems

        checked = {"endpoint": data["endpoint"]} if "endpoint" in data else {}
        if isinstance(data.get("keys"), dict):
            checked["keys"] = data["keys"]
        errors = {field: why for field, why in subscription_problems(checked).items()
                  if field.partition(".")[0] in checked}
        if errors:
            raise ValidationError(errors)


class SubscriptionPatch(StrictSchema):
    enabled = fields.Boolean(required=True)


class SubscriptionOut(Schema):
    id = fields.Integer()
    device = fields.String(allow_none=True)
    enabled = fields.Boolean()
    created_at = fields.DateTime()
    last_sent_at = fields.DateTime(allow_none=True)
    endpoint = fields.String()


class PreferencesIO(ChangeIn):
    quiet_from = JsonInteger(allow_none=True, validate=HOUR)
    quiet_until = JsonInteger(allow_none=True, validate=HOUR)
    digest = JsonBoolean()
    digest_hour = JsonInteger(validate=HOUR)

    @validates_schema
    def both_or_neither(self, data, **kwargs):
        if ("quiet_from" in data) != ("quiet_until" in data) or \
                (data.get("quiet_from") is None) != (data.get("quiet_until") is None):
            raise ValidationError("Set quiet hours with both ends, or clear both.", "quiet_until")


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    level = fields.String(allow_none=True)
    title = OneLanguage()
    body = OneLanguage()
    url = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    push = fields.String()


class InboxOut(Schema):
    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationOut))


class PublicKeyOut(Schema):
    public_key = fields.String()


# --- mass-event incidents (issue 15; alerts/incidents.py) -----------------------------------

class IncidentQuery(StrictSchema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "all")))


class IncidentDecisionIn(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(("confirmed", "corrected")))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))


class BatchReverseIn(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(2, 500))


class IncidentPointOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class IncidentStudentOut(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    username = fields.String(allow_none=True)


class IncidentCorrectionOut(Schema):
    kind = fields.String()  # session: correct its marks; batch: reverse its entries
    session_id = fields.Integer(allow_none=True)
    batch_id = fields.String(allow_none=True)
    live = fields.Integer(allow_none=True)  # entries of the batch still counting
    can_reverse = fields.Boolean()


class IncidentOut(Schema):
    id = fields.Integer()
    status = fields.String()  # open | confirmed | corrected | expired
    class_id = fields.Integer()
    class_name = fields.String()
    term_id = fields.Integer()
    source_kind = fields.String()
    source_id = fields.String()
    trigger = fields.String()
    title_zh = fields.String()
    title_en = fields.String()
    points = fields.List(fields.Nested(IncidentPointOut))
    affected = fields.Integer()
    class_size = fields.Integer()
    students = fields.List(fields.Nested(IncidentStudentOut))
    recorded_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    deadline = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    note = OneLanguage(allow_none=True)
    correction = fields.Nested(IncidentCorrectionOut)
    can_decide = fields.Boolean()


class BatchReverseOut(Schema):
    incident_id = fields.Integer()
    reversed = fields.Integer()
    status = fields.String()
