"""A student's term development report and a teacher's yearly self-diagnosis report (seed 002,
001): one dict for the print page, the same dict as a document for PDF and XLSX."""
from datetime import date

from sqlalchemy import select

from backend.development import assessment, diagnosis, plans, portfolio, teacher_portrait
from backend.extensions import db
from backend.models import Plan, StudentProfile, Term, User
from backend.valuecard import card

STANDING_ZH = {"target": "达到目标", "standard": "达到标准", "below_standard": "未达标准", "past_warning": "越过预警",
               "no_data": "暂无数据", "no_standard": "无阶段标准"}
DOMAIN_ZH = {"academic": "学业发展", "personal": "个人发展", "career": "职业发展"}
PART_ZH = {"A": "A 学业", "B": "B 综合素质", "C": "C 职业", "ethics": "师德师风", "teaching": "教学能力",
           "research": "科研与社会服务", "management": "学生管理与服务", "career": "职业发展"}
STAGE_ZH = {"novice": "新手型", "competent": "胜任型", "mature": "成熟型", "expert": "专家型"}
EVIDENCE_ZH = {"honour": "荣誉", "paper": "论文", "project": "项目", "certificate": "证书", "training": "培训",
               "industry_practice": "企业实践"}


def _goals_and_diagnosis(plan: Plan | None) -> tuple[list[dict], dict | None]:
    if plan is None:
        return [], None
    d = diagnosis.of_plan(plan) if plan.kind in diagnosis.KINDS and plan.status != "draft" else None
    items = d.items if d else diagnosis.fresh_items(plan, {})
    goals = [{key: item.get(key) for key in ("part", "title", "point_code", "unit", "target", "standard", "warning",
                                             "actual", "standing", "cause", "measure")} for item in items]
    return goals, d and {"status": d.status, "summary": d.summary, "comment": d.comment,
                         "submitted_at": d.submitted_at and d.submitted_at.isoformat()}


def student_term(profile: StudentProfile, term: Term, include_sensitive: bool) -> dict:
    user = db.session.get(User, profile.user_id)
    the_card = card.student_card(profile, term, include_sensitive)
    goals, diagnosed = _goals_and_diagnosis(plans.find(profile.user_id, "student_term", f"term:{term.id}"))
    radar = assessment.result(profile, term)
    advice = [f"{s['zh']}（{s['level']}级）：{s['advice_zh']} 推荐第二课堂模块：{'、'.join(m['zh'] for m in s['modules'])}"
              for s in radar["suggestions"]]
    advice += [f"目标「{g['title']}」{STANDING_ZH[g['standing']]}：写进下学期计划，对照标准值 {g['standard']:g} 改进。"
               for g in goals if g["standing"] in ("below_standard", "past_warning")]
    return {"kind": "student_term", "title": f"{user.display_name} {term.name} 学生发展报告",
            "student": {"id": user.id, "name": user.display_name, "username": user.username},
            "term": {"id": term.id, "name": term.name},
            "card": {k: the_card[k] for k in ("total", "subtotals", "value_added", "class_median")},
            "radar": radar, "goals": goals, "diagnosis": diagnosed, "suggestions": advice}


def teacher_year(teacher: User, year: int) -> dict:
    cycle = db.session.scalar(select(Plan).where(Plan.owner_id == teacher.id, Plan.kind == "teacher_cycle",
                                                 Plan.start_year <= year, Plan.start_year >= year - 2))
    goals, diagnosed = _goals_and_diagnosis(plans.find(teacher.id, "teacher_year", str(year)))
    starts, ends = date(year, 9, 1), date(year + 1, 8, 31)
    evidence = [i for i in portfolio.items(teacher.id) if starts <= i.occurred_on <= ends]
    return {"kind": "teacher_year", "title": f"{teacher.display_name} {year}-{year + 1}学年 教师自我诊断报告",
            "teacher": {"id": teacher.id, "name": teacher.display_name},
            "year": year, "stage": cycle and cycle.stage, "cycle": cycle and cycle.period,
            "cycle_goals": [{"part": g.part, "title": g.title, "target": g.target} for g in cycle.goals] if cycle else [],
            "goals": goals, "diagnosis": diagnosed,
            "evidence": [{"kind": i.kind, "title": i.title, "occurred_on": i.occurred_on.isoformat(), "hours": i.hours,
                          "attachments": len(i.attachments)} for i in evidence],
            "evidence_summary": portfolio.summary(evidence),
            "portrait": teacher_portrait.portrait(teacher, year)}


def _goal_table(goals: list[dict]) -> dict:
    return {"headers": ["部分", "目标", "目标值", "标准值", "预警值", "实际值", "达成", "原因", "改进措施"],
            "rows": [[PART_ZH.get(g["part"], g["part"]), g["title"], g["target"], g["standard"], g["warning"],
                      g["actual"], STANDING_ZH[g["standing"]], g["cause"], g["measure"]] for g in goals],
            "sheet": "目标达成"}


def _diagnosis_lines(d: dict | None) -> list[str]:
    if d is None:
        return ["尚未填写自我诊断。"]
    lines = [f"状态：{'已提交' if d['status'] == 'submitted' else '草稿'}", d["summary"] or "（无总结）"]
    return lines + ([f"审阅意见：{d['comment']}"] if d["comment"] else [])


def _n(value) -> str:
    return "—" if value is None else f"{value:g}"


def student_document(report: dict) -> dict:
    c, radar = report["card"], report["radar"]
    names = {"this_term": "本学期", "previous_term": "上学期", "class_median": "班级中位数", "others": "他评"}
    series = [{"name": names[k], "values": [v[e["code"]] for e in radar["elements"]] if v else None}
              for k, v in radar["series"].items()]
    card_lines = [f"发展总分：{_n(c['total'])}；班级中位数：{_n(c['class_median'])}；"
                  f"较上学期增值：{_n(c['value_added']['previous_term'])}。"]
    card_lines += [f"{DOMAIN_ZH[d]}：{_n(s['score'])}" for d, s in c["subtotals"].items()]
    return {"title": report["title"], "sheet": "发展报告", "sections": [
        {"heading": "一、发展储值卡", "lines": card_lines},
        {"heading": "二、自测诊断雷达图", "lines": [f"本学期问卷：{radar['status']}；班级已提交 {radar['class_count']} 人。"],
         "radar": {"labels": [e["zh"] for e in radar["elements"]], "max": 4, "series": series}},
        {"heading": "三、目标达成", "lines": [] if report["goals"] else ["本学期尚无发展计划。"],
         "table": _goal_table(report["goals"])},
        {"heading": "四、自我诊断", "lines": _diagnosis_lines(report["diagnosis"])},
        {"heading": "五、改进建议", "lines": report["suggestions"] or ["保持现有做法，下学期对照目标值继续提升。"]}]}


def teacher_document(report: dict) -> dict:
    summary = report["evidence_summary"]
    counts = "；".join(f"{EVIDENCE_ZH[k]} {n}" for k, n in summary["count"].items())
    return {"title": report["title"], "sheet": "自我诊断报告", "sections": [
        {"heading": "一、发展阶段与三年规划",
         "lines": [f"发展阶段：{STAGE_ZH.get(report['stage'], '未填写')}；规划周期：{report['cycle'] or '未制定'}"] +
                  [f"{PART_ZH.get(g['part'], g['part'])}：{g['title']}" for g in report["cycle_goals"]]},
        {"heading": "二、年度工作计划达成", "lines": [] if report["goals"] else ["本学年尚无年度计划。"],
         "table": _goal_table(report["goals"])},
        {"heading": "三、成长档案", "lines": [f"{counts}；培训 {summary['training_hours']:g} 学时，企业实践 "
                                         f"{summary['industry_hours']:g} 小时。"],
         "table": {"headers": ["类别", "名称", "日期", "学时", "附件数"], "sheet": "成长档案",
                   "rows": [[EVIDENCE_ZH[e["kind"]], e["title"], e["occurred_on"], e["hours"], e["attachments"]]
                            for e in report["evidence"]]}},
        {"heading": "四、自我诊断", "lines": _diagnosis_lines(report["diagnosis"])},
        *_portrait_sections(report["portrait"])]}


def _zh(text: str) -> str:
    return text.split(" / ")[0]


PORTRAIT_SERIES = {"this_year": "本学年", "standard": "阶段标准", "last_year": "上学年（按本学年标准）",
                   "department_median": "院系同阶段中位数"}


def _portrait_sections(p: dict) -> list[dict]:
    """The teacher portrait (development/teacher_portrait.py): the radar and its dimension table,
    then every indicator with its values, standard and source."""
    dims, median = p["dimensions"], p["median"]
    when = f"（计算于 {median['computed_at'][:16].replace('T', ' ')} UTC）" if median.get("computed_at") else ""
    lines = [f"发展阶段：{STAGE_ZH.get(p['stage'], '未填写')}；达成度 0–100：预警值为 0，目标值为 100，"
             "无数据的维度不计（表中为“—”，图中画在圆心）。",
             f"院系同阶段中位数{when}：" + ("见图表。" if median["shown"] else _zh(median["why_absent"]) + "。")]
    series = [{"name": name, "values": [d[key] for d in dims] if any(d[key] is not None for d in dims) else None}
              for key, name in PORTRAIT_SERIES.items()]
    dimension_table = {"headers": ["维度", *PORTRAIT_SERIES.values()], "sheet": "教师画像",
                       "rows": [[PART_ZH[d["code"]], *(d[key] for key in PORTRAIT_SERIES)] for d in dims]}
    indicator_table = {"headers": ["维度", "指标", "单位", "实际值", "上学年", "目标值", "标准值", "预警值", "达成度", "达成", "来源"],
                       "sheet": "画像指标",
                       "rows": [[PART_ZH[i["dimension"]], _zh(i["label"]), i["unit"], i["actual"], i["last_year"],
                                 i["target"], i["standard"], i["warning"], i["attainment"], STANDING_ZH[i["standing"]],
                                 _zh(i["source"])] for i in p["indicators"]]}
    return [{"heading": "五、教师画像", "lines": lines, "table": dimension_table,
             "radar": {"labels": [PART_ZH[d["code"]] for d in dims], "max": 100, "step": 25, "series": series}},
            {"heading": "六、画像指标", "lines": ["每项指标的数据来源见“来源”列；数值由 Spiral 的数据算出，从不手填。"],
             "table": indicator_table}]

