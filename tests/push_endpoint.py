"""A real Web Push service on loopback, for tests and bench/push.py.

It checks what a browser vendor's push service checks — the VAPID JWT (signature with the
key in `k`, `aud` = this origin, `exp` in the next 24 hours, `sub` a mailto: or https: URL),
a TTL header, aes128gcm encoding — and, knowing each test subscription's private key, it
decrypts the body as the phone would. Scripted answers (404, 410, 413, 429, 500, "hang")
drive the sender's error paths.
"""
import argparse
import asyncio
import base64
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushEndpoint:
    def __init__(self, latency: float = 0.0, hang_seconds: float = 5.0, accept_any: bool = False):
        self.latency, self.hang_seconds, self.accept_any = latency, hang_seconds, accept_any
        self.devices: dict[str, tuple] = {}  # device id → (private key, auth secret)
        self.script: dict[str, list] = {}  # device id → answers to give, in order
        self.received: list[dict] = []  # every message accepted, decrypted
        self.refused: list[str] = []  # why a request failed validation
        self.count = 0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = endpoint.handle(self.path.rsplit("/", 1)[-1], dict(self.headers), body)
                self.send_response(status)
                if status == 429:
                    self.send_header("retry-after", "0")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def subscription(self, answers=()) -> dict:
        """A new device's PushSubscription.toJSON(); `answers` script its first responses."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        device = _b64(os.urandom(9))
        self.devices[device] = (key, auth)
        self.script[device] = list(answers)
        public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{device}", "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}

    def _refuse(self, why: str) -> int:
        with self.lock:
            self.refused.append(why)
        return 400

    def handle(self, device: str, headers: dict, body: bytes) -> int:
        headers = {k.lower(): v for k, v in headers.items()}
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            answer = self.script.get(device, []).pop(0) if self.script.get(device) else None
        if answer == "hang":
            time.sleep(self.hang_seconds)
            return 201
        if answer:
            return answer
        why = check(headers, self.origin)
        if why:
            return self._refuse(why)
        if device not in self.devices:
            if not self.accept_any:
                return 404
            with self.lock:
                self.count += 1
            return 201
        key, auth = self.devices[device]
        try:
            plain = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        except Exception as exc:  # noqa: BLE001 - any failure to decrypt is the sender's bug
            return self._refuse(f"decrypt: {exc!r}")
        with self.lock:
            self.count += 1
            self.received.append({"device": device, "headers": headers, "payload": json.loads(plain),
                                  "size": len(plain)})
        return 201


def check(headers: dict, origin: str) -> str | None:
    """Why a push service would refuse the request, or None."""
    auth = headers.get("authorization", "")
    if not auth.startswith("vapid "):
        return "no VAPID authorization"
    try:
        if not Vapid02.verify(auth):
            return "bad VAPID signature"
    except Exception as exc:  # noqa: BLE001
        return f"bad VAPID header: {exc!r}"
    token = dict(part.split("=", 1) for part in auth[6:].split(","))["t"]
    claims = json.loads(_unb64(token.split(".")[1]))
    if claims.get("aud") != origin:
        return f"aud {claims.get('aud')} is not {origin}"
    if not time.time() < claims.get("exp", 0) <= time.time() + 86400:
        return "exp not within 24 hours"
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        return "sub is not mailto: or https:"
    if int(headers.get("ttl", "0")) <= 0:
        return "TTL missing or 0"
    if headers.get("content-encoding") != "aes128gcm":
        return "not aes128gcm"
    return None


def main():
    """Serve for bench/push.py on aiohttp (a thread per connection would measure this server,
    not the sender): VAPID checked on every message, bodies not decrypted (the bench's devices
    keep no private keys here). Prints the origin, then the counts on SIGTERM."""
    from aiohttp import web

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    origin, counts, refused = [None], {"accepted": 0}, []

    async def receive(request):
        await request.read()
        await asyncio.sleep(args.latency)
        why = check({k.lower(): v for k, v in request.headers.items()}, origin[0])
        if why:
            refused.append(why)
            return web.Response(status=400)
        counts["accepted"] += 1
        return web.Response(status=201)

    async def run():
        app = web.Application()
        app.router.add_post("/push/{device}", receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        origin[0] = f"http://127.0.0.1:{port}"
        print(origin[0], flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        print(json.dumps({**counts, "refused": len(refused), "why": refused[:3]}), flush=True)

    asyncio.run(run())


if __name__ == "__main__":
    main()
