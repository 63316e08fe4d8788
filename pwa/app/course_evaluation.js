// The student's anonymous course evaluation (学生评教, issue 20): each course of the class this term,
// once, 1–5. The server keeps the score without the student; the teacher sees only the share of
// satisfied answers, and only from five answers on.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, t } from "./i18n.js";

addText({
  evalTitle: "课程评价（匿名）", evalHint: "每门课评价一次，1 分很不满意，5 分很满意。评价匿名保存，老师只看到满意比例（至少 5 人评价后）。",
  evalDone: "已评价", evalScore: "{n} 分", evalNone: "本学期没有可评价的课程。",
  evalPick: "先选分数，再提交（提交后不能修改）", evalSubmit: "提交评价：{n} 分",
}, {
  evalTitle: "Course evaluation (anonymous)", evalHint: "Rate each course once: 1 very dissatisfied, 5 very satisfied. Kept anonymous; teachers see only the share satisfied, from five answers on.",
  evalDone: "Evaluated", evalScore: "{n} of 5", evalNone: "No courses to evaluate this term.",
  evalPick: "Choose a score, then submit (it cannot be changed afterwards)", evalSubmit: "Submit: {n} of 5",
});

function item(offering) {
  const message = el("p", { class: "error", role: "alert" });
  const li = el("li", { class: "stack", "data-testid": `eval-${offering.offering_id}` },
    el("strong", {}, offering.course), el("p", { class: "muted" }, offering.teacher));
  const done = () => el("span", { class: "tag", "data-testid": "eval-done" }, t("evalDone"));
  if (offering.done) {
    li.append(done());
    return li;
  }
  // Two steps, since a rating cannot be taken back: choose a score, then submit it.
  let chosen = null;
  const submit = el("button", { type: "button", class: "wide", disabled: true, "data-testid": "eval-submit",
    onclick: async () => {
      if (chosen == null) return;
      message.textContent = "";
      submit.disabled = true;
      try {
        await api(`/api/v1/offerings/${offering.offering_id}/evaluation`, { method: "POST", body: { score: chosen } });
        buttons.replaceWith(done());
      } catch (error) {
        message.textContent = problemText(error);
        submit.disabled = false;
      }
    } }, t("evalPick"));
  const scores = [1, 2, 3, 4, 5].map((n) => el("button", {
    type: "button", class: "secondary", "aria-label": t("evalScore", { n }), "aria-pressed": "false", "data-testid": `score-${n}`,
    onclick: () => {
      chosen = n;
      for (const [i, b] of scores.entries()) {
        b.setAttribute("aria-pressed", String(i + 1 === n));
        b.className = i + 1 === n ? "" : "secondary";
      }
      submit.disabled = false;
      submit.textContent = t("evalSubmit", { n });
    } }, String(n)));
  const buttons = el("div", {}, el("div", { class: "actions" }, scores), submit);
  li.append(buttons, message);
  return li;
}

export async function evaluationScreen() {
  const back = el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
  let offerings;
  try {
    offerings = await api("/api/v1/me/course-evaluations");
  } catch (error) {  // staff: "students only", with the way back
    if (!error.problem) throw error;
    return [back, card(t("evalTitle"), el("p", { class: "error", role: "alert", "data-testid": "eval-refused" }, problemText(error)))];
  }
  return [back,
    card(t("evalTitle"), el("p", { class: "muted" }, t("evalHint")),
      offerings.length ? el("ul", { class: "list" }, offerings.map(item)) : empty(t("evalNone")))];
}
