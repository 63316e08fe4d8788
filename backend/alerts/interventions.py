"""The intervention kinds a college records on a warning (issue 15, "does the help help?").

A fixed list, so the effect report can count like with like across departments. "note" is a case
note, not an intervention: it is kept on the timeline and never counted. "action" is the kind
recorded before this list existed; it is still accepted and read as "other".
"""

# code → (中文, English); codes fit WarningEvent.kind (16 characters).
KINDS: dict[str, tuple[str, str]] = {
    "talk": ("谈心谈话", "Talk with the student"),
    "family": ("联系家长", "Family contact"),
    "tutoring": ("学业帮扶", "Tutoring"),
    "referral": ("心理咨询转介", "Counselling referral"),
    "aid": ("资助/勤工助学", "Financial aid / work-study"),
    "other": ("其他", "Other"),
}
LEGACY = {"action": "other"}
NOTE = "note"
# What POST /warnings/{id}/interventions accepts as `kind`.
ACCEPTED = (NOTE, *KINDS, *LEGACY)


def canonical(kind: str) -> str | None:
    """The intervention kind an event counts as, or None for events that are not interventions."""
    kind = LEGACY.get(kind, kind)
    return kind if kind in KINDS else None


def listing() -> list[dict]:
    return [{"code": code, "name_zh": zh, "name_en": en} for code, (zh, en) in KINDS.items()]
