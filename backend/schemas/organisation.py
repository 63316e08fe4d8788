"""The organisation over time: majors, a class's people, grants, a student's class and status, rollover."""
from marshmallow import Schema, fields, validate

from backend.schemas.common import JsonInteger, StrictSchema

NAME = validate.Length(min=1, max=120, error="1–120 个字 / 1–120 characters.")


class MajorIn(StrictSchema):
    department_id = JsonInteger(required=True)
    name = fields.String(required=True, validate=NAME)


class MajorRenameIn(StrictSchema):
    name = fields.String(required=True, validate=NAME)


class MajorOut(Schema):
    id = fields.Integer()
    name = fields.String()
    department_id = fields.Integer()
    department = fields.String()
    classes = fields.Integer()


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    number = fields.String()


class RoleGrantOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    number = fields.String()
    role = fields.String()
    role_zh = fields.String()
    scope_type = fields.String()
    scope_id = fields.Integer()
    scope_name = fields.String()


class ClassPeopleOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    head_teacher = fields.List(fields.Nested(PersonOut))
    counsellor = fields.List(fields.Nested(PersonOut))
    grants = fields.List(fields.Nested(RoleGrantOut))
    candidates = fields.List(fields.Nested(PersonOut))


class AssignIn(StrictSchema):
    user_id = JsonInteger(required=True)


class GrantQuery(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MoveIn(StrictSchema):
    class_id = JsonInteger(required=True)
    effective_on = fields.Date(required=True)


class StatusIn(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["suspend", "withdraw", "graduate", "resume"]))
    effective_on = fields.Date(required=True)


class ClassRef(Schema):
    id = fields.Integer()
    name = fields.String()


class MembershipOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)


class StudentStatusOut(Schema):
    student_id = fields.Integer()
    name = fields.String()
    number = fields.String()
    class_id = fields.Integer()
    class_name = fields.String()
    status = fields.String()
    status_on = fields.Date(allow_none=True)
    login_enabled = fields.Boolean()
    history = fields.List(fields.Nested(MembershipOut))
    classes = fields.List(fields.Nested(ClassRef))
    term_starts_on = fields.Date()
    term_ends_on = fields.Date()


class MoveOut(Schema):
    student_id = fields.Integer()
    name = fields.String()
    from_class = fields.Nested(ClassRef)
    to_class = fields.Nested(ClassRef)
    effective_on = fields.Date()
    week = fields.Integer()
    warnings_moved = fields.Integer()


class RolloverQuery(StrictSchema):
    to_term_id = fields.Integer(required=True)  # a query string: digits, not a JSON number


class RolloverIn(StrictSchema):
    to_term_id = JsonInteger(required=True)


class RolloverClassOut(Schema):
    class_id = fields.Integer()
    class_name = fields.String()
    year_now = fields.Integer()
    year_next = fields.Integer()
    change = fields.String()
    students = fields.Integer()


class RolloverPlanOut(Schema):
    plan_id = fields.Integer()
    student_id = fields.Integer()
    name = fields.String()
    goals = fields.Integer()


class RolloverOut(Schema):
    from_term = fields.Nested(ClassRef)
    to_term = fields.Nested(ClassRef)
    classes = fields.List(fields.Nested(RolloverClassOut))
    promoted = fields.Integer()
    graduating_classes = fields.Integer()
    graduates = fields.Integer()
    plans = fields.List(fields.Nested(RolloverPlanOut))
    catalogue_from = fields.String(allow_none=True)
    catalogue_rules = fields.Integer()
    applied = fields.Boolean()
