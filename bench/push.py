"""Web Push fan-out: the notifications job's delivery path against a push service with latency.

    .venv/bin/python bench/push.py                    # 10000 messages, 50 ms per request
    .venv/bin/python bench/push.py --messages 2000

Starts tests/push_endpoint.py in its own process (it checks every VAPID JWT and answers after
`--latency`), builds N devices with one red alert each in a fresh SQLite database, and times
notify/push.py.deliver_due() — claim, encrypt, sign, send concurrently, record each answer —
exactly as the RQ job runs it. In the same run it times the bare cryptography the sender really
does per message: aes128gcm payload encryption with pywebpush, and a VAPID signature with py_vapid
amortised as the sender amortises it (one per push-service origin, reused for 12 hours:
backend/notify/push.py `_Signer`; here every device is on one origin, so one signature for the
run), and prints CPU per delivered message as a ratio to it. Signing per message, as an earlier
baseline did, is printed for comparison; it inflated the denominator. The last line is one JSON object.
"""
import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from py_vapid import Vapid  # noqa: E402
from pywebpush import WebPusher  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from backend import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import Notification, PushDelivery, PushSubscription, User  # noqa: E402
from backend.notify import push  # noqa: E402


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def start_endpoint(latency: float):
    proc = subprocess.Popen([sys.executable, "-m", "tests.push_endpoint", "--latency", str(latency)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def build(n: int, origin: str) -> dict:
    """n staff users, one device and one red alert each, all due now."""
    key = ec.generate_private_key(ec.SECP256R1())
    p256dh = b64(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    auth = b64(os.urandom(16))
    db.session.execute(insert(User), [{"id": i, "username": f"B{i:06d}", "display_name": f"教师{i}", "password_hash": "x",
                                       "must_change_password": False} for i in range(1, n + 1)])
    db.session.execute(insert(PushSubscription), [{"id": i, "user_id": i, "endpoint": f"{origin}/push/dev{i}",
                                                   "p256dh": p256dh, "auth": auth, "enabled": True} for i in range(1, n + 1)])
    db.session.execute(insert(Notification), [{"id": i, "user_id": i, "kind": "warning", "level": "red",
                                               "title": "bench", "body": "", "url": f"/#/warnings/{i}", "push": "now"}
                                              for i in range(1, n + 1)])
    db.session.execute(insert(PushDelivery), [{"notification_id": i, "subscription_id": i, "state": "due"}
                                              for i in range(1, n + 1)])
    db.session.commit()
    return {"endpoint": f"{origin}/push/dev0", "keys": {"p256dh": p256dh, "auth": auth}}


def crypto_per_message(info: dict, body: bytes, samples: int, origins: int) -> tuple[float, float]:
    """CPU seconds per message for the bare work every push must do: encrypt each message, sign one
    VAPID JWT per push-service origin (the sender's amortisation); and, for comparison, with a
    signature per message."""
    vapid = Vapid()
    vapid.generate_keys()
    claims = lambda: {"sub": "mailto:bench@example.edu.cn", "aud": "http://127.0.0.1",  # noqa: E731
                      "exp": int(time.time()) + 12 * 3600}
    started = time.process_time()
    for _ in range(samples):
        WebPusher(info).encode(body, "aes128gcm")
    for _ in range(origins):
        vapid.sign(claims())
    amortised = (time.process_time() - started) / samples
    started = time.process_time()
    for _ in range(min(samples, 1000)):
        vapid.sign(claims())
    return amortised, amortised + (time.process_time() - started) / min(samples, 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the push service takes to answer")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="spiral-push-")
    proc, origin = start_endpoint(args.latency)
    app = create_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance}/bench.db", INSTANCE_PATH=instance,
                     REDIS_URL="",
                     PUSH_ALLOWED_ORIGINS=(origin,))  # the loopback push service: a lab allowance
    try:
        with app.app_context():
            upgrade()
            push.generate_keys()
            info = build(args.messages, origin)
            body = push.payload(db.session.get(Notification, 1))
            cpu, wall = time.process_time(), time.perf_counter()
            totals = push.deliver_due()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            origins = len({urlparse(e).netloc for e in db.session.scalars(select(PushSubscription.endpoint))})
            crypto, signing_each = crypto_per_message(info, body, args.messages, origins)
    finally:
        proc.send_signal(signal.SIGTERM)
        endpoint = json.loads(proc.stdout.readline() or "{}")
        proc.wait()
    delivered = totals["sent"]
    per_message = cpu / max(delivered, 1)
    print(f"messages            {args.messages} (payload {len(body)} B, {app.config['PUSH_CONCURRENCY']} in flight, "
          f"{args.latency * 1000:.0f} ms latency)")
    print(f"delivered / failed  {delivered} / {totals['failed'] + totals['retry'] + totals['gone']}   "
          f"(push service accepted {endpoint.get('accepted')}, refused {endpoint.get('refused')})")
    print(f"wall                {wall:.2f} s   → {delivered / wall:.0f} messages/s")
    print(f"CPU per message     {per_message * 1000:.3f} ms (claim, encrypt, sign, send, record)")
    print(f"bare crypto         {crypto * 1000:.3f} ms (aes128gcm encryption each; {origins} VAPID signature(s), "
          "one per push-service origin, as the sender signs)")
    print(f"CPU vs crypto       {per_message / crypto:.2f}   (against a signature per message: "
          f"{per_message / signing_each:.2f}, the old, flattering baseline)")
    print(json.dumps({"msgs_per_s": round(delivered / wall, 1), "cpu_vs_crypto": round(per_message / crypto, 2),
                      "cpu_vs_crypto_signing_each": round(per_message / signing_each, 2),
                      "delivered": delivered, "failed": totals["failed"] + totals["retry"] + totals["gone"]}))


if __name__ == "__main__":
    main()
