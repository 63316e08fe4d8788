"""WeCom and DingTalk on loopback, for the channel tests: each implements its vendor's token and
message endpoints as documented (paths, query parameters, errcodes), checks what it receives and
records it. The real services cannot be reached from here.

- token: the right corp id / app key and secret get a token with `expires_in`; anything else the
  vendor's errcode (WeCom 40013/40001, DingTalk 40089). Tokens can be expired at will
  (`expire_tokens()`): a message with one gets 42001.
- message: the token must be live; the body must name the configured agent id, one known user,
  the msgtype the client sends, a neutral text (no name, no category: checked by the test) and an
  https or http URL into the app. A scripted answer per user (`script[userid] = [...]`) drives
  the error paths: an HTTP status (500, 503), an errcode (-1, 81013, ...), or "hang".
"""
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class VendorServer:
    channel = ""

    def __init__(self, app_id: str, secret: str, agent_id: str, users=(), expires_in: int = 7200,
                 latency: float = 0.0, hang_seconds: float = 3.0):
        self.app_id, self.secret, self.agent_id = app_id, secret, agent_id
        self.users = set(users)
        self.expires_in, self.latency, self.hang_seconds = expires_in, latency, hang_seconds
        self.tokens: dict[str, float] = {}  # token → expiry (monotonic)
        self.token_requests = 0
        self.stale = 0  # messages refused for an expired or unknown token
        self.received: list[dict] = []  # messages accepted: {"user", "body"}
        self.refused: list[str] = []  # why a request was refused (a client bug, not a scripted error)
        self.attempts: dict[str, int] = {}  # message requests per user, accepted or not
        self.script: dict[str, list] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status, body):
                if status == "hang":
                    time.sleep(server.hang_seconds)
                    status, body = 200, {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlsplit(self.path)
                self._answer(*server.get(url.path, {k: v[0] for k, v in parse_qs(url.query).items()}))

            def do_POST(self):
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if server.latency:
                    time.sleep(server.latency)
                self._answer(*server.post(url.path, query, body, self.headers.get("content-type", "")))

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    # ---------------------------------------------------------------- tokens
    def issue(self) -> dict:
        token = uuid.uuid4().hex
        with self.lock:
            self.token_requests += 1
            self.tokens[token] = time.monotonic() + self.expires_in
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.expires_in}

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def live(self, token: str | None) -> bool | None:
        """True live, False expired, None never issued."""
        with self.lock:
            until = self.tokens.get(token or "")
        return None if until is None else until > time.monotonic()

    def count_stale(self) -> None:
        with self.lock:
            self.stale += 1

    def _refuse(self, why: str, errcode: int, status: int = 200):
        with self.lock:
            self.refused.append(why)
        return status, {"errcode": errcode, "errmsg": why}

    def _scripted(self, user: str):
        with self.lock:
            self.attempts[user] = self.attempts.get(user, 0) + 1
            queue = self.script.get(user) or []
            return queue.pop(0) if queue else None

    def _accept(self, user: str, body: dict, extra: dict | None = None):
        with self.lock:
            self.received.append({"user": user, "body": body})
        return 200, {"errcode": 0, "errmsg": "ok", **(extra or {})}

    def messages_to(self, user: str) -> list[dict]:
        return [m["body"] for m in self.received if m["user"] == user]


class WeComServer(VendorServer):
    """企业微信: GET /cgi-bin/gettoken?corpid&corpsecret, POST /cgi-bin/message/send?access_token."""

    channel = "wecom"

    def get(self, path, query):
        if path != "/cgi-bin/gettoken":
            return self._refuse(f"unknown path {path}", 404, 404)
        if query.get("corpid") != self.app_id:
            return 200, {"errcode": 40013, "errmsg": "invalid corpid"}
        if query.get("corpsecret") != self.secret:
            return 200, {"errcode": 40001, "errmsg": "invalid credential"}
        return 200, self.issue()

    def post(self, path, query, body, content_type):
        if path != "/cgi-bin/message/send":
            return self._refuse(f"unknown path {path}", 404, 404)
        live = self.live(query.get("access_token"))
        if not live:
            self.count_stale()
            return 200, ({"errcode": 40014, "errmsg": "invalid access_token"} if live is None else
                         {"errcode": 42001, "errmsg": "access_token expired"})
        if not isinstance(body, dict) or "json" not in content_type:
            return self._refuse("body is not JSON", 44004)
        user = body.get("touser", "")
        scripted = self._scripted(user)
        if body.get("agentid") != int(self.agent_id):
            return self._refuse(f"agentid {body.get('agentid')!r}", 40056)
        if body.get("msgtype") != "textcard":
            return self._refuse(f"msgtype {body.get('msgtype')!r}", 40008)
        card = body.get("textcard") or {}
        if not card.get("title") or not card.get("description") or not str(card.get("url", "")).startswith(("http://", "https://")):
            return self._refuse(f"textcard {card!r}", 41001)
        if len(card["description"].encode()) > 512 or len(card["title"].encode()) > 128:
            return self._refuse("textcard too long", 45002)
        if scripted is not None:
            return (scripted, {"errcode": -1, "errmsg": "system busy"}) if isinstance(scripted, int) and scripted >= 500 \
                else (scripted, None) if scripted == "hang" else (200, {"errcode": scripted, "errmsg": "scripted"})
        if "|" in user or user.lower() not in {u.lower() for u in self.users}:
            return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": user.lower()}
        return self._accept(user, body, {"invaliduser": "", "msgid": uuid.uuid4().hex})


class DingTalkServer(VendorServer):
    """钉钉: GET /gettoken?appkey&appsecret, POST /topapi/message/corpconversation/asyncsend_v2?access_token."""

    channel = "dingtalk"

    def get(self, path, query):
        if path != "/gettoken":
            return self._refuse(f"unknown path {path}", 404, 404)
        if query.get("appkey") != self.app_id or query.get("appsecret") != self.secret:
            return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        return 200, self.issue()

    def post(self, path, query, body, content_type):
        if path != "/topapi/message/corpconversation/asyncsend_v2":
            return self._refuse(f"unknown path {path}", 404, 404)
        live = self.live(query.get("access_token"))
        if not live:
            self.count_stale()
            return 200, ({"errcode": 88, "sub_code": "40014", "errmsg": "不合法的access_token"} if live is None else
                         {"errcode": 88, "sub_code": "42001", "errmsg": "access_token超时"})
        if not isinstance(body, dict) or "json" not in content_type:
            return self._refuse("body is not JSON", 40035)
        user = str(body.get("userid_list", ""))
        scripted = self._scripted(user)
        if body.get("agent_id") != int(self.agent_id):
            return self._refuse(f"agent_id {body.get('agent_id')!r}", 40035)
        msg = body.get("msg") or {}
        card = msg.get("action_card") or {}
        if msg.get("msgtype") != "action_card" or not card.get("title") or not card.get("markdown") \
                or not card.get("single_title") or not str(card.get("single_url", "")).startswith(("http://", "https://")):
            return self._refuse(f"msg {msg!r}", 40035)
        if scripted is not None:
            return (scripted, {"errcode": -1, "errmsg": "系统繁忙"}) if isinstance(scripted, int) and scripted >= 500 \
                else (scripted, None) if scripted == "hang" else (200, {"errcode": scripted, "errmsg": "scripted"})
        if "," in user or user not in self.users:
            return 200, {"errcode": 33012, "errmsg": "无效的USERID"}
        return self._accept(user, body, {"task_id": uuid.uuid4().int % 10**12, "request_id": uuid.uuid4().hex[:12]})
