"""Everything Spiral holds about the signed-in person, as one JSON object (PIPL art. 45: the right
to consult and copy one's personal information), and the same content as a document for a PDF.

What is in it, per category, and why (one line each where a category is held back):

- profile, roles, class memberships, plans with goals, progress and self-diagnoses (the private
  note too: it is the owner's), self-assessments, value-card entries about them with who entered
  each and when (discipline, mental-health and finance points included: the student already sees
  them on their own card), attendance marks (who set each), leave requests, disputes they filed (about
  entries and about attendance marks), notifications
  sent to them, portfolio items (attachment names and sizes; each is downloaded on its own link),
  push subscriptions (the device label only: the endpoint and keys are credentials), notification
  settings, login sessions (when, how, which browser) and failed logins on their account (when
  only: the address belongs to whoever tried).
- need-to-know parts, by EXPORT_NEED_TO_KNOW (default "withhold"):
  withhold  the export holds what the person sees of themselves in the app: their warnings of the
            non-need-to-know categories (level, status, dates, rule, advice, their values). Need-to-know
            warnings (discipline, mental health, finance), special-group registrations and every
            case note are left out, and `withheld` names these three categories for everyone
            (whether or not this person has any, so the list discloses nothing) with the reason and
            whom to ask. Why: PIPL art. 45 gives the right to a copy, but these records are the
            college's instruments of care, made in a counsellor's duty and full of third parties
            (parents, classmates: PIPL art. 44 is theirs too); art. 45 refers to the exceptions of
            art. 18 and 35, and the app already keeps them from the student (docs/DESIGN.md decision
            7). Withholding wholesale, and saying so, lets the college decide a request case by case.
  summary   need-to-know warnings and special groups listed (category, level, dates, status), with
            the warnings' timeline kinds and dates; texts, evidence and reasons still withheld.
  full      everything, case-note texts included.
- for a teacher: the department's agreed assessing diagnoses of their years, and the teacher
  warnings the department holds about their figures (the notes' texts only in full mode, as case
  notes); for a student: the course evaluations they gave, without the score (it is anonymous:
  nothing links it to them).
- not about them: assessments they made of classmates, entries a teacher recorded for others.
"""
from flask import current_app
from sqlalchemy import select

from backend import database
from backend.alerts import interventions
from backend.extensions import db
from backend.models import (
    AssessingDiagnosis,
    AttendanceMark,
    AuthSession,
    ClassGroup,
    ClassMembership,
    ClassSession,
    Course,
    CourseEvaluationGiven,
    CourseOffering,
    Department,
    Dispute,
    LeaveRequest,
    LoginFailure,
    MarkDispute,
    Notification,
    NotificationPreference,
    Plan,
    PortfolioItem,
    PushSubscription,
    ScoreEntry,
    ScoringPoint,
    SelfAssessment,
    SelfDiagnosis,
    SpecialGroupRecord,
    StaffProfile,
    StudentWarning,
    TeacherWarning,
    Term,
    User,
)
from backend.platform import audit, clock

ASK = ("如需查看，请向学校个人信息保护负责人（学工处）书面申请，学校将逐项决定。"
       " / To see them, ask the college's personal-information contact (student affairs) in writing; "
       "the college decides each one.")
GROUPS = {"hardship": "经济困难", "psychological": "心理", "employment": "就业困难"}


def _iso(value):
    return value.isoformat() if value is not None else None


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _classes() -> dict[int, str]:
    return dict(db.session.execute(select(ClassGroup.id, ClassGroup.name)).all())


def _terms() -> dict[int, str]:
    return {t.id: t.name for t in db.session.scalars(select(Term))}


def collect(user: User) -> dict:
    """The person's data, every category a key; `withheld` says what was left out and why."""
    mode = current_app.config["EXPORT_NEED_TO_KNOW"]
    terms, classes = _terms(), _classes()
    data = {
        "generated_at": _iso(clock.now()),
        "subject": {"user_id": user.id, "username": user.username},
        "profile": _profile(user, classes),
        "roles": [{"role": g.role, "scope_type": g.scope_type, "scope_id": g.scope_id} for g in user.grants],
        "memberships": [{"class": classes.get(m.class_id), "starts_on": _iso(m.starts_on), "ends_on": _iso(m.ends_on)}
                        for m in db.session.scalars(select(ClassMembership).where(ClassMembership.student_id == user.id)
                                                    .order_by(ClassMembership.id))],
        "plans": _plans(user),
        "self_assessments": _assessments(user, terms),
        "ledger_entries": _entries(user, terms),
        "attendance": _attendance(user),
        "leave_requests": [{"starts_at": _iso(r.starts_at), "ends_at": _iso(r.ends_at), "reason": r.reason,
                            "status": r.status, "comment": r.comment, "created_at": _iso(r.created_at)}
                           for r in db.session.scalars(select(LeaveRequest).where(LeaveRequest.student_id == user.id)
                                                       .order_by(LeaveRequest.id))],
        "disputes": [{"entry_id": d.entry_id, "reason": d.reason, "status": d.status, "created_at": _iso(d.created_at),
                      "resolved_at": _iso(d.resolved_at), "resolution": d.resolution}
                     for d in db.session.scalars(select(Dispute).where(Dispute.student_id == user.id).order_by(Dispute.id))],
        "attendance_disputes": _mark_disputes(user),
        "warnings": _warnings(user, terms, mode),
        "special_groups": _groups(user, mode),
        "notifications": [{"kind": n.kind, "level": n.level, "title": n.title, "body": n.body,
                           "created_at": _iso(n.created_at), "read_at": _iso(n.read_at)}
                          for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                                      .order_by(Notification.id))],
        "course_evaluations": _evaluations(user, terms),
        "portfolio": _portfolio(user),
        "assessing_diagnoses": _assessing(user),
        "teacher_warnings": _teacher_warnings(user, mode),
        "push_subscriptions": [{"device": s.device, "enabled": s.enabled, "created_at": _iso(s.created_at),
                                "last_sent_at": _iso(s.last_sent_at)}
                               for s in db.session.scalars(select(PushSubscription)
                                                           .where(PushSubscription.user_id == user.id)
                                                           .order_by(PushSubscription.id))],
        "notification_settings": _preferences(user),
        "sessions": [{"created_at": _iso(s.created_at), "expires_at": _iso(s.expires_at),
                      "revoked_at": _iso(s.revoked_at), "method": s.method or "password", "browser": s.user_agent}
                     for s in db.session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)
                                                 .order_by(AuthSession.created_at))],
        "failed_logins": [_iso(at) for at in db.session.scalars(
            select(LoginFailure.at).where(LoginFailure.username == user.username).order_by(LoginFailure.at))],
    }
    data["withheld"] = _withheld(mode)
    return data


def _profile(user: User, classes: dict) -> dict:
    out = {"display_name": user.display_name, "username": user.username, "language": user.language,
           "account_active": user.is_active, "created_at": _iso(user.created_at)}
    if user.student is not None:
        s = user.student
        out["student"] = {"class": classes.get(s.class_id), "gender": s.gender, "status": s.status,
                          "status_on": _iso(s.status_on)}
    staff = db.session.get(StaffProfile, user.id)
    if staff is not None:
        dept = db.session.get(Department, staff.department_id) if staff.department_id else None
        out["staff"] = {"department": dept.name if dept else None, "title": staff.title}
    return out


def _plans(user: User) -> list[dict]:
    diagnoses = {d.plan_id: d for d in db.session.scalars(select(SelfDiagnosis).where(SelfDiagnosis.owner_id == user.id))}
    reviewers = _names(p.reviewed_by for p in db.session.scalars(select(Plan).where(Plan.owner_id == user.id)))
    out = []
    for p in db.session.scalars(select(Plan).where(Plan.owner_id == user.id).order_by(Plan.id)):
        d = diagnoses.get(p.id)
        out.append({
            "kind": p.kind, "period": p.period, "stage": p.stage, "status": p.status, "summary": p.summary,
            "private_note": p.private_note, "submitted_at": _iso(p.submitted_at),
            "reviewed_by": reviewers.get(p.reviewed_by), "reviewed_at": _iso(p.reviewed_at),
            "review_comment": p.review_comment,
            "goals": [{"part": g.part, "title": g.title, "point_code": g.point_code, "unit": g.unit,
                       "target": g.target, "standard": g.standard, "warning": g.warning, "milestones": g.milestones,
                       "progress": [{"on": _iso(log.logged_on), "value": log.value, "note": log.note} for log in g.logs]}
                      for g in p.goals],
            "self_diagnosis": d and {"status": d.status, "summary": d.summary, "items": d.items,
                                     "submitted_at": _iso(d.submitted_at), "comment": d.comment},
        })
    return out


def _assessments(user: User, terms: dict) -> list[dict]:
    """Their own answers, and others' answers about them (a classmate assessor is not named: the
    classmate's choice is the classmate's personal information)."""
    rows = db.session.scalars(select(SelfAssessment).where(SelfAssessment.subject_id == user.id)
                              .order_by(SelfAssessment.term_id, SelfAssessment.id)).all()
    staff = set(db.session.scalars(select(StaffProfile.user_id).where(
        StaffProfile.user_id.in_({a.assessor_id for a in rows} or {0}))))
    names = _names(staff)
    return [{"term": terms.get(a.term_id), "by": "本人 / self" if a.assessor_id == user.id
             else names.get(a.assessor_id, "同学 / a classmate"), "status": a.status, "answers": a.answers,
             "submitted_at": _iso(a.submitted_at)} for a in rows]


def _entries(user: User, terms: dict) -> list[dict]:
    rows = db.session.execute(
        select(ScoreEntry, ScoringPoint.code, ScoringPoint.name_zh).join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .where(ScoreEntry.student_id == user.id).order_by(ScoreEntry.id)).all()
    names = _names(e.recorded_by for e, _, _ in rows)
    return [{"id": e.id, "term": terms.get(e.term_id), "point": code, "point_name": name, "period": e.period,
             "occasion": e.occasion or None, "value": e.value, "reverses": e.reverses_id, "reason": e.reason,
             "recorded_by": names.get(e.recorded_by), "recorded_at": _iso(e.recorded_at)} for e, code, name in rows]


def _attendance(user: User) -> list[dict]:
    """Every mark with who set it (the student themselves for a check-in), as #/my-attendance shows it."""
    rows = db.session.execute(
        select(AttendanceMark, ClassSession.day, ClassSession.starts_at, Course.name, User.display_name)
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
        .outerjoin(Course, Course.id == ClassSession.course_id)
        .join(User, User.id == AttendanceMark.marked_by)
        .where(AttendanceMark.student_id == user.id).order_by(ClassSession.starts_at)).all()
    return [{"day": _iso(day), "starts_at": _iso(starts), "course": course, "status": m.status, "source": m.source,
             "marked_by": marker, "marked_at": _iso(m.marked_at)} for m, day, starts, course, marker in rows]


def _mark_disputes(user: User) -> list[dict]:
    """Disputes the student filed about their attendance marks, with the outcome (issue 20)."""
    rows = db.session.execute(
        select(MarkDispute, ClassSession.day, Course.name)
        .join(ClassSession, ClassSession.id == MarkDispute.session_id)
        .outerjoin(Course, Course.id == ClassSession.course_id)
        .where(MarkDispute.student_id == user.id).order_by(MarkDispute.id)).all()
    return [{"day": _iso(day), "course": course, "mark_disputed": d.was, "reason": d.reason, "status": d.status,
             "created_at": _iso(d.created_at), "resolved_at": _iso(d.resolved_at), "resolution": d.resolution,
             "corrected_to": d.corrected_to} for d, day, course in rows]


WITHHELD = [
    {"category": "need_to_know_warnings", "what": "纪律、心理健康、经济类的内部预警 / internal warnings of the "
     "need-to-know categories (discipline, mental health, finance)",
     "why": "与应用内一致：这些预警只给需要处理的老师看；告知学生本人可能妨碍帮扶或对其造成伤害"
            " / As in the app, they go only to the staff who act; telling the student may defeat the help or harm them"},
    {"category": "special_groups", "what": "特殊群体登记（经济困难、心理、就业困难） / special-group registrations",
     "why": "登记由辅导员依职责作出，含第三方信息 / Made by counsellors in their duty; they hold third parties' information"},
    {"category": "case_notes", "what": "辅导员的个案记录与帮扶记录、系部对教师预警的处理记录的文字 / the text of "
     "counsellors' case notes and help given, and of the department's notes on a teacher's warnings",
     "why": "记录教师的专业判断和家长、同学等第三方的信息（《个人信息保护法》第44条，他人的权利）"
            " / They hold staff's professional judgment and parents' and classmates' information (PIPL art. 44, "
            "other people's rights)"},
]


def _withheld(mode: str) -> list[dict]:
    """Named whether or not the person has any of them, so the list itself discloses nothing."""
    if mode == "full":
        return []
    kept = WITHHELD if mode == "withhold" else [WITHHELD[2]]
    return [{**item, "ask": ASK} for item in kept]


def _warnings(user: User, terms: dict, mode: str) -> list[dict]:
    """withhold: the warnings the student sees in the app (not need-to-know), as the app's student
    view shows them; summary: need-to-know ones too, and the timeline's kinds and dates; full: all."""
    query = select(StudentWarning).where(StudentWarning.student_id == user.id).order_by(StudentWarning.id)
    if mode == "withhold":
        query = query.where(StudentWarning.sensitive.is_(False))
    out = []
    for w in db.session.scalars(query):
        item = {"term": terms.get(w.term_id), "rule": w.rule.name_zh, "category": w.category,
                "need_to_know": w.sensitive, "level": w.level, "status": w.status, "episode": w.episode,
                "raised_at": _iso(w.raised_at), "resolved_at": _iso(w.resolved_at),
                "withdrawn_at": _iso(w.withdrawn_at), "advice": w.rule.advice_zh,
                "evidence": w.evidence if mode == "full" or not w.sensitive else None}
        if mode != "withhold":
            item["events"] = [{"at": _iso(e.at), "kind": interventions.canonical(e.kind) or e.kind,
                               "text": e.text if mode == "full" else None} for e in w.events]
        out.append(item)
    return out


def _groups(user: User, mode: str) -> list[dict]:
    if mode == "withhold":
        return []
    rows = db.session.scalars(select(SpecialGroupRecord).where(SpecialGroupRecord.student_id == user.id)
                              .order_by(SpecialGroupRecord.id))
    return [{"group": r.group, "group_name": GROUPS.get(r.group, r.group), "registered_at": _iso(r.registered_at),
             "closed_at": _iso(r.closed_at), "reason": r.reason if mode == "full" else None,
             "close_note": r.close_note if mode == "full" else None} for r in rows]


def _evaluations(user: User, terms: dict) -> list[dict]:
    """The offerings the student evaluated; the score is not linked to them anywhere (the
    evaluation is anonymous by design), so it cannot be in their copy either."""
    rows = db.session.execute(select(Course.name, CourseOffering.term_id).join(
        CourseOffering, CourseOffering.course_id == Course.id).join(
        CourseEvaluationGiven, CourseEvaluationGiven.offering_id == CourseOffering.id).where(
        CourseEvaluationGiven.student_id == user.id).order_by(CourseOffering.term_id, Course.name)).all()
    return [{"course": name, "term": terms.get(term_id), "score": None} for name, term_id in rows]


def _assessing(user: User) -> list[dict]:
    """The department's agreed assessing diagnoses of the teacher's years (a draft is the
    assessor's working note until it is agreed with the teacher)."""
    rows = db.session.scalars(select(AssessingDiagnosis).where(
        AssessingDiagnosis.teacher_id == user.id, AssessingDiagnosis.status == "agreed").order_by(AssessingDiagnosis.year))
    return [{"year": a.year, "assessor": _names([a.assessor_id]).get(a.assessor_id), "text": a.text,
             "conclusion": a.conclusion, "measures": a.measures, "agreed_at": _iso(a.agreed_at)} for a in rows]


def _teacher_warnings(user: User, mode: str) -> list[dict]:
    """Warnings the department holds about the teacher's own figures: the figures and the timeline's
    kinds and dates; the notes' texts only in full mode (they are the department admin's)."""
    rows = db.session.scalars(select(TeacherWarning).where(TeacherWarning.teacher_id == user.id)
                              .order_by(TeacherWarning.id))
    return [{"year": w.year, "indicator": w.indicator_code, "stage": w.stage, "level": w.level, "status": w.status,
             "episode": w.episode, "raised_at": _iso(w.raised_at), "resolved_at": _iso(w.resolved_at),
             "withdrawn_at": _iso(w.withdrawn_at), "evidence": w.evidence,
             "events": [{"at": _iso(e.at), "kind": e.kind, "text": e.text if mode == "full" else None}
                        for e in w.events]} for w in rows]


def _portfolio(user: User) -> list[dict]:
    return [{"kind": i.kind, "title": i.title, "occurred_on": _iso(i.occurred_on), "hours": i.hours, "detail": i.detail,
             "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                              "sha256": a.sha256, "download": f"/api/v1/attachments/{a.id}"} for a in i.attachments]}
            for i in db.session.scalars(select(PortfolioItem).where(PortfolioItem.owner_id == user.id)
                                        .order_by(PortfolioItem.id))]


def _preferences(user: User) -> dict | None:
    p = db.session.get(NotificationPreference, user.id)
    return p and {"quiet_from": p.quiet_from, "quiet_until": p.quiet_until, "digest": p.digest,
                  "digest_hour": p.digest_hour}



# The PDF: the same content, one section per category with a Chinese heading, long lists as tables.
SECTIONS = [
    ("profile", "个人资料"), ("roles", "角色"), ("memberships", "班级经历"), ("plans", "发展规划、目标与进展"),
    ("self_assessments", "自我评价"), ("ledger_entries", "储值卡记录（谁录入、何时录入）"), ("attendance", "考勤"),
    ("leave_requests", "请假"), ("disputes", "申诉"), ("attendance_disputes", "考勤申诉"), ("warnings", "预警"),
    ("special_groups", "特殊群体登记"),
    ("notifications", "收到的通知"), ("course_evaluations", "评教（仅记录已评，分数匿名）"), ("portfolio", "成长档案"),
    ("assessing_diagnoses", "系部评估诊断"), ("teacher_warnings", "系部对本人的教师预警"), ("push_subscriptions", "推送设备"),
    ("notification_settings", "通知设置"), ("sessions", "登录记录"), ("failed_logins", "登录失败记录"),
    ("withheld", "未包含的内容及原因"),
]


def _flat(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "；".join(f"{k}: {_flat(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "；".join(_flat(v) for v in value)
    return str(value)


def _attendance_summary(marks: list[dict]) -> dict:
    """A term is some 500 marks, nearly all "present": the PDF counts them per month and lists
    every other mark (late, absent, leave) in full; the JSON has each one. Drawing 500 table rows
    took fpdf2 about 3 s, for pages nobody reads."""
    months: dict[str, dict[str, int]] = {}
    for m in marks:
        counts = months.setdefault((m["day"] or "")[:7], {})
        counts[m["status"]] = counts.get(m["status"], 0) + 1
    statuses = ["present", "late", "absent", "leave"]
    others = [m for m in marks if m["status"] != "present"]
    return {"lines": [f"每月统计如下；非“出勤”的记录逐条列出（共 {len(others)} 条），每一条记录见 JSON。"],
            "table": {"headers": ["月份", "出勤 present", "迟到 late", "缺勤 absent", "请假 leave"],
                      "rows": [[month, *[counts.get(s, 0) for s in statuses]] for month, counts in sorted(months.items())]
                      + [[f"{m['day']} {m['course'] or ''}", m["status"], m["source"], m["marked_at"], m["marked_by"]] for m in others]}}


def document(data: dict) -> dict:
    """reporting/document.py's shape: a title, then a section per category."""
    sections = [{"heading": "说明", "lines": [
        f"账号 {data['subject']['username']}，生成于 {data['generated_at']}。",
        "本文件是学校在螺旋诊改系统中保存的关于您的全部个人信息的副本（《个人信息保护法》第45条）。"
        "同一内容的机器可读版本为 JSON（“我的数据”页面）。"]}]
    for key, heading in SECTIONS:
        value = data[key]
        section = {"heading": heading, "lines": []}
        if not value:
            section["lines"].append("（无）")
        elif isinstance(value, dict):
            section["lines"] += [f"{k}：{_flat(v)}" for k, v in value.items()]
        elif key == "attendance":
            section.update(_attendance_summary(value))
        elif key == "failed_logins":
            section["lines"].append("、".join(value))
        elif key == "plans":
            for plan in value:
                section["lines"].append(f"{plan['period']} {plan['kind']}（{plan['status']}）：{plan['summary']}")
                section["lines"] += [f"  · {g['part']} {g['title']}：目标 {g['target']}，标准 {g['standard']}，"
                                     f"预警 {g['warning']}；进展 {_flat(g['progress'])}" for g in plan["goals"]]
                if plan["private_note"]:
                    section["lines"].append(f"  私人备注：{plan['private_note']}")
                if plan["self_diagnosis"]:
                    section["lines"].append(f"  自我诊断：{_flat(plan['self_diagnosis'])}")
        else:
            headers = list(value[0].keys())
            section["table"] = {"headers": headers, "rows": [[_flat(row[h]) for h in headers] for row in value]}
        sections.append(section)
    return {"title": f"我的数据 · {data['profile']['display_name']}", "sheet": "我的数据", "sections": sections}


def audited(user: User, fmt: str, data: dict) -> None:
    """An export is a read of everything, need-to-know parts included: logged at once, apart from
    the read request's own transaction, with the subject and what it held (counts, never content)."""
    counts = {key: len(value) for key, value in data.items() if isinstance(value, list)}
    with database.write_apart():
        audit.record(user.id, "privacy.export", "student" if user.student is not None else "user", str(user.id),
                     {"format": fmt, "records": counts})


def about() -> dict:
    cfg = current_app.config
    return {"retention_days": cfg["SENSITIVE_RETENTION_DAYS"], "need_to_know": cfg["EXPORT_NEED_TO_KNOW"],
            "withheld": _withheld(cfg["EXPORT_NEED_TO_KNOW"])}
