// The student's anonymous course evaluation (学生评教, issue 20): each course of the class this term,
// once, 1–5. The server keeps the score without the student; the teacher sees only the share of
// satisfied answers, and only from five answers on.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, t } from "./i18n.js";

addText({
  evalTitle: "课程评价（匿名）", evalHint: "每门课评价一次，1 分很不满意，5 分很满意。评价匿名保存，老师只看到满意比例（至少 5 人评价后）。",
  evalDone: "已评价", evalScore: "{n} 分", evalNone: "本学期没有可评价的课程。",
}, {
  evalTitle: "Course evaluation (anonymous)", evalHint: "Rate each course once: 1 very dissatisfied, 5 very satisfied. Kept anonymous; teachers see only the share satisfied, from five answers on.",
  evalDone: "Evaluated", evalScore: "{n} of 5", evalNone: "No courses to evaluate this term.",
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
  const buttons = el("div", { class: "actions" }, [1, 2, 3, 4, 5].map((n) => el("button", {
    type: "button", class: "secondary", "aria-label": t("evalScore", { n }), "data-testid": `score-${n}`,
    onclick: async () => {
      message.textContent = "";
      try {
        await api(`/api/v1/offerings/${offering.offering_id}/evaluation`, { method: "POST", body: { score: n } });
        buttons.replaceWith(done());
      } catch (error) { message.textContent = problemText(error); }
    } }, String(n))));
  li.append(buttons, message);
  return li;
}

export async function evaluationScreen() {
  const offerings = await api("/api/v1/me/course-evaluations");
  return [el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`),
    card(t("evalTitle"), el("p", { class: "muted" }, t("evalHint")),
      offerings.length ? el("ul", { class: "list" }, offerings.map(item)) : empty(t("evalNone")))];
}
