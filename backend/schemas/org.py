from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from backend.schemas.common import StrictSchema


class DepartmentOut(Schema):
    id = fields.Integer()
    name = fields.String()


class ClassOut(Schema):
    id = fields.Integer()
    name = fields.String()
    entry_year = fields.Integer()
    department_id = fields.Integer()
    department = fields.String(attribute="major.department.name")
    major = fields.String(attribute="major.name")
    head_teacher_id = fields.Integer(allow_none=True)


class TermOut(Schema):
    id = fields.Integer()
    name = fields.String()
    name_en = fields.String()
    academic_year = fields.String()
    semester = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    weeks = fields.Integer()


class TermIn(StrictSchema):
    academic_year = fields.String(required=True, validate=validate.Regexp(
        r"^\d{4}-\d{4}$", error="学年格式为 2026-2027 / Use the form 2026-2027."))
    semester = fields.Integer(required=True, validate=validate.OneOf([1, 2]))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)

    @validates_schema
    def _order(self, data, **_):
        errors = {}
        if data["ends_on"] <= data["starts_on"]:
            errors["ends_on"] = ["结束日期须晚于开始日期 / The term must end after it starts."]
        first, second = map(int, data["academic_year"].split("-"))
        if second != first + 1:
            errors["academic_year"] = ["学年应为相邻两年 / Two consecutive years."]
        if errors:
            raise ValidationError(errors)


class TermQuery(StrictSchema):
    term_id = fields.Integer(load_default=None)


class RosterCountsOut(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class RosterCredentialOut(Schema):
    username = fields.String()
    display_name = fields.String()
    initial_password = fields.String()


class RosterClassOut(RosterCountsOut):
    class_name = fields.String()


class RosterImportOut(Schema):
    """What an import did; `credentials` are the new accounts' initial passwords, shown once;
    `slips_id` fetches them as printable slips (PDF) or XLSX for a short time, by the importer only."""
    students = fields.Nested(RosterCountsOut)
    staff = fields.Nested(RosterCountsOut)
    classes = fields.List(fields.Nested(RosterClassOut), metadata={"description": "students per class"})
    credentials = fields.List(fields.Nested(RosterCredentialOut))
    slips_id = fields.String(allow_none=True)


class SlipsQuery(StrictSchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(["pdf", "xlsx", "json"]))


class SlipOut(Schema):
    class_name = fields.String(allow_none=True)
    username = fields.String()
    display_name = fields.String()
    initial_password = fields.String()


class SlipsOut(Schema):
    kind = fields.String(metadata={"enum": ["import", "reset"]})
    made_at = fields.String()
    slips = fields.List(fields.Nested(SlipOut))


class PasswordResetOut(Schema):
    """The new initial password is not in this answer: fetch it, once, from the slips."""
    student_id = fields.Integer()
    slips_id = fields.String()


class RosterImportProgressOut(Schema):
    stage = fields.String(metadata={"description": "hashing (new accounts' passwords), writing, done"})
    done = fields.Integer()
    total = fields.Integer()


class RosterImportJobOut(Schema):
    """A background import: queued, running, finished (with `result`), refused (with `problem`,
    whose `errors` name sheet, row and column) or failed."""
    id = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "finished", "refused", "failed"]})
    status_url = fields.String()
    progress = fields.Nested(RosterImportProgressOut, allow_none=True)
    result = fields.Nested(RosterImportOut, allow_none=True)
    problem = fields.Dict(allow_none=True)
