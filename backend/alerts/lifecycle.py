"""How a warning is worked to a close, the same for a student's and a teacher's: acknowledge,
notes and actions (acting acknowledges), resolve. Each warning module checks first who may act
and whether the warning is still open, and passes its own `event(w, kind, actor_id, text, ...)`."""
from datetime import date

from backend.platform import clock


def acknowledge(viewer, w, event):
    if w.acknowledged_at is None:
        w.acknowledged_at, w.acknowledged_by, w.status = clock.now(), viewer.id, "acknowledged"
        event(w, "acknowledged", viewer.id)
    return w


def intervene(viewer, w, kind: str, text: str, follow_up_on: date | None, event):
    """A note or an action, with an optional follow-up date."""
    acknowledge(viewer, w, event)
    w.status = "in_progress"
    if follow_up_on:
        w.follow_up_on = follow_up_on
    event(w, kind, viewer.id, text, follow_up_on=follow_up_on)
    return w


def resolve(viewer, w, text: str, event):
    acknowledge(viewer, w, event)
    w.status, w.resolved_at, w.resolved_by = "resolved", clock.now(), viewer.id
    event(w, "resolved", viewer.id, text)
    return w
