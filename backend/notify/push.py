"""Web Push with pywebpush: VAPID keys, device subscriptions and delivery.

Delivery reads due PushDelivery rows, claims them, encrypts each with pywebpush and sends
them concurrently with libcurl (pycurl), a bounded number in flight. The push
service's answer sorts each row three ways (as mastodon's push worker does): 2xx sent;
404/410 the subscription is gone and is deleted; 429, 5xx and timeouts are retried later
with backoff; any other 4xx (413: too large) fails for good. Rows make retries exact:
a retry sends only what failed, and a job run twice sends nothing twice.

Push goes only to push services. An endpoint is a URL the device hands us, so it is checked as
untrusted input twice: at subscribe time (`endpoint_problem`, `keys_problems`: https, no
credentials, at most MAX_ENDPOINT characters, a DNS name or a public address written as four
decimal numbers, keys a P-256 point and a 16-byte secret) and again at send time, after
resolving the name: every address it resolves to must be public, and libcurl is pinned to those
checked addresses (CURLOPT_RESOLVE, and an open-socket callback that refuses any other), follows
no redirect, speaks only HTTPS and uses no proxy. A refused delivery fails alone, without a
request, and never deletes its subscription. PUSH_ALLOWED_ORIGINS (exact origins, for tests and
labs only; empty in production) lifts the https and address rules for a local push service.
"""
import base64
import ipaddress
import json
import logging
import os
import re
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlsplit

import certifi
import pycurl
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPusher
from sqlalchemy import bindparam, delete, select, update

from backend.errors import Problem
from backend.extensions import db
from backend.models import Notification, PushDelivery, PushSubscription, User
from backend.notify.notifications import claim_due, lock_text
from backend.platform import clock, metrics

log = logging.getLogger(__name__)
MAX_PAYLOAD = 3072  # bytes of JSON before encryption; push services refuse ~4 KB
URGENCY = {"red": "high", "orange": "normal", "yellow": "low"}
CLAIM_SECONDS = 600  # a claim older than this belongs to a dead worker and is taken over
BATCH = 1000
MAX_ENDPOINT = 1024  # characters; real endpoints (FCM, Mozilla, Apple, WNS) are under 600
REFUSED = 0  # the status of a delivery refused before any request: it fails alone, nothing is deleted
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_NUMBER = re.compile(r"[0-9]+|0x[0-9a-f]*")  # a label URL parsers (WHATWG, libcurl) read as a number
_QUAD = re.compile(r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")
_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address on the public internet: not loopback, private, shared (100.64/10), link-local,
    multicast, reserved or unspecified, nor an IPv6 address that carries such an IPv4 address."""
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                                                      if ip in _NAT64 else None)
        if embedded is not None and not public_address(embedded):
            return False
        if ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def _origin(scheme: str, host: str, port: int | None) -> str:
    port = port or {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def allowed_origins() -> frozenset[str]:
    """PUSH_ALLOWED_ORIGINS, normalised (scheme://host:port): a test or lab push service on a
    local address. Production has none."""
    found = set()
    for origin in current_app.config.get("PUSH_ALLOWED_ORIGINS") or ():
        url = urlsplit(origin.strip().lower())
        if url.hostname:
            found.add(_origin(url.scheme, url.hostname, url.port))
    return frozenset(found)


def _parse(endpoint: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, origin) of an endpoint; ValueError names what is wrong with it."""
    if len(endpoint) > MAX_ENDPOINT:
        raise ValueError(f"longer than {MAX_ENDPOINT} characters")
    if not endpoint.isascii() or any(c <= " " or c in "\x7f\\" for c in endpoint):
        raise ValueError("not a plain URL")
    url = urlsplit(endpoint)
    port = url.port  # raises ValueError for a bad port
    if "@" in url.netloc:
        raise ValueError("a push endpoint has no user name or password")
    scheme, host = url.scheme.lower(), url.hostname
    if not host:
        raise ValueError("no host")
    if port == 0:
        raise ValueError("port 0")
    if ("[" in url.netloc) != (":" in host):
        raise ValueError("brackets hold an IPv6 address and nothing else")
    return scheme, host, port, _origin(scheme, host, port)


def _host_problem(host: str) -> str | None:
    """Why a host is not a push service's, before any DNS lookup, or None."""
    if ":" in host:  # an IPv6 literal
        try:
            ip = ipaddress.IPv6Address(host)
        except ValueError:
            return "not a valid IPv6 address"
        return None if public_address(ip) else "not a public address"
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if _NUMBER.fullmatch(labels[-1]):  # an IPv4 address, in whatever spelling libcurl would accept
        if not _QUAD.fullmatch(name):
            return "an IP address must be written as four decimal numbers"
        return None if public_address(ipaddress.IPv4Address(name)) else "not a public address"
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1] == "localhost":
        return "not a public host name"
    return None


def endpoint_problem(endpoint: str) -> str | None:
    """Why an endpoint is refused (before DNS), or None: https, no credentials, at most
    MAX_ENDPOINT characters, a public host. An origin in PUSH_ALLOWED_ORIGINS passes."""
    try:
        scheme, host, _, origin = _parse(endpoint)
    except ValueError as exc:
        return str(exc) if "port" not in str(exc).lower() else "not a valid port"
    if origin in allowed_origins():
        return None
    if scheme != "https":
        return "a push endpoint must be https"
    return _host_problem(host)


def _b64url(text: str) -> bytes | None:
    if not isinstance(text, str) or len(text) > 128 or not _B64URL.fullmatch(text):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except ValueError:
        return None


def keys_problems(keys: dict) -> dict[str, str]:
    """{"p256dh" or "auth": why} for keys a message cannot be encrypted to (RFC 8291): p256dh
    an uncompressed point on P-256, auth a 16-byte secret, both base64url."""
    problems = {}
    point = _b64url(keys.get("p256dh"))
    try:
        if point is None or len(point) != 65:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        problems["p256dh"] = "not an uncompressed P-256 public key (65 bytes, base64url)"
    secret = _b64url(keys.get("auth"))
    if secret is None or len(secret) != 16:
        problems["auth"] = "not a 16-byte secret (base64url)"
    return problems


def subscription_problems(info: dict) -> dict[str, list[str]]:
    """Errors by field (endpoint, keys.p256dh, keys.auth) for a subscription refused at
    subscribe time; empty when it may be stored."""
    errors = {}
    problem = endpoint_problem(info.get("endpoint") or "")
    if problem:
        errors["endpoint"] = [problem]
    for name, why in keys_problems(info.get("keys") or {}).items():
        errors[f"keys.{name}"] = [why]
    return errors


def _keys_file() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "vapid.json"


def generate_keys(rotate: bool = False) -> dict:
    """`flask push keys`: VAPID keys into instance/vapid.json (mode 600), once."""
    path = _keys_file()
    if path.exists() and not rotate:
        return json.loads(path.read_text())
    vapid = Vapid()
    vapid.generate_keys()
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    keys = {"private_key": b64urlencode(raw), "public_key": _public(vapid)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with open(path, "w", opener=lambda p, f: os.open(p, f, 0o600)) as f:
        json.dump(keys, f)
    return keys


def _public(vapid: Vapid) -> str:
    return b64urlencode(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                      serialization.PublicFormat.UncompressedPoint))


def keys() -> dict | None:
    cfg = current_app.config
    if cfg["VAPID_PRIVATE_KEY"] and cfg["VAPID_PUBLIC_KEY"]:
        return {"private_key": cfg["VAPID_PRIVATE_KEY"], "public_key": cfg["VAPID_PUBLIC_KEY"]}
    path = _keys_file()
    return json.loads(path.read_text()) if path.exists() else None


def public_key() -> str:
    found = keys()
    if found is None:
        raise Problem(503, "推送未配置 / Push not configured", "Run `flask push keys` or set VAPID_PRIVATE_KEY.")
    return found["public_key"]


class _Signer:
    """VAPID headers per push service origin, signed once and reused until near expiry:
    a JWT is valid for up to 24 h, so signing per message is wasted work."""

    def __init__(self, private_key: str, subject: str):
        self.vapid, self.subject, self.cache = Vapid.from_string(private_key), subject, {}

    def headers(self, endpoint: str) -> dict:
        url = urlparse(endpoint)
        # The real time, not the clock: the push service checks `exp` against its own clock.
        aud, now = f"{url.scheme}://{url.netloc}", int(time.time())
        exp, signed = self.cache.get(aud, (0, None))
        if exp - now < 3600:
            exp = now + 12 * 3600
            # A fresh dict each time: pywebpush and py_vapid mutate the claims they are given.
            signed = self.vapid.sign({"sub": self.subject, "aud": aud, "exp": exp})
            self.cache[aud] = (exp, signed)
        return dict(signed)


_signers: dict[tuple[str, str], _Signer] = {}


def _signer() -> _Signer:
    found = keys()
    if found is None:
        raise RuntimeError("VAPID keys missing: run `flask push keys`")
    key = (found["private_key"], current_app.config["VAPID_SUBJECT"])
    if key not in _signers:
        _signers[key] = _Signer(*key)
    return _signers[key]


def subscribe(user_id: int, info: dict) -> PushSubscription:
    """Register a device; a known endpoint moves to whoever subscribed it last (a handed-on phone).
    The endpoint and keys are checked here as well as by the schema: nothing unchecked is stored."""
    errors = subscription_problems(info)
    if errors:
        raise Problem(422, "推送订阅无效 / Invalid push subscription",
                      "A push endpoint must be an https URL of a push service; keys as the browser gives them.",
                      errors=errors)
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == info["endpoint"]))
    if sub is None:
        sub = PushSubscription(endpoint=info["endpoint"])
        db.session.add(sub)
    sub.user_id, sub.p256dh, sub.auth = user_id, info["keys"]["p256dh"], info["keys"]["auth"]
    sub.device, sub.enabled = info.get("device"), True
    db.session.flush()
    return sub


def forget(sub: PushSubscription) -> None:
    db.session.execute(delete(PushDelivery).where(PushDelivery.subscription_id == sub.id))
    db.session.delete(sub)


def payload(n: Notification, lang: str | None = None) -> bytes:
    """What the service worker gets: neutral lock-screen text in the recipient's language (their
    setting, `lang`) and where to go in the app."""
    body = json.dumps({"title": "Spiral", "body": lock_text(n, lang), "url": n.url, "tag": f"n{n.warning_id or n.id}",
                       "level": n.level, "notification_id": n.id}, ensure_ascii=False).encode()
    assert len(body) <= MAX_PAYLOAD, len(body)
    return body


@dataclass
class Outgoing:
    delivery_id: int
    attempts: int
    subscription_id: int
    info: dict
    data: bytes
    headers: dict
    refused: str | None = None  # why it is not sent at all, found before any request


@dataclass
class _Target:
    """Where one delivery may connect: the addresses its host resolved to, all checked."""
    host: str
    port: int
    addresses: frozenset  # of ipaddress objects
    lab: bool  # an origin in PUSH_ALLOWED_ORIGINS: plain http and local addresses allowed


def _resolve(host: str, port: int, lab: bool) -> tuple[frozenset | None, str | None, bool]:
    """(addresses, problem, refused) for host:port, resolved now. Every address must be public
    (unless lab): one private answer among public ones refuses the host, since libcurl could
    connect to any of them. A lookup that fails is retried later; a refusal is not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return None, f"dns: {exc}", False
    addresses = frozenset(ipaddress.ip_address(info[4][0].partition("%")[0]) for info in infos)
    if not addresses:
        return None, "dns: no address", False
    if not lab:
        for ip in addresses:
            if not public_address(ip):
                return None, f"refused: {host} resolves to {ip}", True
    return addresses, None, False


def _targets(items: list[Outgoing], results: list) -> dict[int, _Target]:
    """The checked target of each item that may be sent; the others get their result now
    (REFUSED, or None for a failed lookup, retried later) without any request."""
    allowed, looked_up, targets = allowed_origins(), {}, {}
    for i, item in enumerate(items):
        problem = item.refused or endpoint_problem(item.info["endpoint"])
        if problem is None and keys_problems(item.info["keys"]):
            problem = "refused: keys"
        if problem is not None:
            results[i] = (REFUSED, problem if problem.startswith("refused") else f"refused: {problem}")
            log.warning("push delivery %s (subscription %s) not sent: %s", item.delivery_id,
                        item.subscription_id, problem)
            continue
        scheme, host, port, origin = _parse(item.info["endpoint"])
        lab, port = origin in allowed, port or (80 if scheme == "http" else 443)
        if (host, port, lab) not in looked_up:
            looked_up[host, port, lab] = _resolve(host, port, lab)
        addresses, problem, refused = looked_up[host, port, lab]
        if problem is not None:
            results[i] = (REFUSED if refused else None, problem)
            log.warning("push delivery %s (subscription %s) not sent: %s", item.delivery_id,
                        item.subscription_id, problem)
        else:
            targets[i] = _Target(host, port, addresses, lab)
    return targets


def _open_socket(pinned: dict, key: int, curl_address):
    """libcurl's socket(2): only to an address checked for this transfer, whatever libcurl
    made of the URL (CURLOPT_OPENSOCKETFUNCTION)."""
    family, socktype, protocol, address = curl_address
    try:
        ip = ipaddress.ip_address(str(address[0]).partition("%")[0])
    except ValueError:
        return pycurl.SOCKET_BAD
    if ip not in pinned.get(key, ()):
        log.warning("push: refused a connection to %s, not among the checked addresses", ip)
        return pycurl.SOCKET_BAD
    return socket.socket(family, socktype, protocol)


def _send_all(items: list[Outgoing], cfg) -> list[tuple[int | None, str | None]]:
    """(status, Retry-After or error) per item, in order. libcurl's multi interface (pycurl)
    keeps up to PUSH_CONCURRENCY requests in flight over kept-alive connections for a
    fraction of the CPU a Python HTTP client spends per request; pywebpush encrypts.
    Each item goes only to the addresses its host resolved to and were checked (_targets):
    pinned with CURLOPT_RESOLVE, enforced by the open-socket callback, no redirect, no proxy,
    HTTPS only. An item that cannot be sent (refused, or keys that do not encrypt) gets its
    result without a request and does not stop the others."""
    results: list = [None] * len(items)
    targets = _targets(items, results)
    multi, pinned = pycurl.CurlMulti(), {}
    handles = [pycurl.Curl() for _ in range(min(cfg["PUSH_CONCURRENCY"], len(targets)))]
    for c in handles:
        c.setopt(pycurl.OPENSOCKETFUNCTION, lambda purpose, address, key=id(c): _open_socket(pinned, key, address))
        c.setopt(pycurl.FOLLOWLOCATION, 0)
        c.setopt(pycurl.PROXY, "")  # never through a proxy from the environment: the checked address is the peer
        c.setopt(pycurl.TIMEOUT_MS, int(cfg["PUSH_TIMEOUT"] * 1000))
        c.setopt(pycurl.CAINFO, certifi.where())
        c.setopt(pycurl.WRITEFUNCTION, len)  # the body of the answer is not needed
    free, busy, waiting = list(handles), {}, sorted(targets, reverse=True)

    def start(i: int) -> None:
        item, target, retry_after = items[i], targets[i], {}
        try:
            body = WebPusher(item.info).encode(item.data, "aes128gcm")["body"]
        except Exception as exc:  # noqa: BLE001 - keys stored before they were checked: this item fails alone
            log.warning("push delivery %s not sent: cannot encrypt (%r)", item.delivery_id, exc)
            results[i] = (REFUSED, "refused: keys")
            return
        c = free.pop()
        headers = {**item.headers, "ttl": str(cfg["PUSH_TTL"]), "content-encoding": "aes128gcm",
                   "content-type": "application/octet-stream", "expect": ""}
        c.setopt(pycurl.URL, item.info["endpoint"])
        c.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTPS | (pycurl.PROTO_HTTP if target.lab else 0))
        literal = ":" in target.host or _QUAD.fullmatch(target.host)
        c.setopt(pycurl.RESOLVE, [] if literal else [f"{target.host}:{target.port}:" + ",".join(
            f"[{ip}]" if ip.version == 6 else str(ip) for ip in sorted(target.addresses, key=str))])
        pinned[id(c)] = target.addresses
        c.setopt(pycurl.POSTFIELDS, body)
        c.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in headers.items()])
        c.setopt(pycurl.HEADERFUNCTION, lambda line: _retry_after(line, retry_after))
        busy[id(c)] = (i, retry_after)
        multi.add_handle(c)

    def finish(c, status: int | None, note: str | None) -> None:
        multi.remove_handle(c)
        i, retry_after = busy.pop(id(c))
        pinned.pop(id(c), None)
        results[i] = (status, retry_after.get("seconds") if status else note)
        free.append(c)

    while waiting or busy:
        while waiting and free:
            start(waiting.pop())
        if not busy:
            continue
        while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        finished = 0
        while True:
            queued, done, failed = multi.info_read()
            for c in done:
                finish(c, c.getinfo(pycurl.RESPONSE_CODE), None)
            for c, _, message in failed:
                finish(c, None, message or "network error")
            finished += len(done) + len(failed)
            if not queued:
                break
        if not finished:  # new requests start at once; otherwise wait for a socket
            multi.select(0.5)
    for c in handles:
        c.close()
    multi.close()
    return results


def _retry_after(line: bytes, into: dict) -> None:
    name, _, value = line.partition(b":")
    if name.strip().lower() == b"retry-after":
        into["seconds"] = value.strip().decode("latin-1")


def _claim(now) -> list[Outgoing]:
    """Take the due deliveries (a claim older than CLAIM_SECONDS belonged to a dead worker) and
    read what sending them needs in one query."""
    token = claim_due(PushDelivery, now, BATCH, CLAIM_SECONDS)
    rows = db.session.execute(
        select(PushDelivery.id.label("delivery_id"), PushDelivery.attempts, PushDelivery.subscription_id,
               PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth, Notification.id,
               Notification.kind, Notification.level, Notification.warning_id, Notification.url, User.language)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .join(Notification, Notification.id == PushDelivery.notification_id)
        .join(User, User.id == Notification.user_id)
        .where(PushDelivery.claim == token, PushDelivery.state == "sending")).all()
    if not rows:
        return []
    signer = _signer()
    # A row has the notification's fields by name, which is all payload() and _headers() read.
    # An endpoint stored before endpoints were checked is refused here, before it is parsed for
    # its VAPID audience, and fails alone.
    out = []
    for r in rows:
        refused = endpoint_problem(r.endpoint)
        out.append(Outgoing(r.delivery_id, r.attempts, r.subscription_id,
                            {"endpoint": r.endpoint, "keys": {"p256dh": r.p256dh, "auth": r.auth}}, payload(r, r.language),
                            {} if refused else _headers(r, r.endpoint, signer), refused))
    return out


def _headers(n: Notification, endpoint: str, signer: _Signer) -> dict:
    headers = signer.headers(endpoint)
    headers["urgency"] = "low" if n.kind == "digest" else URGENCY.get(n.level, "normal")
    headers["topic"] = f"w{n.warning_id}" if n.warning_id else f"n{n.id}"  # a newer alert replaces an undelivered one
    return headers


def _outcome(d: Outgoing, status: int | None, note: str | None, now) -> dict:
    """The row's new state for the push service's answer."""
    attempts = d.attempts + 1
    answer = str(status or note)
    if status == REFUSED:  # not sent: the endpoint or keys are refused; the subscription stays
        return _row("failed", attempts, answer, now)
    if status is not None and 200 <= status < 300:
        return _row("sent", attempts, answer, now)
    if status is None or status == 429 or status >= 500:
        backoff = current_app.config["PUSH_BACKOFF"]
        if attempts > len(backoff):
            return _row("failed", attempts, answer, now)
        wait = backoff[attempts - 1]
        if status == 429 and note and note.isdigit():
            wait = max(wait, int(note))  # Retry-After, in seconds
        return _row("due", attempts, answer, now + timedelta(seconds=wait))
    return _row("failed", attempts, answer, now)


def _row(state: str, attempts: int, answer: str, due) -> dict:
    return {"new_state": state, "new_attempts": attempts, "new_status": answer[:32], "new_due": due}


def deliver_due(now=None) -> dict:
    """Send every due delivery; returns counts. Called by the notifications job."""
    totals = {"sent": 0, "retry": 0, "failed": 0, "gone": 0}
    while True:
        now_ = now or clock.now()
        claimed = _claim(now_)
        if not claimed:
            return totals
        results = _send_all(claimed, current_app.config)
        rows, gone = [], set()
        for d, (status, note) in zip(claimed, results, strict=True):
            if status in (404, 410):  # only a push service that was checked and answered says so
                gone.add(d.subscription_id)
            else:
                rows.append({"row_id": d.delivery_id, **_outcome(d, status, note, now_)})
        if rows:
            table = PushDelivery.__table__
            db.session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
                state=bindparam("new_state"), attempts=bindparam("new_attempts"),
                last_status=bindparam("new_status"), due_at=bindparam("new_due"), claim=None), rows)
        sent_subs = {d.subscription_id for d, r in zip(claimed, results, strict=True) if r[0] and 200 <= r[0] < 300}
        if sent_subs:
            db.session.execute(update(PushSubscription).where(PushSubscription.id.in_(sent_subs))
                               .values(last_sent_at=now_))
        for sub_id in gone:
            log.info("push subscription %s is gone (404/410): deleted", sub_id)
            forget(db.session.get(PushSubscription, sub_id))
        db.session.commit()
        for r in rows:
            totals["sent" if r["new_state"] == "sent" else "retry" if r["new_state"] == "due" else "failed"] += 1
            metrics.delivered("webpush", r["new_state"])
        totals["gone"] += len(gone)
        metrics.delivered("webpush", "gone", len(gone))


def next_due():
    """When the earliest waiting delivery is due (for scheduling the next run), or None."""
    return db.session.scalar(select(PushDelivery.due_at).where(PushDelivery.state == "due")
                             .order_by(PushDelivery.due_at).limit(1))
