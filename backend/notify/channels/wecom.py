"""企业微信 (WeCom) application messages, against its documented HTTP API:

    GET  {WECOM_API_BASE}/cgi-bin/gettoken?corpid=…&corpsecret=…   → access_token, expires_in
    POST {WECOM_API_BASE}/cgi-bin/message/send?access_token=…      → errcode, invaliduser

A "textcard": the neutral lock-screen text and a link into the app, with WeCom's duplicate check
on so that a retry after a lost answer does not show twice. Answers: errcode 0 is sent unless the
user is listed in `invaliduser` (not a member, or outside the app's visible range: failed for
good); 40014/42001 (invalid or expired token) refresh the token and send once more; -1 (system
busy), 45009/45033 (frequency or concurrency limit), HTTP 5xx/429 and timeouts are retried with
backoff; 81013 (user, party and tag all invalid), 40003 and 60111 (no such userid) and any other
errcode fail for good.
"""
from backend.notify.channels.client import FAILED, RETRY, SENT, TOKEN, Client, Message

TOKEN_CODES = {40014, 42001}
BUSY_CODES = {-1, 45009, 45033}


class WeCom(Client):
    channel = "wecom"

    def token_url(self) -> str:
        return self._url("/cgi-bin/gettoken", corpid=self.s.app_id, corpsecret=self.s.secret)

    def send_request(self, token: str, m: Message) -> tuple[str, dict]:
        return self._url("/cgi-bin/message/send", access_token=token), {
            "touser": m.external_id, "msgtype": "textcard", "agentid": int(self.s.agent_id),
            "textcard": {"title": m.title, "description": m.text, "url": m.url, "btntxt": m.button},
            "enable_duplicate_check": 1, "duplicate_check_interval": 1800}

    def body_verdict(self, body: dict, m: Message) -> tuple[str, str]:
        code = body.get("errcode", 0)
        if code == 0:
            invalid = {u.lower() for u in str(body.get("invaliduser") or "").split("|") if u}
            return (FAILED, "invaliduser") if m.external_id.lower() in invalid else (SENT, "ok")
        if code in TOKEN_CODES:
            return TOKEN, f"errcode {code}"
        return (RETRY if code in BUSY_CODES else FAILED), f"errcode {code}"
