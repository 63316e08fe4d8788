"""The authorization matrix, generated from the app's URL map.

Every rule of `app.url_map` × every method × 10 callers (the 9 roles and anonymous), on an object
of the caller's own class (department, school) and on a foreign one where the URL names an object.
An endpoint with no row in EXPECT fails the test ("unlisted endpoint"): a new endpoint cannot ship
without saying who may call it. The rules themselves live in backend/auth/policy/.

Expected answers: anonymous 401; a role allowed on the own object 2xx (or the row's `ok`); a role not
allowed 403 or 404 (or the row's `refused`); every caller on a foreign object 404 (the school admin's
scope is the whole school, so for it the other department's object is its own). A refused request
writes no audit row.
"""
import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.alerts import special_groups, warnings
from backend.auth.roles import Role
from backend.development import diagnosis, plans
from backend.extensions import db
from backend.models import (
    Attachment,
    AuditEvent,
    ClassGroup,
    Dispute,
    Incident,
    Notification,
    Plan,
    PortfolioItem,
    PushSubscription,
    ScoreEntry,
    ScoringPoint,
    StudentProfile,
    StudentWarning,
    User,
)
from backend.org import directory
from backend.platform import clock
from backend.valuecard import attendance, leave, ledger
from tests.helpers import assert_problem, build_college, login, make_plan, writing

ANON = "anonymous"
ROLES = [r.value for r in Role]
CALLERS = ROLES + [ANON]
STAFF = frozenset(ROLES) - {"student"}
EVERYONE = frozenset(ROLES)

class World:
    """The demo college and one object of each kind in the student's class (own) and in a class
    of another department (foreign); `fresh_*` make a new object for writes that use one up."""

    def __init__(self):
        self.accounts = build_college(students=200)
        self.users = {role: db.session.scalar(select(User).where(User.username == a["username"]))
                      for role, a in self.accounts.items()}
        student = self.users["student"]
        own_class = db.session.get(ClassGroup, student.student.class_id)
        foreign_class = db.session.scalar(select(ClassGroup).where(ClassGroup.department_id != own_class.department_id))
        self.term = directory.current_term(clock.school_today())
        self.own_class, self.foreign_class = own_class, foreign_class
        self.head = {own_class.id: db.session.get(User, own_class.head_teacher_id),
                     foreign_class.id: db.session.get(User, foreign_class.head_teacher_id)}
        pupils = {c.id: list(db.session.scalars(select(StudentProfile.user_id).where(
            StudentProfile.class_id == c.id, StudentProfile.user_id != student.id).order_by(StudentProfile.user_id)))
            for c in (own_class, foreign_class)}
        classmate, foreign_student = pupils[own_class.id][0], pupils[foreign_class.id][0]
        self._pupils = {c: iter(p[1:]) for c, p in pupils.items()}
        self._years = itertools.count(2030)
        self.fresh = {}  # (factory, caller or None, kind) -> the id made for the next request
        ids = {"own_class": own_class.id, "foreign_class": foreign_class.id, "own_student": student.id,
               "classmate": classmate, "foreign_student": foreign_student,
               "own_dept": own_class.department_id, "foreign_dept": foreign_class.department_id,
               "school": own_class.major.department.school_id, "no_school": 10**6,
               "counsellor": self.users["counsellor"].id, "head_teacher": self.head[own_class.id].id,
               "foreign_head_teacher": self.head[foreign_class.id].id,
               "teacher": self.head[own_class.id].id, "foreign_teacher": self.head[foreign_class.id].id}
        self.ids = ids
        ids.update(self._warnings())
        ids.update(self._development())
        ids.update(self._valuecard())
        ids.update(self._incidents())
        ids["own_record"] = self.fresh_record("own")
        ids.update(self._timetable())  # issue 16
        ids["foreign_record"] = self.fresh_record("foreign")

    def _class(self, kind):
        return self.own_class if kind == "own" else self.foreign_class

    def _pupil(self, kind):
        return next(self._pupils[self._class(kind).id])

    def _warnings(self) -> dict:
        """A failing grade for the student and a foreign student, violations for the classmate."""
        ids = self.ids
        for cls, sid in ((self.own_class, ids["own_student"]), (self.foreign_class, ids["foreign_student"])):
            ledger.record_batch(self.head[cls.id], self.term, {
                "point": "S-A-09", "period": "term", "entries": [{"student_id": sid, "value": 35}]})
        office = db.session.scalar(select(User).where(User.username == "T10002"))
        ledger.record_batch(office, self.term, {"point": "S-P-13", "period": "term",
                                                "entries": [{"student_id": ids["classmate"], "value": 2}]})
        db.session.commit()
        for cls in (self.own_class, self.foreign_class):
            warnings.evaluate_class(self.term, cls)
        db.session.commit()
        found = {w.student_id: w.id for w in db.session.scalars(select(StudentWarning))}
        entry = {s: db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == s))
                 for s in (ids["own_student"], ids["foreign_student"])}
        return {"own_warning": found[ids["own_student"]], "sensitive_warning": found[ids["classmate"]],
                "foreign_warning": found[ids["foreign_student"]],
                "own_entry": entry[ids["own_student"]], "foreign_entry": entry[ids["foreign_student"]]}

    def _development(self) -> dict:
        """Submitted plans of the student, a classmate and a foreign student; a draft with a goal;
        head teachers' annual plans and portfolio evidence; a submitted self-diagnosis."""
        users = {k: db.session.get(User, self.ids[k]) for k in
                 ("own_student", "classmate", "foreign_student", "teacher", "foreign_teacher")}
        items = {}
        for kind in ("own", "foreign"):
            teacher = users["teacher" if kind == "own" else "foreign_teacher"]
            item = PortfolioItem(owner_id=teacher.id, kind="training", title="企业实践培训",
                                 occurred_on=clock.school_today(), hours=8)
            item.attachments.append(Attachment(filename="证书.pdf", content_type="application/pdf", size=5,
                                               sha256="0" * 64, data=b"%PDF-"))
            db.session.add(item)
            db.session.flush()
            items[kind] = item
        classmate_plan = make_plan(users["classmate"])
        diagnosis.submit(classmate_plan, self.measures(classmate_plan.id))
        draft = make_plan(users["own_student"], "student_cycle", submit=False)
        db.session.commit()
        foreign_plan = make_plan(users["foreign_student"])
        return {"own_plan": make_plan(users["own_student"]).id, "classmate_plan": classmate_plan.id,
                "foreign_plan": foreign_plan.id, "foreign_goal": foreign_plan.goals[0].id,
                "teacher_plan": make_plan(users["teacher"], "teacher_year").id,
                "foreign_teacher_plan": make_plan(users["foreign_teacher"], "teacher_year").id,
                "draft_plan": draft.id, "draft_goal": draft.goals[0].id,
                "own_item": items["own"].id, "foreign_item": items["foreign"].id,
                "own_attachment": items["own"].attachments[0].id,
                "foreign_attachment": items["foreign"].attachments[0].id}

    def _valuecard(self) -> dict:
        own = self.fresh_session("own")
        foreign = self.fresh_session("foreign")
        dispute = Dispute(entry_id=self.ids["foreign_entry"], student_id=self.ids["foreign_student"],
                          class_id=self.foreign_class.id, reason="成绩有误", status="open")
        db.session.add(dispute)
        db.session.commit()
        return {"own_session": own, "foreign_session": foreign, "foreign_dispute": dispute.id,
                "own_leave": self.fresh_leave("own"), "foreign_leave": self.fresh_leave("foreign"),
                "foreign_notification": self.fresh_notification(None, "foreign"),
                "foreign_subscription": self.fresh_subscription(None, "foreign")}

    def _incidents(self) -> dict:
        """A session closed with nobody checked in: one incident in each class (issue 15), written
        by the course teacher in the own class and by the head teacher in the foreign one."""
        found = {}
        for kind in ("own", "foreign"):
            cls = self._class(kind)
            teacher = self.users["course_teacher"] if kind == "own" else self.head[cls.id]
            session = attendance.open_session(teacher, cls.id, None, None, 10)
            attendance.close(teacher, session, clock.now())
            db.session.commit()
            found[f"{kind}_incident"] = db.session.scalar(select(Incident.id).where(
                Incident.source_kind == "session", Incident.source_id == str(session.id)))
        return found

    def fresh_batch_incident_for(self, role, kind):
        """A batch of S-A-11 far under its warning value for the whole class, by its head teacher:
        an incident whose batch can be reversed (the slot is freed first if a run reversed none)."""
        cls, head = self._class(kind), self.head[self._class(kind).id]
        students = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == cls.id)).all()
        for entry in db.session.scalars(select(ScoreEntry).join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
                                        .where(ScoringPoint.code == "S-A-11", ScoreEntry.class_id == cls.id,
                                               ledger.counts())).all():
            ledger.reverse(head, entry, "重录")
        batch = ledger.record_batch(head, self.term, {"point": "S-A-11", "period": "term",
                                                      "entries": [{"student_id": s, "value": 10} for s in students]})
        db.session.commit()
        return db.session.scalar(select(Incident.id).where(Incident.source_id == batch["batch_id"]))

    @staticmethod
    def measures(plan_id: int) -> dict:
        """A self-diagnosis body with a measure for every goal."""
        return {"items": [{"goal_id": g.id, "measure": "加强练习"} for g in db.session.get(Plan, plan_id).goals]}

    # --- fresh objects for writes that use one up: (world, caller, kind) -> id ---------------

    def fresh_student(self, role, kind):
        return self._pupil(kind)

    def fresh_entry(self, role, kind):
        """An S-A-09 entry (scored by the head teacher) about a student not scored yet."""
        cls, sid = self._class(kind), self._pupil(kind)
        ledger.record_batch(self.head[cls.id], self.term, {
            "point": "S-A-09", "period": "term", "entries": [{"student_id": sid, "value": 75}]})
        db.session.commit()
        return db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.student_id == sid))

    def fresh_dispute(self, role, kind):
        entry = db.session.get(ScoreEntry, self.fresh_entry(role, kind))
        d = Dispute(entry_id=entry.id, student_id=entry.student_id, class_id=entry.class_id, reason="成绩有误",
                    status="open")
        db.session.add(d)
        db.session.commit()
        return d.id

    def fresh_session(self, kind, *_):
        cls = self._class(kind)
        teacher = self.users["course_teacher"] if kind == "own" else self.head[cls.id]
        s = attendance.open_session(teacher, cls.id, None, None, 10)
        db.session.commit()
        return s.id

    def fresh_session_for(self, role, kind):
        return self.fresh_session(kind)

    def fresh_leave(self, kind, *_):
        student = self.users["student"] if kind == "own" else db.session.get(User, self.ids["foreign_student"])
        start = clock.now() + timedelta(days=next(self._years))
        found = leave.apply(student, start, start + timedelta(hours=4), "病假")
        db.session.commit()
        return found["id"]

    def fresh_leave_for(self, role, kind):
        return self.fresh_leave(kind)

    def fresh_record(self, kind, *_):
        """A hardship record, registered by the class's counsellor, followed by the head teacher."""
        cls = self._class(kind)
        counsellor = db.session.scalar(select(User).where(User.grants.any(role=Role.COUNSELLOR, scope_id=cls.id)))
        record = special_groups.register(counsellor, {"student_id": self._pupil(kind), "group": "hardship",
                                                      "reason": "家庭经济困难", "responsible_id": self.head[cls.id].id})
        db.session.commit()
        return record.id

    def fresh_record_for(self, role, kind):
        return self.fresh_record(kind)

    def _caller(self, role, kind):
        if kind == "foreign":
            return self.ids["foreign_student"]
        return self.users[role].id if role in self.users else self.ids["own_student"]

    def fresh_notification(self, role, kind):
        n = Notification(user_id=self._caller(role, kind), kind="nudge", title="提醒", body="", url="/#/inbox",
                         push="none", created_at=clock.now())
        db.session.add(n)
        db.session.commit()
        return n.id

    def fresh_subscription(self, role, kind):
        n = next(self._years)
        sub = PushSubscription(user_id=self._caller(role, kind), endpoint=f"https://push.example/{n}",
                               p256dh="B" * 87, auth="A" * 22)
        db.session.add(sub)
        db.session.commit()
        return sub.id

    def fresh_goal(self, role, kind):
        if kind == "foreign":
            return self.ids["foreign_goal"]
        goal = plans.set_goal(db.session.get(Plan, self.ids["draft_plan"]),
                              {"part": plans.PARTS["student_cycle"][0], "title": "新目标", "target": 10,
                               "standard": 8, "warning": 5})
        db.session.commit()
        return goal.id

    def fresh_draft(self, role, kind):
        owner = self.users["student"] if kind == "own" else db.session.get(User, self.ids["foreign_student"])
        return make_plan(owner, "student_cycle", submit=False, start_year=next(self._years)).id

    def fresh_submitted(self, role, kind):
        """A classmate's (foreign: a foreign student's) submitted three-year plan."""
        owner = self.ids["classmate" if kind == "own" else "foreign_student"]
        return make_plan(db.session.get(User, owner), "student_cycle", start_year=next(self._years)).id

    def fresh_teacher_plan(self, role, kind):
        owner = self.ids["teacher" if kind == "own" else "foreign_teacher"]
        return make_plan(db.session.get(User, owner), "teacher_year", start_year=next(self._years)).id

    def fresh_item(self, role, kind):
        owner = self.ids["teacher" if kind == "own" else "foreign_teacher"]
        item = PortfolioItem(owner_id=owner, kind="honour", title="优秀教师", occurred_on=clock.school_today())
        item.attachments.append(Attachment(filename="奖状.pdf", content_type="application/pdf", size=5,
                                           sha256="1" * 64, data=b"%PDF-"))
        db.session.add(item)
        db.session.commit()
        return item.id

    def fresh_attachment(self, role, kind):
        return db.session.get(PortfolioItem, self.fresh_item(role, kind)).attachments[0].id

    # --- issue 16: offerings and slots of the demo timetable ---------------------------------------
    def _timetable(self) -> dict:
        from backend.models import CourseOffering, OfferingClass, TimetableSlot
        from backend.org import timetable
        teacher = self.users["course_teacher"].id
        found = {}
        for kind, cls in (("own", self.own_class), ("foreign", self.foreign_class)):
            offering = db.session.scalar(select(CourseOffering).join(
                OfferingClass, OfferingClass.offering_id == CourseOffering.id).where(
                OfferingClass.class_id == cls.id, CourseOffering.teacher_id == teacher if kind == "own" else True)
                .order_by(CourseOffering.id))
            slot = db.session.scalar(select(TimetableSlot).where(TimetableSlot.offering_id == offering.id)
                                     .order_by(TimetableSlot.id))
            day = next(d for d in (clock.school_today() + timedelta(days=n) for n in range(7))
                       if timetable.meets_on(slot, self.term, d))
            found.update({f"{kind}_offering": offering.id, f"{kind}_slot": slot.id, f"{kind}_slot_day": day.isoformat()})
        found["term"] = self.term.id
        found["course"] = db.session.scalar(select(CourseOffering.course_id).where(
            CourseOffering.id == found["own_offering"]))
        return found

    def offering_body(self, role, kind):
        from backend.models import CourseOffering
        from backend.org import timetable
        offering = db.session.get(CourseOffering, self.ids[f"{kind}_offering"])
        return {"course_id": offering.course_id, "teacher_id": offering.teacher_id,
                "class_ids": timetable.offering_classes([offering.id])[offering.id]}

    def fresh_offering(self, role, kind):
        from backend.models import Course
        from backend.org import timetable
        course = Course(school_id=self.term.school_id, code=f"FRESH{next(self._years)}", name="新课程")
        db.session.add(course)
        db.session.flush()
        found = timetable.save_offering(self.users["school_admin"], self.term, {
            "course_id": course.id, "teacher_id": self.head[self._class(kind).id].id,
            "class_ids": [self._class(kind).id]})
        db.session.commit()
        return found["id"]

    def fresh_slot(self, role, kind):
        from backend.models import CourseOffering
        from backend.org import timetable
        offering = db.session.get(CourseOffering, self.fresh_offering(role, kind))
        found = timetable.add_slot(self.users["school_admin"], offering, {
            "weekday": 7, "first_period": 11, "last_period": 12, "weeks": str(next(self._years) % 15 + 1)})
        db.session.commit()
        return found["id"]


@dataclass
class Row:
    """One object (or none) an endpoint is tried on, and the roles allowed on it.

    `args` fill the URL's variables and `body` the JSON; a value "@key" is the world's own object
    `key` (for the foreign run, FOREIGN[key]), "@fresh_x" a new object from World.fresh_x made for
    each request, anything else itself."""
    allowed: frozenset
    args: dict = field(default_factory=dict)
    body: object = None
    query: str = ""
    ok: frozenset = frozenset(range(200, 300))  # what an allowed role gets
    refused: frozenset = frozenset({403, 404})  # what a role not allowed gets on its own object
    foreign_status: int = 404
    fresh_login: bool = False  # the request ends the session it is made with


FOREIGN = {"own_class": "foreign_class", "own_student": "foreign_student", "classmate": "foreign_student",
           "own_dept": "foreign_dept", "school": "no_school", "own_warning": "foreign_warning",
           "sensitive_warning": "foreign_warning", "own_plan": "foreign_plan", "classmate_plan": "foreign_plan",
           "draft_plan": "foreign_plan", "teacher_plan": "foreign_teacher_plan", "teacher": "foreign_teacher",
           "draft_goal": "foreign_goal", "own_item": "foreign_item", "own_attachment": "foreign_attachment",
           "own_entry": "foreign_entry", "own_session": "foreign_session", "own_leave": "foreign_leave",
           "own_record": "foreign_record", "own_dispute": "foreign_dispute", "own_incident": "foreign_incident"}

FOREIGN.update({"own_offering": "foreign_offering", "own_slot": "foreign_slot",  # issue 16
                "own_slot_day": "foreign_slot_day"})
MENTORS = frozenset({"head_teacher", "counsellor"})  # a student's plans; the dept admin gets the class summary only
SUMMARY = MENTORS | {"dept_admin", "school_admin"}
DEPT_STAFF = frozenset({"dept_admin", "student_affairs", "teaching_office", "pe_teacher", "school_admin"})
REPORT_CLASS = frozenset({"head_teacher", "counsellor", "dept_admin", "student_affairs", "teaching_office",
                          "school_admin"})  # not course or PE teachers, not students
REPORT_DEPT = frozenset({"dept_admin", "student_affairs", "teaching_office", "school_admin"})
ROLL = frozenset({"head_teacher", "counsellor", "course_teacher", "dept_admin", "school_admin"})  # the class roll
CHAIN = frozenset({"head_teacher", "counsellor", "dept_admin"})  # the warning rules' chain over the class
EFFECT = frozenset({"counsellor", "dept_admin", "school_admin"})  # the intervention-effect report
TEACHER = frozenset({"head_teacher", "dept_admin"})  # the head teacher's own file, and their dept admin
REGISTRARS = frozenset({"counsellor", "student_affairs"})
RUNNERS = frozenset({"head_teacher", "course_teacher"})
ONLY = {r: frozenset({r}) for r in ROLES}
NONE = frozenset()
GOAL = {"part": "A", "title": "新目标", "target": 10, "standard": 8, "warning": 5}
PUSH = {"endpoint": "https://push.example/device",  # keys are checked: a point on P-256 (7·G) and 16 bytes
        "keys": {"p256dh": "BI5TO2-gv3tGJbswZnwB-2B--fi4qA_vWzAGKHAxh7Kjc-sdveAzGDZtBp-DpvWQAFPHNjPLBBshxV4ahsH0ALQ",
                 "auth": "A" * 22}}


def _plan_body(world, role, kind):
    year = next(world._years)
    return {"kind": "student_cycle" if role == "student" else "teacher_year", "start_year": year}


# Static, PWA, docs and health routes: public by design, never behind a login.
PUBLIC = {
    "static": "Flask's static route (unused; the PWA is served by pwa.*)",
    "pwa.index": "the PWA shell loads before anyone logs in",
    "pwa.assets": "the PWA's scripts and styles",
    "pwa.versioned_assets": "the PWA's scripts and styles under this version's URL, cached for a year",
    "pwa.manifest": "the web app manifest, read by the browser to install the app",
    "pwa.service_worker": "the service worker, fetched by the browser outside any session",
    "pwa.swagger_assets": "the API docs' scripts",
    "api-docs.openapi_json": "the OpenAPI document (no data)",
    "api-docs.openapi_swagger_ui": "the API docs page (no data)",
    "health.healthz": "readiness under its old name, for old run scripts",
    "health.livez": "liveness: systemd and load balancers, no data",
    "health.readyz": "readiness: load balancers and monitoring; reachability and ages, no personal data",
    "health.prometheus": "Prometheus: allowed networks or a bearer token (METRICS_*), else 404; no personal data",
    "auth.login": "the way in",
    "auth.refresh": "authenticated by the refresh cookie and CSRF header, not the access token",
    "notifications.public_key": "the VAPID public key is public by definition",
    "cas.settings": "the login screen asks whether to offer campus sign-in (统一身份认证)",
    "cas.start": "the way in through the CAS server (a redirect)",
    "cas.callback": "the CAS server's way back: a ticket and a browser-bound nonce, validated with the CAS server",
    "cas.single_logout": "the CAS server's back-channel logout; only a session's own ticket names it",
}

ORG_RUNNERS = frozenset({"school_admin", "dept_admin"})  # majors (read), class people, moves, status, grants


def _counsellor_of(world, caller, kind):
    """The class's own counsellor: reassigning them changes nothing the later rows rely on."""
    from backend.models import RoleGrant
    return db.session.scalar(select(RoleGrant.user_id).where(
        RoleGrant.role == "counsellor", RoleGrant.scope_type == "class", RoleGrant.scope_id == world._class(kind).id))


def _fresh_grant(world, caller, kind):
    """A course-teacher grant over the class for its head teacher, made again once revoked."""
    from backend.models import RoleGrant
    cls = world._class(kind)
    found = dict(user_id=world.head[cls.id].id, role="course_teacher", scope_type="class", scope_id=cls.id)
    grant = db.session.scalar(select(RoleGrant).filter_by(**found))
    if grant is None:
        grant = RoleGrant(**found)
        db.session.add(grant)
        db.session.commit()
    return grant.id


V1 = "/api/v1"
EXPECT: dict[tuple[str, str], list[Row]] = {
    # --- auth and self ---------------------------------------------------------------------
    ("POST", f"{V1}/auth/logout"): [Row(EVERYONE, fresh_login=True)],
    ("POST", f"{V1}/auth/password"): [Row(EVERYONE, body={"current_password": "not-my-password",
                                                          "new_password": "Quite-New-Passw0rd!"}, ok={422})],
    ("GET", f"{V1}/me"): [Row(EVERYONE)],
    ("PATCH", f"{V1}/me"): [Row(STAFF, body={"display_name": "新名字"}),  # a student's name comes from the roster
                            Row(EVERYONE, body={"locale": "en"})],
    ("GET", f"{V1}/me/notification-settings"): [Row(EVERYONE)],
    ("GET", f"{V1}/me/data"): [Row(EVERYONE)],  # issue 19: one's own data (PIPL art. 45)
    ("GET", f"{V1}/me/data.pdf"): [Row(EVERYONE)],
    ("GET", f"{V1}/me/data/about"): [Row(EVERYONE)],
    ("PUT", f"{V1}/me/notification-settings"): [Row(EVERYONE, body={"digest": False})],
    ("GET", f"{V1}/notifications"): [Row(EVERYONE)],
    ("POST", f"{V1}/notifications/<int:notification_id>/read"): [
        Row(EVERYONE, {"notification_id": "@fresh_notification"})],
    ("GET", f"{V1}/push/subscriptions"): [Row(EVERYONE)],
    ("POST", f"{V1}/push/subscriptions"): [Row(EVERYONE, body=PUSH)],
    ("PATCH", f"{V1}/push/subscriptions/<int:subscription_id>"): [
        Row(EVERYONE, {"subscription_id": "@fresh_subscription"}, body={"enabled": False})],
    ("DELETE", f"{V1}/push/subscriptions/<int:subscription_id>"): [
        Row(EVERYONE, {"subscription_id": "@fresh_subscription"})],
    # --- organisation ----------------------------------------------------------------------
    ("GET", f"{V1}/departments"): [Row(EVERYONE)],
    ("GET", f"{V1}/departments/<int:dept_id>"): [Row(DEPT_STAFF, {"dept_id": "@own_dept"})],
    ("GET", f"{V1}/classes"): [Row(EVERYONE)],
    ("GET", f"{V1}/classes/<int:class_id>"): [Row(STAFF | {"student"}, {"class_id": "@own_class"})],
    ("GET", f"{V1}/classes/<int:class_id>/students"): [Row(STAFF, {"class_id": "@own_class"})],
    ("GET", f"{V1}/students/<int:student_id>"): [Row(STAFF | {"student"}, {"student_id": "@own_student"}),
                                                  Row(STAFF, {"student_id": "@classmate"})],
    ("GET", f"{V1}/terms"): [Row(EVERYONE)],
    ("GET", f"{V1}/terms/current"): [Row(EVERYONE)],
    ("POST", f"{V1}/terms"): [Row(ONLY["school_admin"], body={"academic_year": "2030-2031", "semester": 1,
                                                              "starts_on": "2030-09-01", "ends_on": "2031-01-15"})],
    ("GET", f"{V1}/roster/template"): [Row(ONLY["school_admin"])],
    ("POST", f"{V1}/roster/import"): [Row(ONLY["school_admin"], ok={422})],  # no file: past the check, then 422
    ("GET", f"{V1}/roster/imports/<string:job_id>"): [  # not the caller's import (none is): past the check, then 404
        Row(ONLY["school_admin"], {"job_id": "roster-import-0"}, ok={404})],
    ("GET", f"{V1}/audit"): [Row(ONLY["school_admin"])],
    # The organisation over time (issue 16): majors, a class's people, revoking, moves and status, rollover.
    # Writes that would change the world for later rows stop at a 422 past the check (a move into the
    # class the student is in, a resume of a student not suspended, a rollover to an earlier term).
    ("GET", f"{V1}/majors"): [Row(ORG_RUNNERS)],
    ("POST", f"{V1}/majors"): [Row(ONLY["school_admin"], ok={201, 422},
                                   body={"department_id": lambda w, c, k: w.ids["own_dept"], "name": "政策测试专业"})],
    ("PATCH", f"{V1}/majors/<int:major_id>"): [Row(ONLY["school_admin"], {"major_id": lambda w, c, k: w.own_class.major_id},
                                                   body={"name": lambda w, c, k: w.own_class.major.name})],
    ("GET", f"{V1}/classes/<int:class_id>/people"): [Row(ORG_RUNNERS, {"class_id": "@own_class"})],
    ("PUT", f"{V1}/classes/<int:class_id>/people/<any(head_teacher,counsellor):role>"): [
        Row(ORG_RUNNERS, {"class_id": "@own_class", "role": "counsellor"}, body={"user_id": _counsellor_of})],
    ("GET", f"{V1}/grants"): [Row(ORG_RUNNERS, query="?username=T10001")],
    ("DELETE", f"{V1}/grants/<int:grant_id>"): [Row(ORG_RUNNERS, {"grant_id": _fresh_grant})],
    ("GET", f"{V1}/students/<int:student_id>/status"): [Row(ORG_RUNNERS, {"student_id": "@classmate"})],
    ("POST", f"{V1}/students/<int:student_id>/move"): [
        Row(ORG_RUNNERS, {"student_id": "@classmate"}, ok={422},
            body={"class_id": lambda w, c, k: w._class(k).id, "effective_on": "2026-11-23"})],
    ("POST", f"{V1}/students/<int:student_id>/status"): [
        Row(ORG_RUNNERS, {"student_id": "@classmate"}, ok={422}, body={"action": "resume", "effective_on": "2026-11-23"})],
    # The demo's terms are 1 (last), 2 (in session) and 3 (next).
    ("GET", f"{V1}/terms/<int:term_id>/rollover"): [Row(ONLY["school_admin"], {"term_id": 2}, query="?to_term_id=3")],
    ("POST", f"{V1}/terms/<int:term_id>/rollover"): [Row(ONLY["school_admin"], {"term_id": 2}, ok={422},
                                                         body={"to_term_id": 1})],
    # WeCom / DingTalk settings and users' ids: the school admin's
    ("GET", f"{V1}/channels"): [Row(ONLY["school_admin"])],
    ("PUT", f"{V1}/channels/<channel>"): [Row(ONLY["school_admin"], {"channel": "wecom"}, body={"agent_id": "1000002"})],
    ("GET", f"{V1}/channel-accounts"): [Row(ONLY["school_admin"], query="?q=T1")],
    ("PUT", f"{V1}/channel-accounts/<int:user_id>"): [
        Row(ONLY["school_admin"], {"user_id": "@fresh_student"}, body={"wecom": None})],
    # Who keeps a password login while campus sign-in is on: the school admin's
    ("GET", f"{V1}/password-logins"): [Row(ONLY["school_admin"], query="?q=S")],
    ("PUT", f"{V1}/password-logins/<int:user_id>"): [
        Row(ONLY["school_admin"], {"user_id": "@fresh_student"}, body={"password_login": "allowed"})],
    # Initial passwords answer only their maker, while they last: an unknown id is everyone's 404.
    ("GET", f"{V1}/roster/slips/<string:slips_id>"): [Row(EVERYONE, {"slips_id": "no-such-slips-id"}, ok={404})],
    ("POST", f"{V1}/students/<int:student_id>/password-reset"): [
        Row(frozenset({"school_admin", "head_teacher"}), {"student_id": "@fresh_student"})],
    # --- value card ------------------------------------------------------------------------
    ("GET", f"{V1}/catalogue"): [Row(EVERYONE)],
    ("POST", f"{V1}/catalogue"): [Row(ONLY["school_admin"], ok={201, 422}, body={  # a second add: same name, 422
        "domain": "career", "name_zh": "技能竞赛参与", "name_en": "Skills contests entered", "value_type": "count",
        "max_value": 10, "timing": "semester_end", "scorer_roles": ["head_teacher"], "weight": 0, "standard_value": 1,
        "rationale": "本校特色"})],
    ("GET", f"{V1}/catalogue/<code>"): [Row(EVERYONE, {"code": "S-A-05"})],
    ("PATCH", f"{V1}/catalogue/<code>"): [Row(ONLY["school_admin"], {"code": "S-A-05"}, body={"standard_value": 85})],
    ("PUT", f"{V1}/catalogue/domains/weights"): [Row(ONLY["school_admin"], body={"domain": "career", "weights": {"S-C-05": 0.04}})],
    ("GET", f"{V1}/classes/<int:class_id>/meetings"): [Row(STAFF, {"class_id": "@own_class"}, query="?point=S-A-06")],
    # A batch answers a row it may not score with 422 naming the row, the same as for no such student.
    ("POST", f"{V1}/entries"): [Row(ONLY["head_teacher"], body={"point": "S-A-09", "period": "term", "entries": [
        {"student_id": "@fresh_student", "value": 80}]}, refused={422}, foreign_status=422)],
    # Another scorer's entry is not there at all for whoever does not score it.
    ("POST", f"{V1}/entries/<int:entry_id>/reverse"): [
        Row(ONLY["head_teacher"], {"entry_id": "@fresh_entry"}, body={"reason": "录入错误"}, refused={404})],
    ("POST", f"{V1}/entries/<int:entry_id>/correction"): [
        Row(ONLY["head_teacher"], {"entry_id": "@fresh_entry"}, body={"reason": "录入错误", "value": 70}, refused={404})],
    ("GET", f"{V1}/points/<code>/periods"): [Row(EVERYONE, {"code": "S-A-09"})],
    ("POST", f"{V1}/entries/<int:entry_id>/disputes"): [
        Row(ONLY["student"], {"entry_id": "@own_entry"}, body={"reason": "成绩有误"})],
    ("GET", f"{V1}/disputes"): [Row(EVERYONE)],
    ("GET", f"{V1}/me/disputes"): [Row(EVERYONE)],
    ("POST", f"{V1}/disputes/<int:dispute_id>/resolve"): [
        Row(ONLY["head_teacher"], {"dispute_id": "@fresh_dispute"}, body={"action": "reject", "reason": "核实无误"})],
    ("GET", f"{V1}/students/<int:student_id>/card"): [Row(STAFF | {"student"}, {"student_id": "@own_student"}),
                                                       Row(STAFF, {"student_id": "@classmate"})],
    ("GET", f"{V1}/students/<int:student_id>/entries"): [Row(STAFF | {"student"}, {"student_id": "@own_student"}),
                                                          Row(STAFF, {"student_id": "@classmate"})],
    ("GET", f"{V1}/classes/<int:class_id>/card"): [Row(STAFF, {"class_id": "@own_class"})],
    ("GET", f"{V1}/classes/<int:class_id>/scoring-sheet"): [
        Row(STAFF, {"class_id": "@own_class"}, query="?point=S-A-09")],
    ("POST", f"{V1}/classes/<int:class_id>/scoring-sheet"): [Row(STAFF, {"class_id": "@own_class"}, ok={422})],
    ("POST", f"{V1}/sessions"): [Row(RUNNERS, body={"class_id": "@own_class"})],
    ("GET", f"{V1}/sessions/<int:session_id>"): [Row(RUNNERS, {"session_id": "@own_session"})],
    ("GET", f"{V1}/sessions/<int:session_id>/code"): [Row(RUNNERS, {"session_id": "@own_session"})],
    ("PUT", f"{V1}/sessions/<int:session_id>/marks"): [Row(RUNNERS, {"session_id": "@own_session"}, body={
        "marks": [{"student_id": "@own_student", "status": "present"}]})],
    ("POST", f"{V1}/sessions/<int:session_id>/close"): [Row(RUNNERS, {"session_id": "@fresh_session_for"})],
    ("GET", f"{V1}/classes/<int:class_id>/sessions"): [Row(STAFF, {"class_id": "@own_class"})],
    ("GET", f"{V1}/me/sessions"): [Row(EVERYONE)],
    ("GET", f"{V1}/me/home"): [Row(ONLY["student"])],  # the student's dashboard summary
    ("POST", f"{V1}/checkin"): [Row(ONLY["student"], body={"code": "000000"}, ok={422})],  # a wrong code
    ("POST", f"{V1}/leave-requests"): [Row(ONLY["student"], body={
        "starts_at": "2026-11-24T08:00:00+08:00", "ends_at": "2026-11-24T12:00:00+08:00", "reason": "病假"})],
    ("GET", f"{V1}/leave-requests"): [Row(EVERYONE)],  # lists answer everyone, narrowed to what each acts on
    ("GET", f"{V1}/me/leave-requests"): [Row(EVERYONE)],
    ("POST", f"{V1}/leave-requests/<int:leave_id>/decision"): [
        Row(MENTORS, {"leave_id": "@fresh_leave_for"}, body={"approve": True})],
    # --- reports ---------------------------------------------------------------------------
    ("GET", f"{V1}/reports/<unit>/<int:unit_id>"): [
        Row(REPORT_CLASS, {"unit": "class", "unit_id": "@own_class"}),
        Row(REPORT_DEPT, {"unit": "department", "unit_id": "@own_dept"}),
        Row(ONLY["school_admin"], {"unit": "school", "unit_id": "@school"})],
    ("GET", f"{V1}/reports/<unit>/<int:unit_id>/export"): [
        Row(REPORT_CLASS, {"unit": "class", "unit_id": "@own_class"}, query="?format=csv"),
        Row(REPORT_DEPT, {"unit": "department", "unit_id": "@own_dept"}, query="?format=csv")],
    ("GET", f"{V1}/reports/<unit>/<int:unit_id>/diagnosis"): [
        Row(REPORT_CLASS, {"unit": "class", "unit_id": "@own_class"}, query="?format=xlsx")],
    ("GET", f"{V1}/classes/<int:class_id>/roll"): [Row(ROLL, {"class_id": "@own_class"}),
                                                   Row(ROLL, {"class_id": "@own_class"}, query="?format=xlsx")],
    # --- warnings and special groups ------------------------------------------------------
    ("GET", f"{V1}/warnings"): [Row(EVERYONE)],
    ("GET", f"{V1}/me/warnings"): [Row(EVERYONE)],
    ("GET", f"{V1}/warnings/<int:warning_id>"): [Row(CHAIN | {"student"}, {"warning_id": "@own_warning"}),
                                                 Row(CHAIN, {"warning_id": "@sensitive_warning"})],
    ("POST", f"{V1}/warnings/<int:warning_id>/acknowledge"): [Row(CHAIN, {"warning_id": "@own_warning"})],
    ("POST", f"{V1}/warnings/<int:warning_id>/interventions"): [
        Row(CHAIN, {"warning_id": "@own_warning"}, body={"text": "谈话"})],
    # After the first of the chain resolves it, the next get 409: past the check, the warning is closed.
    ("POST", f"{V1}/warnings/<int:warning_id>/resolve"): [
        Row(CHAIN, {"warning_id": "@own_warning"}, body={"text": "已解决"}, ok={200, 409})],
    # Mass-event incidents: seen by their writer, the class's head teacher and counsellor; decided
    # by the writer and the head teacher; a batch reversed only by a scorer of its point.
    ("GET", f"{V1}/incidents"): [Row(EVERYONE)],
    ("GET", f"{V1}/incidents/<int:incident_id>"): [
        Row(frozenset({"head_teacher", "course_teacher", "counsellor"}), {"incident_id": "@own_incident"})],
    ("POST", f"{V1}/incidents/<int:incident_id>/decision"): [
        Row(frozenset({"head_teacher", "course_teacher"}), {"incident_id": "@own_incident"},
            body={"decision": "confirmed"})],
    ("POST", f"{V1}/incidents/<int:incident_id>/reverse-batch"): [
        Row(ONLY["head_teacher"], {"incident_id": "@fresh_batch_incident_for"}, body={"reason": "录错班级"})],
    # Issue 15 "effect": a warning's weekly trend is the chain's, like the warning; the effect report
    # is the department admin's, the counsellor's (their classes) and the school admin's.
    ("GET", f"{V1}/warnings/<int:warning_id>/trend"): [Row(CHAIN, {"warning_id": "@own_warning"}),
                                                       Row(CHAIN, {"warning_id": "@sensitive_warning"})],
    ("GET", f"{V1}/intervention-kinds"): [Row(EVERYONE)],
    ("GET", f"{V1}/reports/intervention-effect"): [Row(EFFECT)],
    ("GET", f"{V1}/reports/intervention-effect/export"): [Row(EFFECT, query="?format=csv")],
    ("GET", f"{V1}/warning-rules"): [Row(EVERYONE)],
    ("PATCH", f"{V1}/warning-rules/<code>"): [Row(ONLY["school_admin"], {"code": "TH-ACADEMIC"},
                                                  body={"ack_hours": 48})],
    ("GET", f"{V1}/special-groups"): [Row(EVERYONE)],
    ("POST", f"{V1}/special-groups"): [Row(REGISTRARS, body={
        "student_id": "@fresh_student", "group": "psychological", "reason": "主动求助", "responsible_id": "@counsellor"})],
    # Closing needs the right to register: not the head teacher who follows the record.
    ("POST", f"{V1}/special-groups/<int:record_id>/close"): [
        Row(REGISTRARS, {"record_id": "@fresh_record_for"}, body={"note": "已毕业"})],
    # --- development -----------------------------------------------------------------------
    ("GET", f"{V1}/me/plans"): [Row(EVERYONE)],
    ("POST", f"{V1}/me/plans"): [Row(EVERYONE, body=_plan_body)],
    ("GET", f"{V1}/plans/<int:plan_id>"): [Row(MENTORS | {"student"}, {"plan_id": "@own_plan"}),
                                           Row(MENTORS, {"plan_id": "@classmate_plan"}),
                                           Row(TEACHER, {"plan_id": "@teacher_plan"})],
    ("PATCH", f"{V1}/plans/<int:plan_id>"): [Row(ONLY["student"], {"plan_id": "@own_plan"},
                                                 body={"private_note": "只给自己看"}),
                                             Row(ONLY["head_teacher"], {"plan_id": "@teacher_plan"},
                                                 body={"private_note": "只给自己看"})],
    ("POST", f"{V1}/plans/<int:plan_id>/goals"): [Row(ONLY["student"], {"plan_id": "@draft_plan"}, body=GOAL)],
    ("POST", f"{V1}/plans/<int:plan_id>/submit"): [Row(ONLY["student"], {"plan_id": "@fresh_draft"})],
    ("POST", f"{V1}/plans/<int:plan_id>/review"): [
        Row(ONLY["head_teacher"], {"plan_id": "@fresh_submitted"}, body={"decision": "return", "comment": "请细化目标"}),
        Row(ONLY["dept_admin"], {"plan_id": "@fresh_teacher_plan"}, body={"decision": "return", "comment": "补充"})],
    ("GET", f"{V1}/plans/<int:plan_id>/diagnosis"): [Row(MENTORS | {"student"}, {"plan_id": "@own_plan"})],
    ("PUT", f"{V1}/plans/<int:plan_id>/diagnosis"): [Row(ONLY["student"], {"plan_id": "@own_plan"},
                                                         body={"summary": "本学期总结"})],
    ("POST", f"{V1}/plans/<int:plan_id>/diagnosis/submit"): [
        Row(ONLY["student"], {"plan_id": "@own_plan"}, body=lambda w, role, kind: w.measures(w.ids["own_plan"]))],
    ("POST", f"{V1}/plans/<int:plan_id>/diagnosis/comment"): [
        Row(ONLY["head_teacher"], {"plan_id": "@classmate_plan"}, body={"comment": "继续努力"})],
    ("PATCH", f"{V1}/goals/<int:goal_id>"): [Row(ONLY["student"], {"goal_id": "@draft_goal"},
                                                 body={"title": "改过的目标"})],
    ("DELETE", f"{V1}/goals/<int:goal_id>"): [Row(ONLY["student"], {"goal_id": "@fresh_goal"})],
    ("POST", f"{V1}/goals/<int:goal_id>/logs"): [Row(ONLY["student"], {"goal_id": "@draft_goal"},
                                                     body={"note": "有进展"})],
    ("GET", f"{V1}/classes/<int:class_id>/plans"): [Row(SUMMARY, {"class_id": "@own_class"})],
    ("GET", f"{V1}/departments/<int:dept_id>/teachers"): [Row(ONLY["dept_admin"], {"dept_id": "@own_dept"})],
    ("GET", f"{V1}/self-assessment"): [Row(EVERYONE)],
    ("GET", f"{V1}/students/<int:student_id>/self-assessment"): [
        Row(frozenset({"student", "head_teacher"}), {"student_id": "@own_student"}),
        Row(frozenset({"student", "head_teacher"}), {"student_id": "@classmate"})],  # a classmate: others' view
    ("PUT", f"{V1}/students/<int:student_id>/self-assessment"): [
        Row(frozenset({"student", "head_teacher"}), {"student_id": "@classmate"}, body={"answers": {"S2": 3}})],
    ("GET", f"{V1}/students/<int:student_id>/self-assessment/result"): [
        Row(MENTORS | {"student"}, {"student_id": "@own_student"}), Row(MENTORS, {"student_id": "@classmate"})],
    ("GET", f"{V1}/students/<int:student_id>/development-report"): [
        Row(MENTORS | {"student"}, {"student_id": "@own_student"}), Row(MENTORS, {"student_id": "@classmate"})],
    ("GET", f"{V1}/teachers/<int:teacher_id>/yearly-report"): [Row(TEACHER, {"teacher_id": "@teacher"})],
    ("GET", f"{V1}/teachers/<int:teacher_id>/portfolio"): [Row(TEACHER, {"teacher_id": "@teacher"})],
    ("GET", f"{V1}/me/portfolio"): [Row(EVERYONE)],
    ("POST", f"{V1}/me/portfolio"): [Row(STAFF, body={"kind": "training", "title": "培训", "occurred_on": "2026-11-20",
                                                      "hours": 2})],
    ("DELETE", f"{V1}/portfolio/<int:item_id>"): [Row(ONLY["head_teacher"], {"item_id": "@fresh_item"})],
    ("POST", f"{V1}/portfolio/<int:item_id>/attachments"): [Row(ONLY["head_teacher"], {"item_id": "@own_item"},
                                                                ok={422})],  # no file: past the check, then 422
    ("GET", f"{V1}/attachments/<int:attachment_id>"): [Row(TEACHER, {"attachment_id": "@own_attachment"})],
    ("DELETE", f"{V1}/attachments/<int:attachment_id>"): [Row(ONLY["head_teacher"],
                                                              {"attachment_id": "@fresh_attachment"})],
    # Student cadres: the class's own head teacher grants and reviews; a student records through their grant
    # (no such classmate here: past the check, then the ledger's 422 naming the row).
    ("GET", f"{V1}/classes/<int:class_id>/cadres"): [Row(ONLY["head_teacher"], {"class_id": "@own_class"})],
    ("POST", f"{V1}/classes/<int:class_id>/cadres"): [Row(ONLY["head_teacher"], {"class_id": "@own_class"}, body={
        "student_id": "@own_student", "title": "学习委员", "points": ["S-A-07"]}, ok={201, 422})],
    ("POST", f"{V1}/cadre-grants/<int:grant_id>/revoke"): [Row(EVERYONE, {"grant_id": 0}, ok={404})],
    ("GET", f"{V1}/cadre/me"): [Row(ONLY["student"])],
    ("POST", f"{V1}/cadre/entries"): [Row(ONLY["student"], body={"point": "S-A-07", "period": "month:2026-11", "entries": [
        {"student_id": 0, "value": 1}]}, ok={422})],
    ("GET", f"{V1}/cadre-batches"): [Row(EVERYONE)],
    ("POST", f"{V1}/cadre-batches/<string:batch_id>/review"): [
        Row(EVERYONE, {"batch_id": "no-such-batch"}, body={"decision": "confirmed"}, ok={404})],
    # Grades: the teaching office, the school admin, a course teacher (row by row: their own courses).
    ("POST", f"{V1}/grades/import"): [Row(frozenset({"teaching_office", "school_admin", "course_teacher"}), ok={422})],
    ("GET", f"{V1}/grades/template"): [Row(frozenset({"teaching_office", "school_admin", "course_teacher"}))],
    # --- issue 16: courses, the timetable, holidays, sessions from meetings --------------------
    # A timetable is no secret among staff; the school admin keeps it; a meeting is opened by its teacher.
    ("GET", f"{V1}/courses"): [Row(STAFF)],
    ("GET", f"{V1}/terms/<int:term_id>/offerings"): [Row(STAFF, {"term_id": "@term"})],
    # The classes are named in the body: whoever may not edit the timetable is refused before it is read.
    ("POST", f"{V1}/terms/<int:term_id>/offerings"): [Row(ONLY["school_admin"], {"term_id": "@term"}, body={
        "course_id": "@course", "teacher_id": "@teacher", "class_ids": ["@own_class"]}, foreign_status=403)],
    ("PUT", f"{V1}/offerings/<int:offering_id>"): [
        Row(ONLY["school_admin"], {"offering_id": "@own_offering"}, body=lambda w, role, kind: w.offering_body(role, kind))],
    ("DELETE", f"{V1}/offerings/<int:offering_id>"): [Row(ONLY["school_admin"], {"offering_id": "@fresh_offering"})],
    ("POST", f"{V1}/offerings/<int:offering_id>/slots"): [Row(ONLY["school_admin"], {"offering_id": "@fresh_offering"},
                                                              body={"weekday": 7, "first_period": 1, "last_period": 2,
                                                                    "weeks": "1-2"})],
    ("DELETE", f"{V1}/slots/<int:slot_id>"): [Row(ONLY["school_admin"], {"slot_id": "@fresh_slot"})],
    ("GET", f"{V1}/terms/<int:term_id>/timetable"): [Row(STAFF, {"term_id": "@term"}, query="?class_id=1")],
    ("GET", f"{V1}/me/timetable"): [Row(EVERYONE)],
    ("GET", f"{V1}/terms/<int:term_id>/holidays"): [Row(EVERYONE, {"term_id": "@term"})],
    ("PUT", f"{V1}/terms/<int:term_id>/holidays"): [Row(ONLY["school_admin"], {"term_id": "@term"}, body={
        "days": [{"day": "2026-10-01", "kind": "holiday", "name": "国庆节"}]})],
    ("POST", f"{V1}/timetable/import"): [Row(ONLY["school_admin"], ok={422})],  # no file: past the check, then 422
    ("GET", f"{V1}/timetable/template"): [Row(ONLY["school_admin"])],
    ("GET", f"{V1}/me/meetings/today"): [Row(EVERYONE)],
    ("POST", f"{V1}/meetings/<int:slot_id>/<string:day>/session"): [
        Row(ONLY["course_teacher"], {"slot_id": "@own_slot", "day": "@own_slot_day"}, body={})],
    ("GET", f"{V1}/offerings/<int:offering_id>/attendance"): [
        Row(STAFF, {"offering_id": "@own_offering"})],
}
# Issue 20: the department's assessing diagnosis of a teacher's year: the teacher's own department admin
# writes it (the world's teacher plan has no submitted self-diagnosis: past the check, then 409); the
# teacher reads their own (pending until agreed); the names list is the department admin's; the counts
# are the department and school admins'.
EXPECT.update({
    ("GET", f"{V1}/plans/<int:plan_id>/assessing"): [Row(TEACHER, {"plan_id": "@teacher_plan"}, ok={200, 409})],
    ("PUT", f"{V1}/plans/<int:plan_id>/assessing"): [Row(ONLY["dept_admin"], {"plan_id": "@teacher_plan"},
                                                         body={"text": "评估"}, ok={409})],
    ("POST", f"{V1}/plans/<int:plan_id>/assessing/agree"): [Row(ONLY["dept_admin"], {"plan_id": "@teacher_plan"},
                                                                body={"text": "评估"}, ok={409})],
    ("GET", f"{V1}/departments/<int:dept_id>/assessing"): [Row(ONLY["dept_admin"], {"dept_id": "@own_dept"})],
    ("GET", f"{V1}/teacher-summary"): [Row(frozenset({"dept_admin", "school_admin"}))],
})
# Issue 20: a student's own marks and their disputes; teacher stage standards, indicators, course evaluation.
EXPECT.update({
    ("GET", f"{V1}/me/attendance"): [Row(ONLY["student"])],
    ("POST", f"{V1}/me/attendance/disputes"): [Row(ONLY["student"], body={"session_id": "@own_session", "reason": "我在场"})],
    ("GET", f"{V1}/me/attendance/disputes"): [Row(EVERYONE)],  # the caller's own: staff have none
    ("GET", f"{V1}/mark-disputes"): [Row(EVERYONE)],  # disputes about marks of the caller's sessions: students have none
    ("POST", f"{V1}/mark-disputes/<int:dispute_id>/resolve"): [  # no such dispute: nobody gets past the lookup
        Row(NONE, {"dispute_id": 10**6}, body={"action": "reject", "reason": "核实无误"}, refused={404})],
    ("GET", f"{V1}/teacher-standards"): [Row(STAFF)],
    ("PUT", f"{V1}/teacher-standards"): [Row(ONLY["school_admin"], body={
        "stage": "novice", "indicator_code": "T-TRAIN", "target": 80, "standard": 60, "warning": 40})],
    ("GET", f"{V1}/teachers/<int:teacher_id>/indicators"): [Row(TEACHER, {"teacher_id": "@teacher"})],
    ("GET", f"{V1}/me/course-evaluations"): [Row(ONLY["student"])],
    ("POST", f"{V1}/offerings/<int:offering_id>/evaluation"): [
        Row(ONLY["student"], {"offering_id": "@own_offering"}, body={"score": 5})],
})
# Issue 20: the teacher portrait (the teacher and their department admin); teacher warnings, the teacher's
# department admins only (tests/alerts/test_teacher_warnings.py raises real ones and tries every caller on them;
# here no such warning exists, so nobody gets past the lookup).
NO_TEACHER_WARNING = {"warning_id": 10**6}
EXPECT.update({
    ("GET", f"{V1}/me/portrait"): [Row(STAFF)],
    ("GET", f"{V1}/teachers/<int:teacher_id>/portrait"): [Row(TEACHER, {"teacher_id": "@teacher"})],
    ("GET", f"{V1}/teacher-warnings"): [Row(EVERYONE)],  # the caller's departments': empty but for their admins
    ("GET", f"{V1}/teacher-warnings/<int:warning_id>"): [Row(NONE, NO_TEACHER_WARNING, refused={404})],
    ("POST", f"{V1}/teacher-warnings/<int:warning_id>/acknowledge"): [Row(NONE, NO_TEACHER_WARNING, refused={404})],
    ("POST", f"{V1}/teacher-warnings/<int:warning_id>/interventions"): [
        Row(NONE, NO_TEACHER_WARNING, body={"text": "约谈"}, refused={404})],
    ("POST", f"{V1}/teacher-warnings/<int:warning_id>/resolve"): [
        Row(NONE, NO_TEACHER_WARNING, body={"text": "已改进"}, refused={404})],
})
PER_CALLER = {"fresh_notification", "fresh_subscription"}  # the caller's own
METHOD_ORDER = {"GET": 0, "PUT": 1, "PATCH": 2, "POST": 3, "DELETE": 4}  # reads before the writes that change them


def _refs(value):
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return [value[1:]] if isinstance(value, str) and value.startswith("@") else []


def _has_object(row: Row) -> bool:
    refs = _refs(row.args) + _refs(row.body if isinstance(row.body, dict) else None)
    return any(r in FOREIGN or r.startswith("fresh_") for r in refs)


def _resolve(value, world, caller, kind):
    if callable(value):
        return value(world, caller, kind)
    if isinstance(value, dict):
        return {k: _resolve(v, world, caller, kind) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, world, caller, kind) for v in value]
    if isinstance(value, str) and value.startswith("@"):
        key = value[1:]
        if key.startswith("fresh_"):  # made anew only after a request used the last one up
            slot = (key, caller if key in PER_CALLER else None, kind)
            if slot not in world.fresh:
                world.fresh[slot] = getattr(world, key)(caller, kind)
            return world.fresh[slot]
        return world.ids[FOREIGN.get(key, key) if kind == "foreign" else key]
    return value


def generate_cases(app) -> tuple[list, list]:
    """(method, rule, row, caller, kind) for every rule and method of the URL map; and the
    endpoints nobody listed."""
    cases, unlisted, seen = [], [], set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            seen.add((method, rule.rule))
            rows = EXPECT.get((method, rule.rule))
            if rows is None:
                unlisted.append(f"unlisted endpoint: {method} {rule.rule} ({rule.endpoint})")
                continue
            for i, row in enumerate(rows):
                kinds = ("own", "foreign") if _has_object(row) else ("own",)
                cases += [(method, rule.rule, i, row, caller, kind) for kind in kinds for caller in CALLERS]
    unlisted += [f"listed but not in the URL map: {m} {r}" for m, r in EXPECT if (m, r) not in seen]
    cases.sort(key=lambda c: (METHOD_ORDER[c[0]], c[1], c[2]))
    return cases, unlisted


def expected(row: Row, caller: str, kind: str) -> frozenset:
    if caller == ANON:
        return frozenset({401})
    # The school admin's scope is the whole school: another department's object is its own; another
    # person's notification or device, or another school, is foreign to it too.
    personal = any(r in PER_CALLER or r == "school" for r in _refs(row.args))
    if kind == "foreign" and (caller != "school_admin" or personal):
        return frozenset({row.foreign_status})
    return row.ok if caller in row.allowed else row.refused


def _audit_rows() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_matrix_is_generated_from_the_url_map_and_holds(app, client):
    world = World()
    cases, mismatches = generate_cases(app)
    headers = {role: login(client, account) for role, account in world.accounts.items()}
    headers[ANON] = {}
    for method, template, _, row, caller, kind in cases:
        db.session.rollback()
        args = _resolve(row.args, world, caller, kind)
        body = _resolve(row.body, world, caller, kind)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(args[m[1]]), template) + row.query
        auth = login(client, world.accounts[caller]) if row.fresh_login and caller != ANON else headers[caller]
        before = _audit_rows()
        response = client.open(path, method=method, json=body, headers=writing(auth))
        want = expected(row, caller, kind)
        if 200 <= response.status_code < 300:
            world.fresh.clear()
        if response.status_code not in want:
            mismatches.append(f"{method} {path} as {caller} ({kind}): {response.status_code}, expected "
                              f"{sorted(want) if len(want) < 5 else '2xx'} — {response.get_data(as_text=True)[:120]}")
        if response.status_code in (401, 403, 404) and _audit_rows() != before:
            mismatches.append(f"{method} {path} as {caller} ({kind}): refused, but wrote an audit row")
    endpoints = len({(c[0], c[1]) for c in cases})
    print(f"matrix: {endpoints} endpoints (rule × method) × {len(CALLERS)} callers; {len(cases)} cases")
    assert not mismatches, "\n".join(mismatches)


def test_public_routes_answer_without_a_login(client, app):
    """The public list names real endpoints, and the GET ones answer an anonymous caller."""
    endpoints = {r.endpoint: r for r in app.url_map.iter_rules()}
    assert set(PUBLIC) <= set(endpoints)
    for name, rule in endpoints.items():
        if name in PUBLIC and not rule.arguments and "GET" in rule.methods:
            assert client.get(rule.rule).status_code not in (401, 403), rule.rule


@pytest.fixture
def world(app):
    w = World()
    return w.accounts, w.ids

def test_lists_are_narrowed_to_scope(client, world):
    accounts, ids = world
    for role, expected in (("head_teacher", 1), ("student", 1), ("school_admin", 5)):
        classes = client.get("/api/v1/classes", headers=login(client, accounts[role])).json
        assert len(classes) == expected, role
    dept_admin_classes = client.get("/api/v1/classes", headers=login(client, accounts["dept_admin"])).json
    assert {c["department_id"] for c in dept_admin_classes} == {ids["own_dept"]}
    assert client.get("/api/v1/departments", headers=login(client, accounts["student"])).json == []


@pytest.mark.parametrize("field,value", [("role", "school_admin"), ("class_id", 99), ("points", 100),
                                         ("username", "hijack"), ("must_change_password", False)])
def test_mass_assignment_is_refused_and_changes_nothing(client, world, field, value):
    accounts, _ = world
    headers = login(client, accounts["student"])
    before = client.get("/api/v1/me", headers=headers).json
    body = assert_problem(client.patch("/api/v1/me", headers=headers, json={"display_name": "新名字", field: value}), 422)
    assert field in body["errors"]
    assert client.get("/api/v1/me", headers=headers).json == before


def test_catalogue_patch_refuses_identity_fields(client, world):
    accounts, _ = world
    headers = login(client, accounts["school_admin"])
    body = assert_problem(client.patch("/api/v1/catalogue/S-A-05", headers=headers,
                                       json={"code": "X", "domain": "career"}), 422)
    assert set(body["errors"]) == {"code", "domain"}


def test_unauthenticated_requests_get_401_problem(client, world):
    for path in ("/api/v1/me", "/api/v1/classes", "/api/v1/catalogue"):
        assert_problem(client.get(path), 401)
