"""钉钉 (DingTalk) work notifications (工作通知), against its documented HTTP API:

    GET  {DINGTALK_API_BASE}/gettoken?appkey=…&appsecret=…                          → access_token, expires_in
    POST {DINGTALK_API_BASE}/topapi/message/corpconversation/asyncsend_v2?access_token=…  → errcode, task_id

An "action_card" with the neutral lock-screen text and one button into the app. Answers: errcode
0 is sent (DingTalk queues it: task_id); 40014/42001, or 88 with sub_code 40014/42001, mean the
token is invalid or expired: refresh and send once more; -1 (system busy), 90002/90018 (rate
limits), HTTP 5xx/429 and timeouts are retried with backoff; 33012 (invalid userid), 60121 (no
such user) and any other errcode fail for good.
"""
from backend.notify.channels.client import FAILED, RETRY, SENT, TOKEN, Client, Message

TOKEN_CODES = {40014, 42001}
BUSY_CODES = {-1, 90002, 90018}


class DingTalk(Client):
    channel = "dingtalk"

    def token_url(self) -> str:
        return self._url("/gettoken", appkey=self.s.app_id, appsecret=self.s.secret)

    def send_request(self, token: str, m: Message) -> tuple[str, dict]:
        return self._url("/topapi/message/corpconversation/asyncsend_v2", access_token=token), {
            "agent_id": int(self.s.agent_id), "userid_list": m.external_id,
            "msg": {"msgtype": "action_card", "action_card": {
                "title": m.title, "markdown": m.text, "single_title": m.button, "single_url": m.url}}}

    def body_verdict(self, body: dict, m: Message) -> tuple[str, str]:
        code = body.get("errcode", 0)
        sub = str(body.get("sub_code") or "")
        if code == 0:
            return SENT, f"ok {body.get('task_id', '')}"[:64]
        if code in TOKEN_CODES or (code == 88 and sub.lstrip("-").isdigit() and int(sub) in TOKEN_CODES):
            return TOKEN, f"errcode {code}" + (f"/{sub}" if sub else "")
        if code in BUSY_CODES or (code == 88 and sub == "-1"):
            return RETRY, f"errcode {code}" + (f"/{sub}" if sub else "")
        return FAILED, f"errcode {code}" + (f"/{sub}" if sub else "")
