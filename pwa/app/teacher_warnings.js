// Teacher warnings (issue 20), for the department admin: the list, and one warning's evidence
// (the figure, the line, the stage standard, where the figure comes from, since when) with its
// timeline and the actions: acknowledge, a note or an action, resolve. Levels and the timeline are
// drawn as for student warnings (alerts.js).
import { levelTag, timeline } from "./alerts.js";
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, labelled, t } from "./i18n.js";

addText({
  tw_title: "教师预警", tw_empty: "本系部暂无教师预警。", tw_back: "教师预警", tw_home: "返回首页",
  tw_open: "待处理", tw_resolved: "已解除", tw_withdrawn: "已撤回", tw_all: "全部",
  tw_value: "当前数值", tw_line: "预警线（按年度进度）", tw_warning: "年度预警值", tw_standard: "标准值", tw_target: "目标值",
  tw_stage: "发展阶段", tw_since: "越线起始", tw_days: "{n} 天（满 {after} 天通知系部）", tw_source: "数据来源",
  tw_basis: "标准依据", tw_year: "学年", tw_episode: "第{n}次", tw_previous: "上次预警 #{id}",
  tw_withdrawnNote: "数值已回到预警线内，尚无人处理，本预警已撤回。", tw_ack: "确认收到",
  tw_kind: "类型", tw_note: "记录", tw_action: "措施", tw_text: "内容", tw_follow: "跟进日期", tw_add: "添加记录",
  tw_resolution: "解除说明", tw_resolve: "解除预警", tw_status: "状态",
  stage_novice: "新手", stage_competent: "胜任", stage_mature: "成熟", stage_expert: "专家",
}, {
  tw_title: "Teacher warnings", tw_empty: "No teacher warnings in your department.", tw_back: "Teacher warnings",
  tw_home: "Home", tw_open: "Open", tw_resolved: "Resolved", tw_withdrawn: "Withdrawn", tw_all: "All",
  tw_value: "Figure now", tw_line: "Warning line (pace of the year)", tw_warning: "Yearly warning value",
  tw_standard: "Standard", tw_target: "Target", tw_stage: "Stage", tw_since: "Past the line since",
  tw_days: "{n} days (the department hears after {after})", tw_source: "Where the figure comes from",
  tw_basis: "The standard rests on", tw_year: "Academic year", tw_episode: "Episode {n}", tw_previous: "previous warning #{id}",
  tw_withdrawnNote: "The figure came back within the line before anyone took it up: withdrawn.", tw_ack: "Acknowledge",
  tw_kind: "Kind", tw_note: "Note", tw_action: "Action", tw_text: "What happened", tw_follow: "Follow up on",
  tw_add: "Add to the case", tw_resolution: "How it was resolved", tw_resolve: "Resolve", tw_status: "Status",
  stage_novice: "Novice", stage_competent: "Competent", stage_mature: "Mature", stage_expert: "Expert",
});

const CLOSED = ["resolved", "withdrawn"];
const STATUSES = ["open", "resolved", "withdrawn", "all"];
const day = (iso) => (iso ? iso.slice(0, 10) : "");
const figure = (value, unit) => (value == null ? "—" : `${value}${unit === "%" ? "%" : unit ? ` ${unit}` : ""}`);

// The department's teacher warnings, worst and oldest first; a status filter in the hash.
export async function teacherWarningList(status = "open") {
  const warnings = await api(`/api/v1/teacher-warnings?status=${STATUSES.includes(status) ? status : "open"}`);
  const filter = el("select", { "aria-label": t("tw_status"), "data-testid": "tw-status",
    onchange: (e) => { location.hash = `#/teacher-warnings?status=${e.target.value}`; } },
  STATUSES.map((s) => el("option", { value: s, selected: s === status }, t(`tw_${s}`))));
  return [
    el("a", { href: "#/", class: "link" }, `← ${t("tw_home")}`),
    card(`${t("tw_title")} (${warnings.length})`, filter, warnings.length
      ? el("ul", { class: "list", "data-testid": "teacher-warning-list" }, warnings.map((w) =>
        el("li", { "data-testid": "teacher-warning-item" },
          el("a", { href: `#/teacher-warnings/${w.id}` }, `${w.teacher_name} · ${w.label}`,
            w.episode > 1 ? ` · ${t("tw_episode", { n: w.episode })}` : ""),
          el("span", {}, levelTag(w.level), " ", el("span", { class: "muted" },
            `${figure(w.value, w.unit)} / ${figure(w.line, w.unit)} · ${t(`tw_${CLOSED.includes(w.status) ? w.status : "open"}`)}`)))))
      : empty(t("tw_empty"))),
  ];
}

function evidenceList(w) {
  const e = w.evidence;
  const row = (label, value, testid) => el("li", testid ? { "data-testid": testid } : {}, el("span", {}, label), el("strong", {}, value));
  return el("ul", { class: "list", "data-testid": "tw-evidence" },
    row(t("tw_value"), figure(e.value, e.unit), "tw-value"),
    row(t("tw_line"), figure(e.line, e.unit)),
    row(t("tw_warning"), figure(e.warning_value, e.unit)),
    row(t("tw_standard"), figure(e.standard_value, e.unit)),
    row(t("tw_target"), figure(e.target_value, e.unit)),
    row(t("tw_stage"), `${t(`stage_${e.stage}`)} · ${t("tw_year")} ${e.year}-${e.year + 1}`),
    // The date stays on one line (list values do not wrap); the days go under the label, which wraps.
    el("li", { "data-testid": "tw-since" }, el("span", {}, t("tw_since"), el("br"),
      el("small", { class: "muted" }, t("tw_days", { n: e.days_past, after: e.after_days }))), el("strong", {}, day(e.past_since))));
}

// One warning: evidence, timeline, and the department admin's actions.
export async function teacherWarningScreen(id, rerender) {
  const w = await api(`/api/v1/teacher-warnings/${id}`);
  const message = el("p", { class: "error", role: "alert" });
  const act = (path, body) => async (event) => {
    event.preventDefault();
    try {
      await api(`/api/v1/teacher-warnings/${id}/${path}`, { method: "POST", body: body ? body(event.target) : undefined });
      rerender();
    } catch (error) { message.textContent = problemText(error); }
  };
  const open = !CLOSED.includes(w.status);
  const note = open ? el("form", { class: "stack", "data-testid": "tw-note-form", onsubmit: act("interventions", (f) => ({
    kind: f.kind.value, text: f.text.value, ...(f.follow_up_on.value ? { follow_up_on: f.follow_up_on.value } : {}),
  })) },
  el("label", { for: "kind" }, t("tw_kind")),
  el("select", { id: "kind", name: "kind" }, ["note", "action"].map((k) => el("option", { value: k }, t(`tw_${k}`)))),
  el("label", { for: "text" }, t("tw_text")), el("textarea", { id: "text", name: "text", required: true, rows: 3 }),
  el("label", { for: "follow_up_on" }, t("tw_follow")), el("input", { id: "follow_up_on", name: "follow_up_on", type: "date" }),
  el("button", { type: "submit", class: "wide" }, t("tw_add"))) : null;
  const resolve = open ? el("form", { class: "stack", "data-testid": "tw-resolve-form", onsubmit: act("resolve", (f) => ({ text: f.resolution.value })) },
    el("label", { for: "resolution" }, t("tw_resolution")), el("input", { id: "resolution", name: "resolution", required: true }),
    el("button", { type: "submit", class: "link" }, t("tw_resolve"))) : null;
  return [
    el("a", { href: "#/teacher-warnings", class: "link", "data-testid": "back" }, `← ${t("tw_back")}`),
    card(`${w.teacher_name} · ${w.label}`,
      el("p", {}, levelTag(w.level), " ", el("span", { class: "tag", "data-testid": "status" }, t(`status_${w.status}`))),
      w.episode > 1 ? el("p", { "data-testid": "episode" }, `${t("tw_episode", { n: w.episode })} · `,
        el("a", { href: `#/teacher-warnings/${w.previous_id}` }, t("tw_previous", { id: w.previous_id }))) : null,
      w.status === "withdrawn" ? el("div", { class: "card notice", role: "status", "data-testid": "withdrawn" },
        el("p", {}, el("strong", {}, t("tw_withdrawnNote"))), el("p", { class: "muted" }, w.withdrawn_reason || "")) : null,
      el("h3", {}, t("evidence")), evidenceList(w),
      el("p", { class: "muted", "data-testid": "tw-source" }, labelled(t("tw_source"), w.evidence.source)),
      el("p", { class: "muted" }, labelled(t("tw_basis"), `${w.evidence.standard_title} — ${w.evidence.standard_source}`)),
      el("h3", {}, t("timeline")), timeline(w.events),
      open && !w.acknowledged_at ? el("button", { type: "button", class: "wide", "data-testid": "tw-acknowledge", onclick: act("acknowledge") }, t("tw_ack")) : null,
      note, resolve, message),
  ];
}
