"""Real Redis and PostgreSQL servers for the tests, on free loopback ports.

Each runs in a temporary directory and stops when the test session ends.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
"""
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


class RedisServer:
    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run ./scripts/test.sh, which installs it")
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="spiral-redis-")
        self.port = free_port()
        self.proc = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, "redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL not found: run ./scripts/test.sh, which installs it")
    return os.path.dirname(os.path.realpath(initdb))


class PostgresServer:
    USER = "spiral"

    def __init__(self, data_from: str | None = None):
        """A new cluster, or (data_from) one started from a copy of a stopped cluster's data directory
        (the benchmarks keep their generated term so; bench/generate.py)."""
        bindir = _pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="spiral-pg-")
        self.port = free_port()
        as_postgres = os.geteuid() == 0
        if as_postgres:
            shutil.chown(self.dir, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        data = os.path.join(self.dir, "data")
        self.bindir, self.prefix, self.data = bindir, prefix, data
        if data_from:
            shutil.copytree(data_from, data, symlinks=True)
            if as_postgres:
                subprocess.run(["chown", "-R", "postgres", data], check=True)
        else:
            subprocess.run(prefix + [f"{bindir}/initdb", "-D", data, "-U", self.USER, "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL)
        self.start()

    def start(self) -> None:
        """Start the server (again, after stop(): same data, same port)."""
        self.proc = subprocess.Popen(
            self.prefix + [f"{self.bindir}/postgres", "-D", self.data, "-p", str(self.port), "-h", "127.0.0.1",
                           "-k", self.dir, "-c", "fsync=off", "-c", "synchronous_commit=off",
                           "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, "postgres")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.USER}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """A fast, clean shutdown (pg_ctl: runuser does not pass SIGINT on): the data directory can then be copied."""
        if self.proc.poll() is None:
            subprocess.run(self.prefix + [f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"],
                           check=True, stdout=subprocess.DEVNULL)
            self.proc.wait(60)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)
