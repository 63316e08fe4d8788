"""Push goes only to push services (issue 18): a subscription endpoint is https on a public
address without credentials, its keys a P-256 point and a 16-byte secret; the worker checks the
address again after resolving the name, pins libcurl to it, follows no redirect, and never opens a
connection to a refused address — shown with loopback listeners that count every connection.
One bad subscription fails only its own delivery and is never deleted for a refused address."""
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import PushDelivery, PushSubscription, User
from backend.notify import notifications, push
from tests.helpers import assert_problem, build_college, login
from tests.push_endpoint import PushEndpoint


class Listener:
    """A TCP server on loopback that counts connections and answers each with `answer`
    (a 410 by default: the answer that would delete a subscription, had the worker asked)."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1",
                 answer=b"HTTP/1.1 410 Gone\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port, self.connections, self.answer = self.sock.getsockname()[1], 0, answer
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            try:
                conn.settimeout(1)
                conn.recv(65536)
                conn.sendall(self.answer)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def listener6():
    try:
        server = Listener(socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    yield server
    server.close()


@pytest.fixture
def endpoint(app):
    server = PushEndpoint()
    app.config["PUSH_ALLOWED_ORIGINS"] = (server.origin,)  # the test-only allowance, exact origin
    yield server
    server.close()


@pytest.fixture
def keys(app, runner):
    app.config.update(PUSH_BACKOFF=(0, 0, 0, 0))
    path = os.path.join(app.config["INSTANCE_PATH"], "vapid.json")
    made = not os.path.exists(path)
    assert runner.invoke(args=["push", "keys"]).exit_code == 0
    yield
    if made:  # the instance folder outlives the test: leave it without keys, as found
        os.unlink(path)


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolved by the test: name → addresses; every other name goes to the real resolver."""
    table: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port, 0, 0) if ":" in a else (a, port)) for a in table[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


def _user() -> int:
    user = User(username="T-PUSH", display_name="推送", password_hash="x", must_change_password=False)
    db.session.add(user)
    db.session.commit()
    return user.id


def _stored(user_id: int, endpoint: str, keys: dict, device: str) -> PushSubscription:
    """A row as stored before subscriptions were checked: straight into the table."""
    sub = PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"], device=device)
    db.session.add(sub)
    db.session.commit()
    return sub


def _send(user_id: int) -> dict:
    notifications.send([user_id], kind="warning", level="red", title="t", body="b", url="/#/inbox")
    db.session.commit()
    return push.deliver_due()


def _outcome() -> dict:
    return {d.subscription.device: (d.state, d.last_status) for d in db.session.scalars(select(PushDelivery))}


# --- subscribe time -------------------------------------------------------------------------

REFUSED_ENDPOINTS = [
    "http://push.example.com/x",  # not https
    "ftp://push.example.com/x",
    "https://user:pass@push.example.com/x",  # credentials
    "https://user@push.example.com/x",
    "https://127.0.0.1/x",  # loopback, in every spelling libcurl and browsers accept
    "https://127.0.0.1:6379/x",
    "https://[::1]/x",
    "https://0x7f000001/x",
    "https://2130706433/x",
    "https://017700000001/x",
    "https://0177.0.0.1/x",
    "https://127.1/x",
    "https://0x7f.0.0.1/x",
    "https://127.0.0.1./x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[::ffff:7f00:1]/x",
    "https://[2002:7f00:1::1]/x",  # 6to4 around 127.0.0.1
    "https://10.1.2.3/x",  # private, shared, link-local, metadata, unspecified, multicast
    "https://172.16.0.1/x",
    "https://192.168.1.1/x",
    "https://100.64.0.1/x",
    "https://169.254.169.254/latest/meta-data/",
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",
    "https://[fe80::1]/x",
    "https://[fc00::1]/x",
    "https://localhost/x",  # names that are never a push service's
    "https://push.localhost/x",
    "https://redis/x",
    "https://push.example.com/" + "x" * 1024,  # too long
    "https://[v1.push.example.com]/x",  # brackets hold an IPv6 address only
    "https://push.example.com:0/x",
]


@pytest.fixture
def head(app, client, keys):
    college = build_college(students=10)
    return login(client, college["head_teacher"])


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(PushSubscription))


def test_subscribe_refuses_every_endpoint_that_is_not_a_public_https_push_service(client, head, endpoint):
    good = endpoint.subscription()
    for url in REFUSED_ENDPOINTS:
        response = client.post("/api/v1/push/subscriptions", headers=head, json={**good, "endpoint": url})
        body = assert_problem(response, 422)
        assert set(body["errors"]) == {"endpoint"}, (url, body)
    assert _count() == 0
    # Real push services pass (no DNS lookup at subscribe time: the worker resolves and checks).
    for url in ("https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b", "https://updates.push.services.mozilla.com/wpush/v2/gAAA",
                "https://web.push.apple.com/QGx1Y2sK", "https://db5p.notify.windows.com/w/?token=AwYAAAB",
                "https://8.8.8.8/x", "https://[2001:4860:4860::8888]/x"):
        assert client.post("/api/v1/push/subscriptions", headers=head, json={**good, "endpoint": url}).status_code == 201
    assert _count() == 6


def test_the_test_allowance_is_one_exact_origin(app, client, head, endpoint):
    good = endpoint.subscription()
    assert client.post("/api/v1/push/subscriptions", headers=head, json=good).status_code == 201
    port = int(endpoint.origin.rsplit(":", 1)[1])
    for url in (f"http://127.0.0.1:{port + 1}/push/x", f"https://127.0.0.1:{port}/push/x", f"http://localhost:{port}/push/x",
                f"http://u:p@127.0.0.1:{port}/push/x"):
        assert set(assert_problem(client.post("/api/v1/push/subscriptions", headers=head,
                                              json={**good, "endpoint": url}), 422)["errors"]) == {"endpoint"}, url
    app.config["PUSH_ALLOWED_ORIGINS"] = ()  # the default: production has no allowance
    other = endpoint.subscription()
    assert "endpoint" in assert_problem(client.post("/api/v1/push/subscriptions", headers=head, json=other), 422)["errors"]
    assert _count() == 1


def test_subscribe_checks_the_keys_as_a_p256_point_and_a_16_byte_secret(client, head, endpoint):
    good = endpoint.subscription()
    p256dh, auth = good["keys"]["p256dh"], good["keys"]["auth"]
    off_curve = "BA" + "A" * 85  # 0x04 then zeros: right length, not a point on P-256
    compressed = "Aw" + p256dh[2:44]  # 33 bytes
    for bad in ("B" * 87, off_curve, compressed, p256dh[:-4], p256dh + "AAAA", p256dh[:-1] + "!", "", "x" * 200):
        response = client.post("/api/v1/push/subscriptions", headers=head, json={**good, "keys": {"p256dh": bad, "auth": auth}})
        assert set(assert_problem(response, 422)["errors"]) == {"keys.p256dh"}, bad
    for bad in ("A" * 22 + "AA", "A" * 20, "A" * 23, "A" * 21 + "*", "A" * 16, ""):
        response = client.post("/api/v1/push/subscriptions", headers=head, json={**good, "keys": {"p256dh": p256dh, "auth": bad}})
        assert set(assert_problem(response, 422)["errors"]) == {"keys.auth"}, bad
    both = client.post("/api/v1/push/subscriptions", headers=head,
                       json={"endpoint": "https://10.0.0.1/x", "keys": {"p256dh": "B" * 87, "auth": "A"}})
    assert set(assert_problem(both, 422)["errors"]) == {"endpoint", "keys.p256dh", "keys.auth"}
    assert _count() == 0
    padded = {"p256dh": p256dh + "=", "auth": auth + "=="}  # base64url with padding is the same key
    assert client.post("/api/v1/push/subscriptions", headers=head, json={**good, "keys": padded}).status_code == 201


# --- send time ------------------------------------------------------------------------------

def test_the_worker_never_connects_to_a_refused_address(app, keys, endpoint, listener, listener6, fake_dns):
    """Rows stored before endpoints were checked, names whose DNS now points inside: each delivery
    fails without a connection (the 410 the listeners would answer never deletes anything), and
    the good device in the same batch gets its message."""
    port, port6 = listener.port, listener6.port
    fake_dns.update({"rebound.example.com": ["127.0.0.1"], "inside.example.com": ["10.0.0.7"],
                     "metadata.example.com": ["169.254.169.254"], "mixed.example.com": ["8.8.8.8", "127.0.0.1"],
                     "mapped.example.com": ["::ffff:127.0.0.1"], "six.example.com": ["::1"]})
    me, good = _user(), endpoint.subscription()
    refused = {
        "http-loopback": f"http://127.0.0.1:{port}/x", "https-loopback": f"https://127.0.0.1:{port}/x",
        "hex": f"https://0x7f000001:{port}/x", "decimal": f"https://2130706433:{port}/x",
        "octal": f"https://017700000001:{port}/x", "short": f"https://127.1:{port}/x",
        "localhost": f"https://localhost:{port}/x", "ipv6": f"https://[::1]:{port6}/x",
        "ftp": f"ftp://127.0.0.1:{port}/x", "credentials": f"https://u:p@127.0.0.1:{port}/x",
        "rebound": f"https://rebound.example.com:{port}/x", "inside": f"https://inside.example.com:{port}/x",
        "metadata": f"https://metadata.example.com:{port}/x", "mixed": f"https://mixed.example.com:{port}/x",
        "mapped": f"https://mapped.example.com:{port6}/x", "six": f"https://six.example.com:{port6}/x",
        "allowed-port-other": f"http://127.0.0.1:{port}/push/x",  # the allowance is the endpoint's port only
    }
    for device, url in refused.items():
        _stored(me, url, good["keys"], device)
    _stored(me, good["endpoint"], good["keys"], "good")

    totals = _send(me)
    assert listener.connections == 0 and listener6.connections == 0
    assert totals == {"sent": 1, "retry": 0, "failed": len(refused), "gone": 0}
    outcome = _outcome()
    assert outcome.pop("good") == ("sent", "201") and len(endpoint.received) == 1
    assert all(state == "failed" and status.startswith("refused") for state, status in outcome.values()), outcome
    assert {s.device for s in db.session.scalars(select(PushSubscription))} == {*refused, "good"}  # none deleted
    assert push.deliver_due() == {"sent": 0, "retry": 0, "failed": 0, "gone": 0}  # refused for good, not retried


def test_the_address_is_checked_after_resolution_at_send_time(app, client, keys, endpoint, listener, fake_dns):
    """A name that was public when the device subscribed and points inside when the worker sends."""
    fake_dns["push.example.com"] = ["8.8.8.8"]
    college = build_college(students=10)
    head = login(client, college["head_teacher"])
    good = endpoint.subscription()
    url = f"https://push.example.com:{listener.port}/push/device"
    assert client.post("/api/v1/push/subscriptions", headers=head, json={**good, "endpoint": url}).status_code == 201
    fake_dns["push.example.com"] = ["10.0.0.7", "127.0.0.1"]
    me = db.session.scalar(select(User.id).where(User.username == college["head_teacher"]["username"]))
    totals = _send(me)
    assert totals["failed"] == 1 and totals["gone"] == 0 and listener.connections == 0
    (state, status), = _outcome().values()
    assert state == "failed" and status.startswith("refused: push.example.com")
    assert _count() == 1


def test_libcurl_connects_only_to_the_checked_addresses(app, keys, endpoint, listener, monkeypatch):
    """The last guard, for anything libcurl might make of a URL that the check did not: the
    open-socket callback refuses every address that was not checked for that transfer."""
    me, good = _user(), endpoint.subscription()
    _stored(me, f"http://127.0.0.1:{listener.port}/x", good["keys"], "elsewhere")
    real = push._resolve  # as if the check had been fooled: it says the listener's host is 8.8.8.8
    monkeypatch.setattr(push, "_resolve", lambda host, port, lab: (
        frozenset({push.ipaddress.ip_address("8.8.8.8")}), None, False) if port == listener.port else real(host, port, lab))
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_ORIGINS", (endpoint.origin, f"http://127.0.0.1:{listener.port}"))
    monkeypatch.setitem(app.config, "PUSH_BACKOFF", (600,))
    totals = _send(me)
    assert listener.connections == 0 and totals["retry"] == 1 and totals["gone"] == 0


def test_redirects_are_not_followed(app, keys, listener):
    endpoint_stub = PushEndpoint.__new__(PushEndpoint)  # only for its keys
    endpoint_stub.devices, endpoint_stub.script, endpoint_stub.origin = {}, {}, ""
    """A push service answering 307 to an inside address: the answer fails the delivery, the
    redirect is never followed."""
    class Redirect(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(307)
            self.send_header("location", f"http://127.0.0.1:{listener.port}/x")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{server.server_port}"
        app.config["PUSH_ALLOWED_ORIGINS"] = (origin,)
        me = _user()
        _stored(me, f"{origin}/push/r", PushEndpoint.subscription(endpoint_stub)["keys"], "redirected")
        totals = _send(me)
    finally:
        server.shutdown()
    assert listener.connections == 0 and totals == {"sent": 0, "retry": 0, "failed": 1, "gone": 0}
    assert _outcome() == {"redirected": ("failed", "307")}


def test_one_bad_subscription_fails_only_its_own_delivery(app, keys, endpoint, monkeypatch):
    """Junk keys stored before keys were checked: that device's delivery fails, every other
    device in the batch gets its message, and the junk row is kept (it is not 'gone')."""
    me = _user()
    for n in range(3):
        sub = endpoint.subscription()
        _stored(me, sub["endpoint"], sub["keys"], f"good{n}")
    junk = endpoint.subscription()
    _stored(me, junk["endpoint"], {"p256dh": "B" * 87, "auth": "A" * 22}, "junk")
    totals = _send(me)
    assert totals == {"sent": 3, "retry": 0, "failed": 1, "gone": 0}
    assert len(endpoint.received) == 3 and endpoint.refused == []
    assert _outcome()["junk"] == ("failed", "refused: keys")
    assert _count() == 4

    # Keys that pass the check and still fail to encrypt: again only their own delivery.
    monkeypatch.setattr(push, "keys_problems", lambda keys: {})
    totals = _send(me)
    assert totals == {"sent": 3, "retry": 0, "failed": 1, "gone": 0} and len(endpoint.received) == 6


def test_a_failed_lookup_is_retried_not_refused(app, keys, endpoint, fake_dns, monkeypatch):
    real = socket.getaddrinfo

    def failing(host, *args, **kwargs):
        if host == "down.example.com":
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    monkeypatch.setitem(app.config, "PUSH_BACKOFF", (600,))
    me, good = _user(), endpoint.subscription()
    _stored(me, "https://down.example.com/push/x", good["keys"], "down")
    assert _send(me) == {"sent": 0, "retry": 1, "failed": 0, "gone": 0}
    state, status = _outcome()["down"]
    assert state == "due" and status.startswith("dns:") and _count() == 1


def test_a_name_is_sent_to_the_address_it_was_checked_at(app, keys, endpoint, fake_dns):
    """libcurl does no lookup of its own: it connects to the addresses the worker resolved and
    checked (CURLOPT_RESOLVE), IPv4 and IPv6 alike. Shown with names only the test's resolver
    knows, on a lab allowance (the addresses are loopback)."""
    created = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    four = Listener(answer=created)
    try:
        six = Listener(socket.AF_INET6, "::1", answer=created)
    except OSError:
        six = None
    try:
        fake_dns.update({"four.push.test": ["127.0.0.1"], "six.push.test": ["::1"]})
        origins = [f"http://four.push.test:{four.port}"] + ([f"http://six.push.test:{six.port}"] if six else [])
        app.config["PUSH_ALLOWED_ORIGINS"] = tuple(origins)
        me, good = _user(), endpoint.subscription()
        for n, origin in enumerate(origins):
            _stored(me, f"{origin}/push/{n}", good["keys"], origin)
        assert _send(me) == {"sent": len(origins), "retry": 0, "failed": 0, "gone": 0}
        assert four.connections == 1 and (six is None or six.connections == 1)
    finally:
        four.close()
        if six:
            six.close()
