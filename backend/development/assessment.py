"""The self-assessment of seed 001 (seed/self_assessment.yaml): answers saved as the student goes
(resumable), an others' assessment by the head teacher or a classmate, and the result — a radar
of this term against the previous term, the class median and others' view — with suggestions
for the weakest elements, including which second-classroom modules to join."""
from functools import cache
from pathlib import Path
from statistics import mean, median

import yaml
from sqlalchemy import select

from backend.errors import Problem
from backend.extensions import db
from backend.models import SelfAssessment, StudentProfile, Term, User
from backend.platform import changes, clock
from backend.valuecard.card import previous_term

SEED = Path(__file__).resolve().parents[2] / "seed" / "self_assessment.yaml"
WEAK_LEVEL = 2  # "basic" or below is where a suggestion helps
SUGGESTIONS = 3


@cache
def instrument() -> dict:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


@cache
def elements() -> list[dict]:
    return [{**e, "dimension": d["code"]} for d in instrument()["dimensions"] for e in d["elements"]]


def find(subject_id: int, assessor_id: int, term: Term) -> SelfAssessment | None:
    return db.session.scalar(select(SelfAssessment).where(
        SelfAssessment.subject_id == subject_id, SelfAssessment.assessor_id == assessor_id,
        SelfAssessment.term_id == term.id))


def save(assessor: User, subject: StudentProfile, term: Term, answers: dict, submit: bool) -> SelfAssessment:
    """Merge answers into the draft; submitting needs all twenty and makes it read-only."""
    found = find(subject.user_id, assessor.id, term)
    if found is not None and found.status == "submitted":
        raise Problem(409, "问卷已提交 / Already submitted", "A submitted assessment is read-only.")
    codes = {e["code"] for e in elements()}
    errors = {f"answers.{code}": ["应为 1–4 级中的一个已知要素 / An element of the questionnaire, level 1–4."]
              for code, level in answers.items() if code not in codes or level not in (1, 2, 3, 4)}
    if errors:
        raise Problem(422, "请求数据有误 / Invalid request data", errors=errors)
    if found is None:
        found = SelfAssessment(subject_id=subject.user_id, assessor_id=assessor.id, term_id=term.id,
                               class_id=subject.class_id, answers={}, status="draft")
        db.session.add(found)
    found.answers = {**found.answers, **answers}
    found.updated_at = clock.now()
    if submit:
        missing = [e["code"] for e in elements() if e["code"] not in found.answers]
        if missing:
            raise Problem(422, "还有未作答的要素 / Some elements are unanswered",
                          errors={f"answers.{code}": ["未作答 / Unanswered."] for code in missing})
        found.status, found.submitted_at = "submitted", clock.now()
        if assessor.id == subject.user_id:
            changes.touch("warnings", term.id, [subject.class_id])  # the drop signal may now hold
    db.session.flush()
    return found


def _submitted(term: Term, **where) -> list[SelfAssessment]:
    query = select(SelfAssessment).where(SelfAssessment.term_id == term.id, SelfAssessment.status == "submitted")
    for key, value in where.items():
        query = query.where(getattr(SelfAssessment, key) == value)
    return db.session.scalars(query).all()


def _own(subject_id: int, term: Term | None) -> dict | None:
    found = find(subject_id, subject_id, term) if term else None
    return found.answers if found is not None and found.status == "submitted" else None


def _per_element(answer_sets: list[dict], how) -> dict | None:
    if not answer_sets:
        return None
    return {e["code"]: round(how([a[e["code"]] for a in answer_sets]), 2) for e in elements()}


def _dimensions(series: dict | None) -> dict | None:
    if series is None:
        return None
    return {d["code"]: round(mean(series[e["code"]] for e in d["elements"]), 2) for d in instrument()["dimensions"]}


def result(subject: StudentProfile, term: Term) -> dict:
    own = find(subject.user_id, subject.user_id, term)
    mine = own.answers if own is not None and own.status == "submitted" else None
    before = previous_term(term)
    classmates = [a.answers for a in _submitted(term, class_id=subject.class_id)
                  if a.assessor_id == a.subject_id]
    others = [a.answers for a in _submitted(term, subject_id=subject.user_id) if a.assessor_id != subject.user_id]
    series = {"this_term": mine, "previous_term": _own(subject.user_id, before),
              "class_median": _per_element(classmates, median), "others": _per_element(others, mean)}
    so_far = own.answers if own is not None else {}
    return {"term_id": term.id, "student_id": subject.user_id,
            "status": own.status if own else "not_started",
            "answered": len(so_far), "of": len(elements()), "elements": elements(),
            "series": series, "dimensions": {k: _dimensions(v) for k, v in series.items()},
            "so_far": {e["code"]: so_far.get(e["code"]) for e in elements()},
            "comparison": comparison(so_far, series),
            "class_count": len(classmates), "others_count": len(others),
            "suggestions": suggestions(mine, series["previous_term"]) if mine else []}


def _over(series: dict | None, codes: list[str]) -> float | None:
    return round(mean(series[c] for c in codes), 2) if series and codes else None


def comparison(so_far: dict, series: dict) -> dict:
    """The student's answers so far (a draft fills as they go) against last term, the class median
    and others' view over the elements answered only: an unanswered element is absent, not zero, so
    a half-filled questionnaire is compared like for like. Per dimension, over its answered elements
    (None where none is answered)."""
    answered = [e["code"] for e in elements() if e["code"] in so_far]
    others = {k: v for k, v in series.items() if k != "this_term"}
    dims = {}
    for d in instrument()["dimensions"]:
        codes = [e["code"] for e in d["elements"] if e["code"] in so_far]
        dims[d["code"]] = {"answered": len(codes), "of": len(d["elements"]), "this_term": _over(so_far, codes),
                           **{k: _over(v, codes) for k, v in others.items()}}
    return {"answered": len(answered), "of": len(elements()), "partial": len(answered) < len(elements()),
            "over": answered, "this_term": _over(so_far, answered),
            **{k: _over(v, answered) for k, v in others.items()}, "dimensions": dims}


def suggestions(mine: dict, before: dict | None) -> list[dict]:
    """The weakest elements (level 2 or below; the lowest one when none is), those that fell since
    last term first, each with its advice and the second-classroom modules that build it."""
    modules = {m["code"]: m for m in instrument()["modules"]}

    def key(e):
        fell = before[e["code"]] - mine[e["code"]] if before else 0
        return mine[e["code"]], -fell
    ranked = sorted(elements(), key=key)
    weak = [e for e in ranked if mine[e["code"]] <= WEAK_LEVEL][:SUGGESTIONS] or ranked[:1]
    return [{"element": e["code"], "zh": e["zh"], "en": e["en"], "level": mine[e["code"]],
             "previous_level": before[e["code"]] if before else None,
             "advice_zh": e["advice_zh"], "advice_en": e["advice_en"],
             "modules": [modules[m] for m in e["modules"]]} for e in weak]


def drops(student_ids, term: Term) -> dict[int, float]:
    """How far each student's mean self-assessed level fell since the previous term (positive = fell)."""
    before = previous_term(term)
    if before is None:
        return {}
    now = {a.subject_id: a.answers for a in db.session.scalars(select(SelfAssessment).where(
        SelfAssessment.term_id == term.id, SelfAssessment.status == "submitted",
        SelfAssessment.subject_id.in_(student_ids), SelfAssessment.assessor_id == SelfAssessment.subject_id))}
    out = {}
    for sid, answers in now.items():
        then = _own(sid, before)
        if then:
            out[sid] = round(mean(then.values()) - mean(answers.values()), 2)
    return out


def status_by_student(student_ids, term: Term) -> dict[int, str]:
    """Whether each student's own assessment this term is a draft or submitted."""
    return dict(db.session.execute(select(SelfAssessment.subject_id, SelfAssessment.status).where(
        SelfAssessment.term_id == term.id, SelfAssessment.subject_id.in_(student_ids),
        SelfAssessment.assessor_id == SelfAssessment.subject_id)).all())
