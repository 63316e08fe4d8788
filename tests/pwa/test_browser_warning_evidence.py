"""Issue 15 on a 360 px phone: the warning screen shows every value past the line with the entries
and attendance marks behind it (dates, who recorded them), a withdrawn warning with its reason,
and a relapse's episode with a link to the earlier one; the rules screen edits the minimum evidence."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from backend.alerts import warnings
from backend.extensions import db
from backend.models import ClassGroup, ScoreEntry, StudentProfile, StudentWarning, TeachingAssignment, User
from backend.org import directory
from backend.platform import clock
from backend.valuecard import attendance, ledger
from tests.pwa.test_browser import ARTIFACTS, log_in, serve

SMALL = {"width": 360, "height": 740}


def prepare_warnings(found: dict):
    """In the demo head teacher's class: a relapse (episode 2 after a resolved episode 1), an
    attendance warning with its absences, and a warning withdrawn after its entry was reversed."""
    def prepare(accounts):
        head = db.session.scalar(select(User).where(User.username == accounts["head_teacher"]["username"]))
        teacher = db.session.scalar(select(User).where(User.username == accounts["course_teacher"]["username"]))
        me = db.session.scalar(select(User).where(User.username == accounts["student"]["username"]))
        cls = db.session.get(ClassGroup, me.student.class_id)
        absent_one, gone_one = db.session.scalars(select(StudentProfile.user_id).where(
            StudentProfile.class_id == cls.id, StudentProfile.user_id != me.id).order_by(StudentProfile.user_id)
            .limit(2)).all()
        term = directory.current_term(clock.school_today())

        def evaluate():
            db.session.commit()
            warnings.evaluate_class(term, cls)
            db.session.commit()

        def grade(student_id, value):
            ledger.record_batch(head, term, {"point": "S-A-09", "period": "term",
                                             "entries": [{"student_id": student_id, "value": value}]})
            evaluate()
            return db.session.scalar(select(ScoreEntry).where(ScoreEntry.student_id == student_id, ScoreEntry.value == value))

        first_entry = grade(me.id, 35)
        first = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == me.id))
        warnings.resolve(head, first, "补考安排好了")
        ledger.correct(head, first_entry, "补考成绩", 75)
        evaluate()
        ledger.correct(head, db.session.scalar(select(ScoreEntry).where(ScoreEntry.student_id == me.id,
                                                                      ScoreEntry.value == 75)), "重考未过", 40)
        evaluate()
        second = db.session.scalar(select(StudentWarning).where(StudentWarning.previous_id == first.id))

        course = db.session.scalar(select(TeachingAssignment.course_id).where(
            TeachingAssignment.teacher_id == teacher.id, TeachingAssignment.class_id == cls.id))
        for days, status in [(d, "absent") for d in (1, 2, 3)] + [(d, "present") for d in range(4, 15)]:
            session = attendance.open_session(teacher, cls.id, course, clock.now() - timedelta(days=days), 10)
            attendance.set_marks(teacher, session, [{"student_id": absent_one, "status": status}])
        evaluate()
        absences = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == absent_one))

        wrong = grade(gone_one, 30)
        withdrawn = db.session.scalar(select(StudentWarning).where(StudentWarning.student_id == gone_one))
        ledger.reverse(head, wrong, "录错学生")
        evaluate()
        found.update(first=first.id, second=second.id, absences=absences.id, withdrawn=withdrawn.id,
                     withdrawn_entry=wrong.id, teacher=teacher.display_name,
                     yesterday=(clock.school_today() - timedelta(days=1)).isoformat())
    return prepare


def test_the_warning_screen_shows_evidence_withdrawal_and_episodes_on_a_small_phone(tmp_path_factory, redis_server,
                                                                                     browser):
    found = {}
    base, accounts, stop = serve(tmp_path_factory.mktemp("evidence"), redis_server.url, prepare=prepare_warnings(found))
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        context = browser.new_context(viewport=SMALL, device_scale_factor=2, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, accounts["head_teacher"])
        expect(page.get_by_test_id("alert-item").first).to_be_visible()
        page.goto(f"{base}/#/warnings")  # the full alert list
        expect(page.get_by_test_id("alert-list")).to_contain_text("第2次")
        expect(page.locator(f"a[href='#/warnings/{found['withdrawn']}']")).to_have_count(0)  # not open any more

        page.goto(f"{base}/#/warnings/{found['second']}")
        expect(page.get_by_test_id("episode")).to_have_text(f"第2次 · 上次预警 #{found['first']}")
        expect(page.get_by_test_id("evidence")).to_contain_text("40")
        expect(page.get_by_test_id("evidence")).to_contain_text("预警值 60")
        expect(page.get_by_test_id("evidence-entries")).to_contain_text("S-A-09 · 本学期")
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        page.get_by_test_id("previous-warning").click()
        expect(page.get_by_test_id("status")).to_have_text("已解除")
        expect(page.get_by_test_id("episode")).to_have_count(0)

        page.goto(f"{base}/#/warnings/{found['absences']}")
        marks = page.get_by_test_id("evidence-marks")
        expect(marks).to_contain_text("考勤记录 (3)")
        expect(marks).to_contain_text("缺课")
        expect(marks).to_contain_text(found["teacher"])
        expect(marks).to_contain_text(found["yesterday"])
        expect(page.get_by_test_id("basis").first).to_contain_text("13 节课 · 14 天")
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        page.screenshot(path=str(ARTIFACTS / "warning-evidence-360x740.png"), full_page=True)

        page.goto(f"{base}/#/warnings/{found['withdrawn']}")
        expect(page.get_by_test_id("status")).to_have_text("已撤回")
        expect(page.get_by_test_id("withdrawn")).to_contain_text("依据的记录已撤销或更正")
        expect(page.get_by_test_id("withdrawn")).to_contain_text(f"S-A-09 记录 #{found['withdrawn_entry']}（30）")
        expect(page.get_by_test_id("timeline")).to_contain_text("已撤回")
        expect(page.get_by_test_id("acknowledge")).to_have_count(0)
        expect(page.get_by_test_id("intervention-form")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        page.screenshot(path=str(ARTIFACTS / "warning-withdrawn-360x740.png"), full_page=True)
        context.close()

        context = browser.new_context(viewport=SMALL, device_scale_factor=2, is_mobile=True, locale="zh-CN")
        page = context.new_page()
        log_in(page, base, accounts["school_admin"])
        page.goto(base + "/#/rules")
        page.get_by_test_id("summary-TH-ACADEMIC").click()
        rule = page.get_by_test_id("rule-TH-ACADEMIC")
        expect(rule.get_by_test_id("min-evidence")).to_contain_text("最少证据")
        rule.get_by_test_id("min-sessions").fill("0")
        rule.get_by_test_id("rule-save").click()
        expect(rule.get_by_test_id("error-min_evidence.sessions")).to_contain_text("应为 1–200 的整数")
        rule.get_by_test_id("min-sessions").fill("8")
        rule.get_by_test_id("min-days").fill("10")
        rule.get_by_test_id("rule-save").click()
        expect(rule.get_by_test_id("rule-message")).to_have_text("已保存")
        expect(rule.get_by_test_id("error-min_evidence.sessions")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
        page.reload()
        page.get_by_test_id("summary-TH-ACADEMIC").click()
        expect(page.get_by_test_id("rule-TH-ACADEMIC").get_by_test_id("min-sessions")).to_have_value("8")
        context.close()
    finally:
        stop()
