"""A student hears in the inbox how their dispute ended: corrected, reversed or rejected, and why."""
from backend.notify import notifications

OUTCOME = {"reversed": ("已更正", "corrected"), "rejected": ("未采纳", "not upheld")}


def resolved(dispute: dict) -> None:
    """`dispute` as valuecard/disputes.out() gives it, just resolved."""
    zh, en = OUTCOME[dispute["status"]]
    notifications.send([dispute["student_id"]], kind="dispute", level=None, url="/#/my-disputes",
                       title=f"您的申诉{zh}：{dispute['name_zh']} {dispute['period_zh']} / "
                             f"Your dispute was {en}: {dispute['name_en']}, {dispute['period_en']}",
                       body=dispute["resolution"] or "")


MARK_OUTCOME = {"upheld": ("已更正", "upheld: the mark was corrected"), "rejected": ("未采纳", "not upheld")}


def mark_resolved(dispute: dict) -> None:
    """`dispute` as valuecard/mark_disputes.out() gives it, just resolved."""
    zh, en = MARK_OUTCOME[dispute["status"]]
    day = dispute["day"].isoformat()
    notifications.send([dispute["student_id"]], kind="dispute", level=None, url="/#/my-attendance",
                       title=f"您的考勤申诉{zh}：{day} {dispute['course_name'] or ''} / "
                             f"Your attendance dispute was {en}: {day}",
                       body=dispute["resolution"] or "")
