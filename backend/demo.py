"""A deterministic, realistic demo college for trying Spiral and for benchmarks.

Rows go in through Core INSERTs with precomputed ids (one round trip per
table and chunk): 20,000 students and their staff in seconds, not minutes.
Every demo account shares one password hash, computed once; that is fine
for demo data and would be wrong for real accounts (roster import gives each
its own random initial password).
"""
import math
import random
from datetime import date

from sqlalchemy import func, insert, select, text

from backend.alerts import warning_rules
from backend.auth import passwords
from backend.auth.roles import Role, Scope
from backend.development import teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    ClassGroup,
    Course,
    CourseOffering,
    Department,
    Major,
    OfferingClass,
    RoleGrant,
    School,
    StaffProfile,
    StudentProfile,
    TeachingAssignment,
    Term,
    TimetableSlot,
    User,
)
from backend.org import school_calendar
from backend.platform import clock
from backend.valuecard import catalogue

DEMO_PASSWORD = "Spiral-demo-2026"

DEPARTMENTS = {
    "信息工程系": ["软件技术", "计算机网络技术", "大数据技术"],
    "机电工程系": ["机电一体化技术", "工业机器人技术", "数控技术"],
    "经济管理系": ["会计", "电子商务", "现代物流管理"],
    "建筑工程系": ["建筑工程技术", "工程造价", "建筑设计"],
    "护理系": ["护理", "助产", "康复治疗技术"],
    "艺术设计系": ["视觉传达设计", "环境艺术设计", "数字媒体艺术设计"],
}
COMMON_COURSES = ["思想道德与法治", "体育", "大学英语", "创新创业基础"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _terms(today: date) -> list[tuple[str, int, date, date]]:
    """The term in session today, the one before it (value added needs a previous term) and the
    one after it (a self-diagnosis drafts next term's plan)."""
    year = today.year if today.month >= 8 else today.year - 1
    terms = [(f"{year - 1}-{year}", 2, date(year, 2, 24), date(year, 7, 11)),
             (f"{year}-{year + 1}", 1, date(year, 9, 1), date(year + 1, 1, 17)),
             (f"{year}-{year + 1}", 2, date(year + 1, 2, 23), date(year + 1, 7, 10)),
             (f"{year + 1}-{year + 2}", 1, date(year + 1, 9, 1), date(year + 2, 1, 16))]
    started = [t for t in terms if t[2] <= today]
    return started[-2:] + [terms[len(started)]]


class _Ids:
    """Hands out primary keys so related rows can be inserted in bulk."""

    def __init__(self):
        self.next: dict[type, int] = {}

    def __call__(self, model) -> int:
        if model not in self.next:
            self.next[model] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        self.next[model] += 1
        return self.next[model] - 1


def build(students: int, seed: int, today: date) -> list[dict]:
    if db.session.scalar(select(func.count()).select_from(User)):
        raise Problem(409, "数据库非空 / Database not empty",
                      "The demo college is built into an empty database; remove instance/spiral.db or use a fresh DATABASE_URL.")
    rng = random.Random(seed)
    ids = _Ids()
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    # In foreign-key order: rows are inserted table by table in this order.
    rows: dict[type, list[dict]] = {m: [] for m in (School, Department, Major, Term, Course, User, ClassGroup,
                                                     StudentProfile, StaffProfile, RoleGrant, TeachingAssignment,
                                                     CourseOffering, OfferingClass, TimetableSlot)}
    school_id = ids(School)
    rows[School].append({"id": school_id, "code": "demo", "name": "示范职业技术学院"})
    term_ids = []
    for academic_year, semester, starts, ends in _terms(today):
        term_ids.append(ids(Term))
        rows[Term].append({"id": term_ids[-1], "school_id": school_id, "academic_year": academic_year,
                           "semester": semester, "starts_on": starts, "ends_on": ends})
    current_term = next(t["id"] for t in rows[Term] if t["starts_on"] <= today <= t["ends_on"]) \
        if any(t["starts_on"] <= today <= t["ends_on"] for t in rows[Term]) else term_ids[-1]

    staff_no = iter(range(10001, 10_000_000))

    def person(role_rows: list[tuple[str, str, int]], department_id: int | None, title: str) -> int:
        uid = ids(User)
        rows[User].append({"id": uid, "username": f"T{next(staff_no)}", "display_name": _name(rng),
                           "password_hash": password_hash, "must_change_password": False})
        rows[StaffProfile].append({"user_id": uid, "department_id": department_id, "title": title})
        for role, scope, scope_id in role_rows:
            rows[RoleGrant].append({"id": ids(RoleGrant), "user_id": uid, "role": role,
                                    "scope_type": scope, "scope_id": scope_id})
        return uid

    accounts: dict[str, int] = {}
    accounts[Role.SCHOOL_ADMIN] = person([(Role.SCHOOL_ADMIN, Scope.SCHOOL, school_id)], None, "质量办主任")
    person([(Role.STUDENT_AFFAIRS, Scope.SCHOOL, school_id)], None, "学工处")
    person([(Role.TEACHING_OFFICE, Scope.SCHOOL, school_id)], None, "教务处")

    courses = {}
    for name in COMMON_COURSES:
        courses[name] = ids(Course)
        rows[Course].append({"id": courses[name], "school_id": school_id, "code": f"GC{len(courses):03d}", "name": name})

    class_sizes = []
    while sum(class_sizes) < students:
        class_sizes.append(min(rng.randint(40, 50), students - sum(class_sizes)))
    # Interleaved across departments, so even a small demo spans several of them.
    majors = [(d, ms[i]) for i in range(3) for d, ms in DEPARTMENTS.items()]
    dept_ids: dict[str, int] = {}
    major_ids: dict[str, int] = {}
    for dept, major in majors[: max(1, min(len(majors), math.ceil(len(class_sizes) / 2)))]:
        if dept not in dept_ids:
            dept_ids[dept] = ids(Department)
            rows[Department].append({"id": dept_ids[dept], "school_id": school_id, "name": dept})
            d = dept_ids[dept]
            for role, title in ((Role.DEPT_ADMIN, "系主任"), (Role.STUDENT_AFFAIRS, "学工办"),
                                (Role.TEACHING_OFFICE, "教研室主任"), (Role.PE_TEACHER, "体育教师")):
                uid = person([(role, Scope.DEPARTMENT, d)], d, title)
                accounts.setdefault(role, uid)
        major_ids[major] = ids(Major)
        rows[Major].append({"id": major_ids[major], "department_id": dept_ids[dept], "name": major})
        code = f"MC{len(major_ids):03d}"
        courses[major] = ids(Course)
        rows[Course].append({"id": courses[major], "school_id": school_id, "code": code, "name": f"{major}专业核心课"})

    major_list = list(major_ids.items())
    dept_of_major = {m: dept_ids[d] for d, m in majors if m in major_ids}
    entry_years = [today.year - 2, today.year - 1, today.year] if today.month >= 9 else \
        [today.year - 3, today.year - 2, today.year - 1]
    counsellors: dict[int, tuple[int, int]] = {}
    course_teachers: dict[int, list[int]] = {}
    taught: dict[int, int] = {}
    class_seq: dict[tuple[int, int], int] = {}
    number = 0
    for i, size in enumerate(class_sizes):
        major, major_id = major_list[i % len(major_list)]
        entry_year = entry_years[(i // len(major_list)) % 3]
        dept_id = dept_of_major[major]
        cid = ids(ClassGroup)
        seq = class_seq[(major_id, entry_year)] = class_seq.get((major_id, entry_year), 0) + 1
        head = person([(Role.HEAD_TEACHER, Scope.CLASS, cid)], dept_id, "讲师")
        rows[ClassGroup].append({"id": cid, "major_id": major_id, "department_id": dept_id,
                                 "name": f"{major}{entry_year % 100:02d}{seq:02d}班", "entry_year": entry_year,
                                 "head_teacher_id": head})
        # A counsellor looks after four classes of a department; a teacher teaches a course to four classes.
        counsellor, looked_after = counsellors.get(dept_id, (None, 4))
        if looked_after == 4:
            counsellor, looked_after = person([], dept_id, "辅导员"), 0
        counsellors[dept_id] = (counsellor, looked_after + 1)
        rows[RoleGrant].append({"id": ids(RoleGrant), "user_id": counsellor, "role": Role.COUNSELLOR,
                                "scope_type": Scope.CLASS, "scope_id": cid})
        for course_name in COMMON_COURSES + [major]:
            pool = course_teachers.setdefault(courses[course_name], [])
            if not pool or taught[pool[-1]] >= 4:
                pool.append(person([], dept_id, "讲师"))
            teacher = pool[-1]
            taught[teacher] = taught.get(teacher, 0) + 1
            rows[RoleGrant].append({"id": ids(RoleGrant), "user_id": teacher, "role": Role.COURSE_TEACHER,
                                    "scope_type": Scope.CLASS, "scope_id": cid})
            rows[TeachingAssignment].append({"id": ids(TeachingAssignment), "teacher_id": teacher, "class_id": cid,
                                             "course_id": courses[course_name], "term_id": current_term})
        if i == 0:
            accounts[Role.HEAD_TEACHER] = head
            accounts[Role.COUNSELLOR] = counsellor
            accounts[Role.COURSE_TEACHER] = rows[TeachingAssignment][-1]["teacher_id"]
        for _ in range(size):
            number += 1
            uid = ids(User)
            rows[User].append({"id": uid, "username": f"{entry_year}{i + 1:04d}{number % 100:02d}",
                               "display_name": _name(rng), "password_hash": password_hash,
                               "must_change_password": False})
            rows[StudentProfile].append({"user_id": uid, "class_id": cid, "gender": rng.choice("MF")})
            rows[RoleGrant].append({"id": ids(RoleGrant), "user_id": uid, "role": Role.STUDENT,
                                    "scope_type": Scope.CLASS, "scope_id": cid})
            accounts.setdefault(Role.STUDENT, uid)
        number = 0

    _timetable(rows, ids, next(t for t in rows[Term] if t["id"] == current_term))
    for model, values in rows.items():
        for start in range(0, len(values), 5000):
            db.session.execute(insert(model), values[start:start + 5000])
    _advance_sequences(rows)
    catalogue.seed()
    warning_rules.seed()
    teacher_standards.seed()
    for term in db.session.scalars(select(Term)):
        school_calendar.seed_term(term)
    usernames = {r["id"]: r["username"] for r in rows[User]}
    return [{"role": str(role), "username": usernames[uid], "password": DEMO_PASSWORD}
            for role, uid in accounts.items()]


def _timetable(rows, ids, term: dict) -> None:
    """One offering per teaching assignment, two double periods a week each (Monday to Friday,
    periods 1–8), placed greedily so no class, teacher or room is in two places at once; the
    last two weeks of the term are left for exams."""
    cells = [(day, first) for first in (1, 3, 5, 7) for day in range(1, 6)]
    busy: dict[tuple[str, int], set] = {}
    weeks = (term["ends_on"] - term["starts_on"]).days // 7 + 1
    spec = f"1-{weeks - 2}"
    mask = sum(1 << n for n in range(1, weeks - 1))
    for a in rows[TeachingAssignment]:
        offering = ids(CourseOffering)
        rows[CourseOffering].append({"id": offering, "term_id": a["term_id"], "course_id": a["course_id"],
                                     "teacher_id": a["teacher_id"]})
        rows[OfferingClass].append({"offering_id": offering, "class_id": a["class_id"]})
        room = f"{'ABCD'[a['class_id'] % 4]}{100 + a['class_id']}"
        free = [c for c in cells if c not in busy.get(("class", a["class_id"]), set())
                and c not in busy.get(("teacher", a["teacher_id"]), set())]
        placed = [c for n, c in enumerate(free) if n == 0 or c[0] != free[0][0]][:2]
        for day, first in placed:
            busy.setdefault(("class", a["class_id"]), set()).add((day, first))
            busy.setdefault(("teacher", a["teacher_id"]), set()).add((day, first))
            rows[TimetableSlot].append({"id": ids(TimetableSlot), "offering_id": offering, "term_id": a["term_id"],
                                        "weekday": day, "first_period": first, "last_period": first + 1,
                                        "room": room, "weeks": spec, "week_mask": mask})


def _advance_sequences(rows) -> None:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the new rows."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in rows:
        if "id" in model.__table__.c:
            table = model.__table__.name
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM \"{table}\"), 1))"))


def fill_history(today: date, seed: int = 1) -> int:
    """Scores so far this term, and last term's end-of-semester scores, for the demo's reports.

    Every class gets its own level and drift, so class reports differ and some classes slip;
    entries are recorded by the school's student-affairs office. Returns the rows written."""
    from backend.models import RoleGrant as Grant
    from backend.models import ScoreEntry
    from backend.org import directory
    from backend.valuecard import ledger

    rng = random.Random(seed)
    term = directory.current_term(today)
    before = db.session.scalar(select(Term).where(Term.starts_on < term.starts_on).order_by(Term.starts_on.desc()))
    scorer = db.session.scalar(select(Grant.user_id).where(Grant.role == Role.STUDENT_AFFAIRS, Grant.scope_type == Scope.SCHOOL))
    points = {p: catalogue.rule(term, p).point_id for p in ("S-A-05", "S-A-06", "S-A-07", "S-P-09", "S-A-09",
                                                            "S-P-02", "S-P-07", "S-P-10", "S-C-02")}
    students = db.session.execute(select(StudentProfile.user_id, StudentProfile.class_id)).all()
    level = {c: rng.uniform(-12, 8) for c in {c for _, c in students}}
    drift = {c: rng.uniform(-1.5, 1) for c in level}
    weeks_so_far = min(max(term.week_of(today) - 1, 0), term.weeks)
    rows, now = [], clock.now()

    def add(t: Term, point: str, period: str, week: int, student: int, cls: int, value: float):
        rows.append({"term_id": t.id, "point_id": points[point], "student_id": student, "class_id": cls,
                     "period": period, "week": week, "value": value, "batch_id": f"demo-{t.id}-{point}",
                     "recorded_by": scorer, "recorded_at": now})

    def score(base: float, cls: int, week: int = 0, spread: float = 8) -> float:
        return float(round(min(100, max(0, rng.gauss(base + level[cls] + drift[cls] * week, spread)))))

    for student, cls in students:
        for week in range(1, weeks_so_far + 1):
            day = term.starts_on.toordinal() + (week - 1) * 7 + 1  # each Tuesday
            period = f"day:{date.fromordinal(day).isoformat()}"
            add(term, "S-A-05", period, week, student, cls, score(82, cls, week))
            add(term, "S-A-06", period, week, student, cls, score(88, cls, week))
            add(term, "S-P-09", f"week:{week}", week, student, cls, score(84, cls, week, 6))
        for month_start in sorted({date.fromordinal(term.starts_on.toordinal() + 7 * w).replace(day=1)
                                   for w in range(weeks_so_far)})[:-1]:
            period = f"month:{month_start:%Y-%m}"
            add(term, "S-A-07", period, ledger.entry_week(term, period, today), student, cls,
                float(max(0, round(rng.gauss(4 + level[cls] / 6, 2)))))
        if before is not None:
            for point in ("S-A-09", "S-P-02", "S-P-07", "S-C-02"):
                add(before, point, "term", before.weeks, student, cls, score(76, cls, spread=10))
            add(before, "S-P-10", "term", before.weeks, student, cls, float(rng.random() < 0.06))
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(ScoreEntry), rows[start:start + 5000])
    return len(rows)
