// 我的数据 (#/my-data, issue 19): a copy of everything Spiral holds about the signed-in person
// (PIPL art. 45), as JSON for machines and a PDF for people, what is withheld and why, and how long
// sensitive records are kept after a student leaves (art. 47). Each download is audited server-side.
import { api, download, oneLanguage, problemText } from "./api.js";
import { card, el } from "./dom.js";
import { addText, t } from "./i18n.js";

addText({
  myDataTitle: "我的数据",
  myDataHint: "依照《个人信息保护法》第45条，您可以下载学校在本系统中保存的关于您的全部信息的副本：个人资料、班级、发展规划与目标进展、自我评价、储值卡记录（谁录入、何时录入）、考勤、请假、申诉、收到的通知、成长档案、推送设备和登录记录。每次下载都会记入审计日志。",
  myDataJson: "下载 JSON（机器可读）", myDataPdf: "下载 PDF（便于阅读）", myDataDone: "已下载。",
  myDataWithheldTitle: "未包含的内容",
  myDataRetentionTitle: "保存期限",
  myDataRetention: "学生毕业或退学满{days}天（约{years}年）后，辅导员个案记录、特殊群体登记以及纪律、心理、经济类预警的内容会被删除或匿名化（《个人信息保护法》第47条）；储值卡记录作为学业档案保留。毕业生的账号在学期交替时停用。",
}, {
  myDataTitle: "My data",
  myDataHint: "Under PIPL art. 45 you may download a copy of everything the college keeps about you here: profile, class, plans and progress, self-assessments, value-card entries (who entered each and when), attendance, leave, disputes, notifications, portfolio, push devices and logins. Every download is written to the audit log.",
  myDataJson: "Download JSON (for machines)", myDataPdf: "Download PDF (to read)", myDataDone: "Downloaded.",
  myDataWithheldTitle: "Not included",
  myDataRetentionTitle: "How long records are kept",
  myDataRetention: "{days} days (about {years} years) after a student graduates or withdraws, counsellors' case notes, special-group registrations and the content of discipline, mental-health and finance warnings are deleted or anonymised (PIPL art. 47); the value card stays as the academic record. Graduates' accounts are disabled at the term rollover.",
});

export async function myDataScreen() {
  const about = await api("/api/v1/me/data/about");
  const message = el("p", { class: "muted", role: "status", "data-testid": "my-data-message" });
  const get = (path, name, button) => async () => {
    button.disabled = true;
    message.textContent = "";
    try {
      await download(path, name);
      message.textContent = t("myDataDone");
    } catch (error) {
      message.textContent = problemText(error);
    } finally {
      button.disabled = false;
    }
  };
  const json = el("button", { type: "button", class: "wide", "data-testid": "my-data-json" }, t("myDataJson"));
  const pdf = el("button", { type: "button", class: "wide secondary", "data-testid": "my-data-pdf" }, t("myDataPdf"));
  json.addEventListener("click", get("/api/v1/me/data", "my-data.json", json));
  pdf.addEventListener("click", get("/api/v1/me/data.pdf", "my-data.pdf", pdf));
  // The server's words for what is withheld are bilingual ("中文 / English"): shown as sent.
  const withheld = about.withheld.length ? card(t("myDataWithheldTitle"), el("ul", { "data-testid": "my-data-withheld" },
    about.withheld.map((w) => el("li", {}, el("strong", {}, oneLanguage(w.what)), el("p", { class: "muted" }, oneLanguage(w.why))))),
    el("p", { class: "muted" }, oneLanguage(about.withheld[0].ask))) : null;
  return [
    card(t("myDataTitle"), el("p", { class: "muted" }, t("myDataHint")), json, pdf, message),
    withheld,
    card(t("myDataRetentionTitle"), el("p", { "data-testid": "my-data-retention" },
      t("myDataRetention", { days: about.retention_days, years: Math.round(about.retention_days / 365) }))),
  ];
}
