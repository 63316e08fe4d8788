// Scoring from a phone: the whole-class grid, and disputes on both sides.
import { api } from "./api.js";
import { card, el, empty } from "./dom.js";
import { local, t } from "./i18n.js";
import { report, send } from "./outbox.js";

const pad = (n) => String(n).padStart(2, "0");

// The period a point is scored for, today: its week, month, day or the term.
export function periodFor(rule, term, today = new Date()) {
  const iso = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  if (rule.timing === "weekly") {
    const days = Math.floor((Date.parse(iso) - Date.parse(term.starts_on)) / 86400000);
    return `week:${Math.min(Math.max(Math.floor(days / 7) + 1, 1), term.weeks)}`;
  }
  if (rule.timing === "monthly") return `month:${iso.slice(0, 7)}`;
  if (rule.timing === "session") return `day:${iso}`;
  return "term";
}

// One point for the whole class in one request; works offline through the outbox.
export async function entryGrid(role, term) {
  const [catalogue, classes] = await Promise.all([api("/api/v1/catalogue"), api("/api/v1/classes")]);
  const rules = catalogue.rules.filter((r) => r.level === "individual" && r.source === "entered" && r.scorer_roles.includes(role));
  if (!rules.length || !classes.length || !term) return card(t("entry"), empty(t("entryEmpty")));
  const classSelect = el("select", { "aria-label": t("myClasses"), "data-testid": "grid-class" },
    classes.map((c) => el("option", { value: c.id }, c.name)));
  const pointSelect = el("select", { "aria-label": t("point"), "data-testid": "grid-point" },
    rules.map((r) => el("option", { value: r.code }, `${r.code} ${local(r)}`)));
  const period = el("input", { "aria-label": t("period"), "data-testid": "grid-period" });
  const fill = el("input", { type: "number", inputmode: "decimal", placeholder: t("fillAll"), "aria-label": t("fillAll") });
  const rows = el("div", { class: "grid", "data-testid": "grid-rows" });
  const result = el("p", { class: "muted", role: "status", "data-testid": "grid-result" });
  const rule = () => rules.find((r) => r.code === pointSelect.value);
  const load = async () => {
    period.value = periodFor(rule(), term);
    const students = await api(`/api/v1/classes/${classSelect.value}/students`);
    rows.replaceChildren(...students.map((s) => el("label", { class: "row" }, el("span", {}, s.display_name),
      el("input", { type: "number", inputmode: "decimal", step: "any", "data-student": s.id, "aria-label": s.display_name }))));
  };
  fill.addEventListener("change", () => rows.querySelectorAll("input").forEach((i) => { if (!i.value) i.value = fill.value; }));
  classSelect.addEventListener("change", load);
  pointSelect.addEventListener("change", () => { period.value = periodFor(rule(), term); });
  const submit = async () => {
    const entries = [...rows.querySelectorAll("input")].filter((i) => i.value !== "")
      .map((i) => ({ student_id: Number(i.dataset.student), value: Number(i.value) }));
    if (!entries.length) { result.textContent = t("nothingToSend"); return; }
    const names = Object.fromEntries([...rows.querySelectorAll("input")].map((i) => [i.dataset.student, i.getAttribute("aria-label")]));
    await report(result, () => send("/api/v1/entries", { body: { point: pointSelect.value, period: period.value, entries },
      label: ["label_entries", { point: pointSelect.value, count: entries.length }], names }),
      (answer) => {
        rows.querySelectorAll("input").forEach((i) => { i.value = ""; });
        return t("saved", { count: answer.count });
      });
  };
  await load();
  return card(t("entry"), classSelect, pointSelect, period, fill, rows,
    el("button", { type: "button", class: "wide", onclick: submit, "data-testid": "grid-submit" }, t("submit")), result);
}

// The scorer's side: open disputes about points they score.
export async function disputesToResolve() {
  const disputes = await api("/api/v1/disputes");
  if (!disputes.length) return card(t("disputes"), empty(t("disputesEmpty")));
  const list = el("ul", { class: "list", "data-testid": "disputes" });
  for (const d of disputes) {
    const reason = el("input", { placeholder: t("reason"), "aria-label": t("reason") });
    const value = el("input", { type: "number", step: "any", placeholder: t("rightValue"), "aria-label": t("rightValue") });
    const status = el("span", { class: "muted", role: "status" });
    const act = (action) => () => {
      const body = { action, reason: reason.value, ...(action === "reverse" && value.value ? { value: Number(value.value) } : {}) };
      return report(status, () => send(`/api/v1/disputes/${d.id}/resolve`, { body, label: ["label_resolve", {}] }), (answer) => t(`dispute_${answer.status}`));
    };
    list.append(el("li", { class: "stack" },
      el("strong", {}, `${d.student_name} · ${d.point} ${local(d)} · ${d.period} = ${d.value}`),
      el("span", {}, d.reason), reason, value,
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: act("reverse") }, t("reverse")),
        el("button", { type: "button", class: "secondary", onclick: act("reject") }, t("reject"))), status));
  }
  return card(t("disputes"), list);
}

// The student's side: every entry about them, each disputable.
export async function myEntries(me) {
  const entries = await api(`/api/v1/students/${me.id}/entries`);
  if (!entries.length) return card(t("entries"), empty(t("cardEmpty")));
  return card(t("entries"), el("ul", { class: "list", "data-testid": "my-entries" }, entries.map((e) => {
    const status = el("span", { class: "muted", role: "status" });
    const dispute = async () => {
      const reason = window.prompt(t("disputeWhy"));
      if (!reason) return;
      await report(status, () => send(`/api/v1/entries/${e.id}/disputes`, { body: { reason }, label: ["label_dispute", {}] }), () => t("disputed"));
    };
    return el("li", { class: "stack" },
      el("span", {}, `${local(e)} · ${e.period} · ${e.reversed ? t("reversedEntry") : e.value}`),
      el("span", { class: "muted" }, `${e.recorded_by} · ${new Date(e.recorded_at).toLocaleString()}`),
      e.reversed ? null : el("button", { type: "button", class: "link", onclick: dispute }, t("dispute")), status);
  })));
}
