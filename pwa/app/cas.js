// Campus sign-in (统一身份认证, CAS): the login screen's offer, the screen a refused sign-in lands
// on (what went wrong and what to do), and the school admin's choice of who keeps a password.
// Signing in is a navigation to the server (/api/v1/auth/cas/login → the CAS server → back),
// never a fetch: the CAS server's pages must be the browser's own.
import { api, problemText } from "./api.js";
import { card, el, empty } from "./dom.js";
import { addText, t } from "./i18n.js";

addText({
  casLogin: "统一身份认证登录", casOr: "或使用学号 / 工号和密码登录：", casLogoutToo: "同时退出统一身份认证（本校其他系统也会退出）",
  casFailed: "统一身份认证登录未成功", casAgain: "重新统一身份认证登录", casPassword: "使用账号密码登录",
  cas_unknown_user: "统一身份认证账号 {account} 未在本系统登记。学生请联系班主任或辅导员，教职工请联系教务处，核对学号 / 工号是否已导入本系统。",
  cas_invalid_ticket: "这次统一身份认证的登录凭据无效或已经用过（例如按了返回键或刷新了页面）。请点下面的按钮重新登录。",
  cas_wrong_service: "统一身份认证返回的登录凭据不是发给本系统的。请从本系统登录页重新登录；如反复出现，请联系信息中心检查服务地址设置。",
  cas_inactive: "账号 {account} 已停用，不能登录。如有疑问，学生请联系辅导员，教职工请联系教务处。",
  cas_no_number: "统一身份认证账号 {account} 没有提供学号 / 工号，无法对应本系统的账号。请联系信息中心。",
  cas_unreachable: "暂时连不上统一身份认证服务器。请稍后再试；学校管理员可用账号密码登录。",
  cas_state: "登录已超时，或不是在这台设备上发起的。请在这台设备上重新点“统一身份认证登录”。",
  cas_off: "本校没有开启统一身份认证登录，请用账号密码登录。",
  pwLogins: "账号密码登录", pwLoginsLink: "账号密码登录",
  pwLoginsHint: "开启统一身份认证后，学生和教职工默认只能用统一身份认证登录；学校管理员默认保留账号密码，统一身份认证出故障时仍能登录处理事务。可为个别账号单独允许或禁止。",
  pwExceptions: "与默认不同的账号", pwSearch: "搜索账号或姓名", pwFind: "查找", pwNobody: "没有找到。",
  pw_default: "默认（{d}）", pw_allowed: "允许密码登录", pw_denied: "只用统一身份认证", pwDefaultAllowed: "允许", pwDefaultDenied: "只用统一身份认证",
  pwNowAllowed: "现在可以用密码登录", pwNowDenied: "现在只能用统一身份认证登录", pwSave: "保存", pwSaved: "已保存：{name}",
  pwChoice: "{name} 的密码登录",
}, {
  casLogin: "Campus sign-in (统一身份认证)", casOr: "Or log in with your student / staff number and password:",
  casLogoutToo: "Also sign out of campus sign-in (signs you out of the college's other systems too)",
  casFailed: "Campus sign-in did not work", casAgain: "Try campus sign-in again", casPassword: "Log in with a password",
  cas_unknown_user: "The campus account {account} is not registered in Spiral. Students: ask your head teacher or counsellor; staff: ask the academic affairs office to check that your number was imported.",
  cas_invalid_ticket: "This campus sign-in was not valid or was already used (for example after Back or a reload). Tap the button below to sign in again.",
  cas_wrong_service: "The campus sign-in came back for another site than Spiral. Start again from Spiral's login screen; if it keeps happening, ask the IT centre to check the service address.",
  cas_inactive: "The account {account} is deactivated and cannot log in. Students: ask your counsellor; staff: ask the academic affairs office.",
  cas_no_number: "The campus account {account} carries no student or staff number, so it matches no Spiral account. Ask the IT centre.",
  cas_unreachable: "The campus sign-in server cannot be reached just now. Try again later; school admins can log in with a password.",
  cas_state: "The sign-in took too long or was not started on this device. Tap “Campus sign-in” again on this device.",
  cas_off: "Campus sign-in is not turned on here: log in with your password.",
  pwLogins: "Password login", pwLoginsLink: "Password login",
  pwLoginsHint: "With campus sign-in on, students and staff sign in through it only; school admins keep a password by default, so they can still get in when campus sign-in is down. Allow or deny single accounts here.",
  pwExceptions: "Accounts that differ from the default", pwSearch: "Login or name", pwFind: "Find", pwNobody: "Nobody found.",
  pw_default: "Default ({d})", pw_allowed: "Password allowed", pw_denied: "Campus sign-in only", pwDefaultAllowed: "allowed", pwDefaultDenied: "campus sign-in only",
  pwNowAllowed: "Can log in with a password now", pwNowDenied: "Can only use campus sign-in now", pwSave: "Save", pwSaved: "Saved: {name}",
  pwChoice: "Password login of {name}",
});

let settings = null;
async function casSettings() {
  if (!settings) {
    try {
      const response = await fetch("/api/v1/auth/cas");
      settings = response.ok ? await response.json() : { enabled: false };
    } catch { return { enabled: false }; }  // offline: a password login says why it cannot either
  }
  return settings;
}

const signInLink = (label) => el("a", { href: "/api/v1/auth/cas/login", class: "cas-button", "data-testid": "cas-login" }, label);

// Fills `slot` on the login screen: the campus sign-in button first (most people's way in), and
// after a logout the way to end the campus session too.
export async function casOffer(slot, afterLogout = false, known = null) {
  if (known) settings = known;
  const cas = await casSettings();
  if (!cas.enabled) return;
  slot.replaceChildren(el("section", { class: "card" }, signInLink(t("casLogin")),
    afterLogout && cas.logout_url ? el("p", {}, el("a", { href: cas.logout_url, class: "more", "data-testid": "cas-logout" }, t("casLogoutToo"))) : null,
    el("p", { class: "muted" }, t("casOr"))));
}

// #/cas-error?reason=...&account=...: what went wrong and what to do, with both ways in.
export async function casError(query, passwordLogin) {
  const reason = query.get("reason");
  const text = t(`cas_${reason}`, { account: query.get("account") || "" });
  const cas = await casSettings();
  return card(t("casFailed"), el("p", { class: "error", role: "alert", "data-testid": "cas-error" },
    text.startsWith("cas_") ? t("cas_invalid_ticket") : text),
  cas.enabled ? signInLink(t("casAgain")) : null,
  el("button", { type: "button", class: "secondary wide", onclick: passwordLogin, "data-testid": "cas-password" }, t("casPassword")));
}

// ---------------------------------------------------------------- the school admin's choices
function accountRow(a) {
  const id = `pw-${a.user_id}`;
  const select = el("select", { id, "data-testid": "pw-choice" }, ["default", "allowed", "denied"].map((v) =>
    el("option", { value: v, selected: v === a.password_login },
      v === "default" ? t("pw_default", { d: a.by_default ? t("pwDefaultAllowed") : t("pwDefaultDenied") }) : t(`pw_${v}`))));
  const state = el("p", { class: "muted", "data-testid": "pw-state" }, a.allowed ? t("pwNowAllowed") : t("pwNowDenied"));
  const message = el("p", { class: "error", role: "alert" });
  const save = async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      const now = await api(`/api/v1/password-logins/${a.user_id}`, { method: "PUT", body: { password_login: select.value } });
      state.textContent = `${t("pwSaved", { name: a.display_name })} · ${now.allowed ? t("pwNowAllowed") : t("pwNowDenied")}`;
    } catch (error) {
      message.textContent = `${a.display_name}：${problemText(error)}`;
    }
  };
  return el("li", { class: "stack" }, el("form", { class: "stack", onsubmit: save, "data-testid": `pw-${a.username}` },
    el("strong", {}, `${a.display_name} · ${a.username}`), el("label", { for: id }, t("pwChoice", { name: a.display_name })), select,
    state, el("button", { type: "submit", "data-testid": "pw-save" }, t("pwSave")), message));
}

export async function passwordLoginScreen() {
  const list = el("ul", { class: "list", "data-testid": "pw-accounts" });
  const query = el("input", { id: "pw-q", type: "search", autocomplete: "off", "data-testid": "pw-search" });
  const caption = el("p", { class: "muted" });
  const find = async (event) => {
    event?.preventDefault();
    const q = query.value.trim();
    caption.textContent = q ? "" : t("pwExceptions");
    try {
      const accounts = await api(`/api/v1/password-logins?q=${encodeURIComponent(q)}`);
      list.replaceChildren(...(accounts.length ? accounts.map(accountRow) : [el("li", {}, empty(t("pwNobody")))]));
    } catch (error) {
      list.replaceChildren(el("li", { class: "error" }, problemText(error)));
    }
  };
  await find();
  return [el("a", { href: "#/", class: "link" }, `← ${t("back")}`),
    card(t("pwLogins"), el("p", { class: "muted" }, t("pwLoginsHint")),
      el("form", { class: "stack", onsubmit: find }, el("label", { for: "pw-q" }, t("pwSearch")), query,
        el("button", { type: "submit", "data-testid": "pw-find" }, t("pwFind"))), caption, list)];
}
