// 企业微信 / 钉钉 (school admin): each channel's app (the secret is written, never shown back) and
// each person's userid there, so alerts reach phones that Web Push cannot.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, t } from "./i18n.js";

addText({
  channels: "企业微信 / 钉钉", channelsHint: "预警除站内消息和浏览器推送外，也通过企业微信应用消息、钉钉工作通知发到手机；手机上只显示中性提示和链接，不含学生姓名或预警类别。",
  ch_wecom: "企业微信", ch_dingtalk: "钉钉", appId_wecom: "企业 ID（CorpID）", appId_dingtalk: "AppKey（Client ID）",
  chAgentId: "应用 AgentId", secret_wecom: "应用 Secret", secret_dingtalk: "AppSecret", chSecretSet: "已设置（{hint}）",
  chSecretFromEnv: "已由服务器环境变量设置", chSecretUnset: "未设置", chSecretKeep: "留空则保留原 Secret", chReady: "已启用",
  chNotReady: "未启用：需填写 ID、Secret 和 AgentId", chLinkedN: "已关联 {n} 人", save: "保存", saved: "已保存",
  chPeople: "人员账号", chPeopleHint: "填写每人在企业微信 / 钉钉中的账号（userid）；留空即解除关联。也可在名单导入时用“企业微信账号”“钉钉账号”列批量填写。",
  chSearch: "搜索账号或姓名", chFind: "查找", chNoPeople: "没有找到。", chLinkedOnly: "已关联的人员",
  wecomId: "企业微信账号", dingtalkId: "钉钉账号",
}, {
  channels: "WeCom / DingTalk", channelsHint: "Besides the inbox and browser push, alerts go to phones as WeCom application messages and DingTalk work notifications, with a neutral line and a link only: never a student's name or the kind of alert.",
  ch_wecom: "WeCom", ch_dingtalk: "DingTalk", appId_wecom: "Corp ID", appId_dingtalk: "App key (client ID)",
  chAgentId: "Agent ID", secret_wecom: "App secret", secret_dingtalk: "App secret", chSecretSet: "Set ({hint})",
  chSecretFromEnv: "Set in the server's environment", chSecretUnset: "Not set", chSecretKeep: "Leave empty to keep the secret", chReady: "On",
  chNotReady: "Off: needs the ID, secret and agent ID", chLinkedN: "{n} people linked", save: "Save", saved: "Saved",
  chPeople: "People's accounts", chPeopleHint: "Each person's userid in WeCom / DingTalk; empty unlinks. The roster import's 企业微信账号 and 钉钉账号 columns fill them in bulk.",
  chSearch: "Login or name", chFind: "Find", chNoPeople: "Nobody found.", chLinkedOnly: "Linked people",
  wecomId: "WeCom userid", dingtalkId: "DingTalk userid",
});

function back() {
  return el("a", { href: "#/", class: "link", "data-testid": "back" }, `← ${t("back")}`);
}

function input(id, label, value, attrs = {}) {
  const node = el("input", { id, name: id, value: value ?? "", autocomplete: "off", ...attrs });
  return [node, el("div", {}, el("label", { for: id }, label), node)];
}

function secretState(c) {
  if (!c.secret_set) return t("chSecretUnset");
  return c.source === "env" ? t("chSecretFromEnv") : t("chSecretSet", { hint: c.secret_hint || "…" });
}

// A save's answer under its form: red only when something is wrong.
function said(message, text, wrong = false) {
  message.className = wrong ? "error" : "muted";
  message.textContent = text;
}

function channelForm(c) {
  const [appId, appRow] = input(`${c.channel}-app`, t(`appId_${c.channel}`), c.app_id, { "data-testid": `${c.channel}-app-id` });
  const [agent, agentRow] = input(`${c.channel}-agent`, t("chAgentId"), c.agent_id, { inputmode: "numeric", "data-testid": `${c.channel}-agent-id` });
  const [secret, secretRow] = input(`${c.channel}-secret`, t(`secret_${c.channel}`), "",
    { type: "password", placeholder: t("chSecretKeep"), autocomplete: "new-password", "data-testid": `${c.channel}-secret` });
  const state = el("p", { class: "muted", "data-testid": `${c.channel}-state` });
  const message = el("p", { class: "error", role: "alert", "data-testid": `${c.channel}-message` });
  const draw = (now) => {
    state.textContent = `${secretState(now)} · ${now.ready ? t("chReady") : t("chNotReady")} · ${t("chLinkedN", { n: now.linked_users })}`;
  };
  draw(c);
  const save = async (event) => {
    event.preventDefault();
    message.textContent = "";
    const body = { app_id: appId.value.trim(), agent_id: agent.value.trim() };
    if (secret.value) body.secret = secret.value;
    try {
      const now = await api(`/api/v1/channels/${c.channel}`, { method: "PUT", body });
      secret.value = "";  // written once, never kept on the screen
      draw(now);
      said(message, t("saved"));
    } catch (error) {
      error.field = (k) => ({ app_id: t(`appId_${c.channel}`), agent_id: t("chAgentId"), secret: t(`secret_${c.channel}`) })[k] || k;
      said(message, problemText(error), true);
    }
  };
  return el("form", { class: "stack", onsubmit: save, "data-testid": `channel-${c.channel}` },
    el("h3", {}, t(`ch_${c.channel}`)), state, appRow, agentRow, secretRow,
    el("button", { type: "submit", class: "wide", "data-testid": `${c.channel}-save` }, t("save")), message);
}

function personRow(p) {
  const [wecom, wecomRow] = input(`wecom-${p.user_id}`, t("wecomId"), p.wecom, { "data-testid": "wecom-id" });
  const [ding, dingRow] = input(`dingtalk-${p.user_id}`, t("dingtalkId"), p.dingtalk, { "data-testid": "dingtalk-id" });
  const message = el("p", { class: "error", role: "alert" });
  const save = async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const now = await api(`/api/v1/channel-accounts/${p.user_id}`, { method: "PUT",
        body: { wecom: wecom.value.trim(), dingtalk: ding.value.trim() } });
      wecom.value = now.wecom ?? "";
      ding.value = now.dingtalk ?? "";
      said(message, t("saved"));
    } catch (error) {
      error.field = (k) => ({ wecom: t("wecomId"), dingtalk: t("dingtalkId") })[k] || k;
      said(message, problemText(error), true);
    }
  };
  return el("li", { class: "stack" }, el("form", { class: "stack", onsubmit: save, "data-testid": `person-${p.username}` },
    el("strong", {}, `${p.display_name} · ${p.username}`), wecomRow, dingRow,
    el("button", { type: "submit", "data-testid": "person-save" }, t("save")), message));
}

function peopleCard() {
  const list = el("ul", { class: "list", "data-testid": "people" });
  const query = el("input", { id: "people-q", type: "search", autocomplete: "off", "data-testid": "people-search" });
  const caption = el("p", { class: "muted" });
  const find = async (event) => {
    event?.preventDefault();
    const q = query.value.trim();
    caption.textContent = q ? "" : t("chLinkedOnly");
    try {
      const people = await api(`/api/v1/channel-accounts?q=${encodeURIComponent(q)}`);
      list.replaceChildren(...(people.length ? people.map(personRow) : [el("li", {}, empty(t("chNoPeople")))]));
    } catch (error) {
      list.replaceChildren(el("li", { class: "error" }, problemText(error)));
    }
  };
  find();
  return card(t("chPeople"), el("p", { class: "muted" }, t("chPeopleHint")),
    el("form", { class: "stack", onsubmit: find }, el("label", { for: "people-q" }, t("chSearch")), query,
      el("button", { type: "submit", "data-testid": "people-find" }, t("chFind"))), caption, list);
}

export async function channelsScreen() {
  const channels = await api("/api/v1/channels");
  return [back(), card(t("channels"), el("p", { class: "muted" }, t("channelsHint")), channels.map(channelForm)), peopleCard()];
}
