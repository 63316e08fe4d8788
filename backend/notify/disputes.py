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
