"""What the WeCom and DingTalk clients share: JSON over libcurl, the access-token cache, and the
one rule for a send: fetch (or reuse) the token, send, and when the vendor says the token is
invalid or expired, drop it, fetch a fresh one and send once more.

The token is cached in Redis, shared by every worker, until shortly before its `expires_in`; the
key is a hash of the API base, app id and secret, so a changed secret never reuses a token, and
the token never sits beside the secret. Without Redis a process keeps its own copy.
"""
import hashlib
import io
import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import certifi
import pycurl
from redis.exceptions import RedisError

from backend.notify.channels.settings import Settings

log = logging.getLogger(__name__)
SENT, RETRY, FAILED, TOKEN = "sent", "retry", "failed", "token"


@dataclass
class Answer:
    status: int | None  # HTTP status; None: no answer (timeout, connection refused)
    body: dict | None
    error: str | None = None


def http_json(url: str, body: dict | None, timeout: float) -> Answer:
    """GET (no body) or POST a JSON body; the answer's JSON. Never logs the URL: it holds the
    secret (gettoken) or the token."""
    c, out = pycurl.Curl(), io.BytesIO()
    try:
        c.setopt(pycurl.URL, url)
        c.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTPS | pycurl.PROTO_HTTP)
        c.setopt(pycurl.FOLLOWLOCATION, 0)
        c.setopt(pycurl.TIMEOUT_MS, int(timeout * 1000))
        c.setopt(pycurl.CONNECTTIMEOUT_MS, int(min(timeout, 5) * 1000))
        c.setopt(pycurl.CAINFO, certifi.where())
        c.setopt(pycurl.WRITEDATA, out)
        c.setopt(pycurl.NOSIGNAL, 1)
        if body is not None:
            c.setopt(pycurl.POSTFIELDS, json.dumps(body, ensure_ascii=False).encode())
            c.setopt(pycurl.HTTPHEADER, ["content-type: application/json; charset=utf-8", "expect:"])
        try:
            c.perform()
        except pycurl.error as exc:
            return Answer(None, None, f"network {exc.args[0]}")
        status = c.getinfo(pycurl.RESPONSE_CODE)
    finally:
        c.close()
    try:
        parsed = json.loads(out.getvalue() or b"null")
    except ValueError:
        parsed = None
    return Answer(status, parsed if isinstance(parsed, dict) else None)


class TokenCache:
    """Access tokens by (channel, api base, app id, secret), in Redis when there is one."""

    _local: dict[str, tuple[str, float]] = {}
    _lock = threading.Lock()

    def __init__(self, redis):
        self.redis = redis

    @staticmethod
    def key(s: Settings) -> str:
        digest = hashlib.sha256(f"{s.api_base}\n{s.app_id}\n{s.secret}".encode()).hexdigest()[:32]
        return f"spiral:channel-token:{s.channel}:{digest}"

    def get(self, s: Settings) -> str | None:
        try:
            found = self.redis.get(self.key(s)) if self.redis is not None else None
            return found.decode() if isinstance(found, bytes) else found
        except RedisError:
            with self._lock:
                token, until = self._local.get(self.key(s), (None, 0))
            return token if until > time.monotonic() else None

    def put(self, s: Settings, token: str, expires_in: int) -> None:
        # Refreshed a little early (a fifth of its life, at most 5 minutes), never kept past expiry.
        ttl = max(1, expires_in - min(300, expires_in // 5))
        try:
            if self.redis is None:
                raise RedisError("no redis")
            self.redis.set(self.key(s), token, ex=ttl)
        except RedisError:
            with self._lock:
                self._local[self.key(s)] = (token, time.monotonic() + ttl)

    def drop(self, s: Settings, token: str) -> None:
        """Forget a token the vendor refused (unless another worker already replaced it)."""
        try:
            if self.redis is not None and self.get(s) == token:
                self.redis.delete(self.key(s))
        except RedisError:
            pass
        with self._lock:
            if self._local.get(self.key(s), (None,))[0] == token:
                self._local.pop(self.key(s), None)


@dataclass
class Message:
    external_id: str
    title: str  # neutral: the app's name
    text: str  # neutral lock-screen text (notifications.lock_text)
    url: str  # absolute link into the app
    button: str  # "查看" or "Open"


class Client:
    """One vendor; subclasses say how to fetch a token, send, and read the answers."""

    channel = ""

    def __init__(self, settings: Settings, cache: TokenCache, timeout: float):
        self.s, self.cache, self.timeout = settings, cache, timeout

    # -- per vendor
    def token_url(self) -> str:
        raise NotImplementedError

    def send_request(self, token: str, m: Message) -> tuple[str, dict]:
        raise NotImplementedError

    def body_verdict(self, body: dict, m: Message) -> tuple[str, str]:
        """The verdict on a vendor's JSON answer (HTTP 200)."""
        raise NotImplementedError

    # -- shared
    def verdict(self, answer: Answer, m: Message) -> tuple[str, str]:
        """No answer, 429 and 5xx are retried; another HTTP status fails; a JSON answer is the vendor's."""
        if answer.status is None:
            return RETRY, answer.error or "no answer"
        if answer.status == 429 or answer.status >= 500:
            return RETRY, f"http {answer.status}"
        if answer.status != 200 or answer.body is None:
            return FAILED, f"http {answer.status}"
        return self.body_verdict(answer.body, m)

    def _url(self, path: str, **query) -> str:
        return f"{self.s.api_base}{path}?{urlencode(query)}"

    def fetch_token(self) -> tuple[str | None, str]:
        answer = http_json(self.token_url(), None, self.timeout)
        body = answer.body or {}
        if answer.status == 200 and body.get("errcode", 0) == 0 and body.get("access_token"):
            self.cache.put(self.s, body["access_token"], int(body.get("expires_in") or 7200))
            return body["access_token"], "ok"
        why = f"token {answer.error or answer.status}" + (f" errcode {body['errcode']}" if "errcode" in body else "")
        log.warning("%s: no access token (%s)", self.channel, why)
        return None, why

    def send(self, m: Message) -> tuple[str, str]:
        """(SENT | RETRY | FAILED, a short status for the delivery row)."""
        token = self.cache.get(self.s)
        fresh = token is None
        if fresh:
            token, why = self.fetch_token()
            if token is None:
                return RETRY, why  # an outage, or credentials the admin will correct: backoff, then failed
        for _ in range(2):
            url, body = self.send_request(token, m)
            answer = http_json(url, body, self.timeout)
            verdict, status = self.verdict(answer, m)
            if verdict != TOKEN:
                return verdict, status
            self.cache.drop(self.s, token)
            if fresh:
                break  # a token fetched just now refused: not a stale cache; retry later
            token, why = self.fetch_token()
            if token is None:
                return RETRY, why
            fresh = True
        return RETRY, status
