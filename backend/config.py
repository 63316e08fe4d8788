"""One configuration class, read from the environment (12-factor)."""
import json
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instance_secrets(instance: Path) -> dict:
    """Secrets made once per installation into instance/secrets.json (git-ignored).

    Generated rather than defaulted so that no two installations share a key
    and none is ever committed.
    """
    path = instance / "secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    instance.mkdir(parents=True, exist_ok=True)
    values = {"SECRET_KEY": secrets.token_urlsafe(48), "JWT_SECRET_KEY": secrets.token_urlsafe(48)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(values, f)
    return values


class Config:
    def __init__(self, instance_path: str, **overrides):
        env = os.environ
        instance = Path(overrides.pop("INSTANCE_PATH", None) or env.get("SPIRAL_INSTANCE") or instance_path)
        generated = _instance_secrets(instance)
        self.INSTANCE_PATH = str(instance)
        self.SECRET_KEY = env.get("SECRET_KEY") or generated["SECRET_KEY"]
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY") or generated["JWT_SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"), instance)
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        # Workers: how often one looks for jobs abandoned by a dead worker, and how long an
        # idle worker waits on Redis between looks. RQ counts a job abandoned 60 s past its
        # timeout, so a job killed with its worker is retried within timeout + 60 + maintenance
        # interval + (worker TTL - 15) seconds (jobs/worker.make_worker).
        self.JOBS_MAINTENANCE_SECONDS = int(env.get("JOBS_MAINTENANCE_SECONDS", 60))
        self.JOBS_WORKER_TTL = int(env.get("JOBS_WORKER_TTL", 60))
        # H1 outbox (platform/outbox.py). REDIS_URL set to "" means no Redis at all: jobs run inline
        # after each commit (the embedded default without redis-server). A configured Redis that is
        # down never runs jobs inline: they wait in the outbox table for the relay.
        # The relay looks for rows this often when no write wakes it (seconds).
        self.RELAY_POLL_SECONDS = float(env.get("RELAY_POLL_SECONDS", 0.5))
        # A relayed row whose job has not finished after its timeout for every try plus its backoffs
        # plus this margin is relayed again (the job was lost with Redis). The margin covers RQ's
        # own retry of a dead worker's job (60 s past the timeout, plus a maintenance pass).
        self.OUTBOX_STALE_MARGIN_SECONDS = int(env.get("OUTBOX_STALE_MARGIN_SECONDS", 180))
        self.SCHOOL_TZ = env.get("SCHOOL_TZ", "Asia/Shanghai")
        # Where the clock starts (ISO 8601 with offset); unset, it is the real time. Drills and the
        # tests' worker processes set it so every process agrees on the date (platform/clock.py).
        self.CLOCK_START = env.get("SPIRAL_CLOCK_START")
        # Argon2id cost: OWASP's minimum (19 MiB, t=2, p=1), about 25 ms of one core, so a term-start
        # wave of 1,000 first logins takes ~12 s on 2 cores (RFC 9106's 64 MiB, t=3 took ~100 s).
        # Hashes made with other values are re-made at the next login (auth/passwords.check).
        # Tests lower the cost through the environment to stay fast.
        self.ARGON2_MEMORY_KIB = int(env.get("ARGON2_MEMORY_KIB", 19456))
        self.ARGON2_TIME_COST = int(env.get("ARGON2_TIME_COST", 2))
        self.ARGON2_PARALLELISM = int(env.get("ARGON2_PARALLELISM", 1))

        # Tokens: a short-lived access token kept in the PWA's memory; the refresh
        # token lives in an HttpOnly SameSite cookie scoped to the auth routes,
        # with the double-submit CSRF header that flask-jwt-extended checks.
        self.JWT_TOKEN_LOCATION = ["headers", "cookies"]
        self.JWT_ACCESS_TOKEN_EXPIRES = int(env.get("JWT_ACCESS_MINUTES", 15)) * 60
        self.JWT_REFRESH_TOKEN_EXPIRES = int(env.get("JWT_REFRESH_DAYS", 14)) * 86400
        self.JWT_REFRESH_COOKIE_PATH = "/api/v1/auth/"
        self.JWT_REFRESH_CSRF_COOKIE_PATH = "/"
        self.JWT_COOKIE_SAMESITE = "Strict"
        self.JWT_COOKIE_SECURE = env.get("COOKIE_SECURE", "0") == "1"
        self.JWT_COOKIE_CSRF_PROTECT = True
        self.JWT_SESSION_COOKIE = False

        # Login throttling (see auth/throttle.py for why these shapes). LOGIN_MAX_PER_IP is a
        # ceiling that only slows an address: past it, an unknown client there gets
        # LOGIN_MAX_PER_IP_ACCOUNT failures per account; no account it did not attack is refused.
        self.LOGIN_WINDOW_SECONDS = int(env.get("LOGIN_WINDOW_SECONDS", 900))
        self.LOGIN_MAX_PER_ACCOUNT = int(env.get("LOGIN_MAX_PER_ACCOUNT", 5))
        self.LOGIN_MAX_PER_DEVICE = int(env.get("LOGIN_MAX_PER_DEVICE", 10))
        self.LOGIN_MAX_PER_IP = int(env.get("LOGIN_MAX_PER_IP", 100))
        self.LOGIN_MAX_PER_IP_ACCOUNT = int(env.get("LOGIN_MAX_PER_IP_ACCOUNT", 2))
        # How many reverse proxies in front of the app append to X-Forwarded-For (the production
        # shape, one TLS proxy: 1). 0 trusts no header: the client is the TCP peer.
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", 0))

        # Housekeeping (platform/housekeeping.py, every six hours): rows kept this many days, then deleted.
        # Idempotency records: a replay after its record is gone would count the write twice. The
        # PWA outbox gives up on a write after 7 days, timed by the phone's clock, which can be
        # wrong by days; 30 leaves that margin many times over for rows of a few hundred bytes.
        self.RETENTION_IDEMPOTENCY_DAYS = int(env.get("RETENTION_IDEMPOTENCY_DAYS", 30))
        # Failed logins: the throttle reads only LOGIN_WINDOW_SECONDS back (never less is kept);
        # the rest is there to look into a guessing campaign afterwards.
        self.RETENTION_LOGIN_FAILURE_DAYS = int(env.get("RETENTION_LOGIN_FAILURE_DAYS", 30))
        # Login sessions, counted from when they expired or were revoked (whichever came first):
        # after that their tokens are refused anyway, and a deleted session reads as revoked.
        self.RETENTION_SESSION_DAYS = int(env.get("RETENTION_SESSION_DAYS", 30))

        # Web Push (services/push.py). Keys come from the environment or `flask push keys`.
        self.VAPID_PRIVATE_KEY = env.get("VAPID_PRIVATE_KEY")
        self.VAPID_PUBLIC_KEY = env.get("VAPID_PUBLIC_KEY")
        self.VAPID_SUBJECT = env.get("VAPID_SUBJECT", "mailto:it@example.edu.cn")
        self.PUSH_TIMEOUT = float(env.get("PUSH_TIMEOUT", 10))  # seconds per request to a push service
        self.PUSH_TTL = int(env.get("PUSH_TTL", 86400))  # a phone offline for a day still gets it
        self.PUSH_BACKOFF = (10, 60, 300, 1800)  # seconds before each retry of 429, 5xx, timeouts
        self.PUSH_CONCURRENCY = int(env.get("PUSH_CONCURRENCY", 64))
        self.PUSH_DAILY_BUDGET = int(env.get("PUSH_DAILY_BUDGET", 6))  # non-red pushes a day; the rest wait for the digest
        # Issue 20, teacher warnings (alerts/teacher_warnings.py): a teacher indicator past its stage
        # standard's warning value for this many days in a row tells the department admin. Four weeks:
        # a term's figures move week by week, and one bad fortnight (an exam block, a sick leave) is
        # the teacher's own nudge to act on, not yet the department's business.
        self.TEACHER_WARNING_AFTER_DAYS = int(env.get("TEACHER_WARNING_AFTER_DAYS", 28))
        # Test and lab setting only, empty in production: origins (scheme://host:port, exact, comma
        # separated) of a local push service that may be plain http on a loopback or private address.
        # Every other endpoint must be https on a public address (notify/push.py).
        self.PUSH_ALLOWED_ORIGINS = tuple(o.strip() for o in env.get("PUSH_ALLOWED_ORIGINS", "").split(",") if o.strip())

        # Mass events (alerts/incidents.py): one write (a closed session, a correction of marks, a
        # ledger batch or scoring-sheet import) that puts at least INCIDENT_SHARE of a class and at
        # least INCIDENT_MIN_STUDENTS students past a line at once is one incident for the scorer and
        # the head teacher, not a warning per student. Half a class: a real bad week rarely reaches
        # it, a forgotten check-in code or a batch in the wrong class always does; the minimum keeps
        # a tiny class's two absentees ordinary. Its student warnings wait for a decision, or
        # INCIDENT_DEADLINE_HOURS (a school day and a night to look), then come through.
        self.INCIDENT_SHARE = float(env.get("INCIDENT_SHARE", 0.5))
        self.INCIDENT_MIN_STUDENTS = int(env.get("INCIDENT_MIN_STUDENTS", 5))
        self.INCIDENT_DEADLINE_HOURS = int(env.get("INCIDENT_DEADLINE_HOURS", 24))
        # A student may dispute an attendance mark for this many days after its session (issue 20).
        self.ATTENDANCE_DISPUTE_DAYS = int(env.get("ATTENDANCE_DISPUTE_DAYS", 14))
        # WeCom (企业微信) application messages and DingTalk (钉钉) work notifications (notify/channels):
        # the app's credentials from here, or set by the school admin in the app (stored encrypted;
        # a value set there wins). A channel sends only when its id, secret and agent id are all known.
        self.WECOM_CORP_ID = env.get("WECOM_CORP_ID", "")
        self.WECOM_SECRET = env.get("WECOM_SECRET", "")
        self.WECOM_AGENT_ID = env.get("WECOM_AGENT_ID", "")
        self.WECOM_API_BASE = env.get("WECOM_API_BASE", "https://qyapi.weixin.qq.com")
        self.DINGTALK_APP_KEY = env.get("DINGTALK_APP_KEY", "")
        self.DINGTALK_APP_SECRET = env.get("DINGTALK_APP_SECRET", "")
        self.DINGTALK_AGENT_ID = env.get("DINGTALK_AGENT_ID", "")
        self.DINGTALK_API_BASE = env.get("DINGTALK_API_BASE", "https://oapi.dingtalk.com")
        self.CHANNEL_TIMEOUT = float(env.get("CHANNEL_TIMEOUT", 10))  # seconds per request to WeCom or DingTalk
        self.CHANNEL_BACKOFF = (10, 60, 300, 1800)  # seconds before each retry of 5xx, timeouts, "system busy"
        # The app's address as phones reach it: channel messages link to APP_URL + the alert's path.
        self.APP_URL = env.get("APP_URL", "http://127.0.0.1:5000")
        # Campus sign-in (统一身份认证, CAS 2.0 or 3.0; auth/cas.py). CAS_SERVICE_URL is the callback as the
        # browser and the CAS server see it (behind the TLS proxy, its public https address); the CAS
        # server compares it exactly. The student or staff number is the CAS user name, or the
        # attribute CAS_USER_ATTRIBUTE names (e.g. employeeNumber) when the user name is something else.
        self.CAS_ENABLED = env.get("CAS_ENABLED", "0") == "1"
        self.CAS_SERVER_URL = env.get("CAS_SERVER_URL", "")
        self.CAS_VERSION = env.get("CAS_VERSION", "3.0")
        self.CAS_SERVICE_URL = env.get("CAS_SERVICE_URL") or self.APP_URL.rstrip("/") + "/api/v1/auth/cas/callback"
        self.CAS_USER_ATTRIBUTE = env.get("CAS_USER_ATTRIBUTE", "")
        self.CAS_TIMEOUT = float(env.get("CAS_TIMEOUT", 10))  # seconds for a ticket validation

        self.API_TITLE = "Spiral API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "/docs"
        # Served from the swagger-ui-bundle package: the docs must work offline.
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
        self.MAX_CONTENT_LENGTH = 8 * 1024 * 1024
        # Spreadsheet uploads (roster, scoring sheets; platform/uploads.py), checked before parsing:
        # the file, what its zip unpacks to, and rows and cells (parsing costs about 20-70 µs a cell)
        # across all its sheets. A 5,000-student roster is about 0.3 MB packed, 3 MB unpacked,
        # 5,000 rows and 55,000 cells; a 20,000-student one just fits.
        self.UPLOAD_MAX_BYTES = int(env.get("UPLOAD_MAX_BYTES", 5 * 1024 * 1024))
        self.UPLOAD_MAX_UNCOMPRESSED_BYTES = int(env.get("UPLOAD_MAX_UNCOMPRESSED_BYTES", 40 * 1024 * 1024))
        self.UPLOAD_MAX_ROWS = int(env.get("UPLOAD_MAX_ROWS", 20000))
        self.UPLOAD_MAX_CELLS = int(env.get("UPLOAD_MAX_CELLS", 250000))
        # A roster import creating more accounts than this runs as a background job (Argon2 hashing
        # takes about 0.1 s an account, too long for a request); smaller ones answer at once.
        self.ROSTER_JOB_ACCOUNTS = int(env.get("ROSTER_JOB_ACCOUNTS", 50))
        # The bell schedule: period n (第n节) runs from/to, comma-separated, 12 periods (org/school_calendar.py).
        self.PERIOD_TIMES = env.get("PERIOD_TIMES", "08:00-08:45,08:55-09:40,10:00-10:45,10:55-11:40,"
                                    "14:00-14:45,14:55-15:40,16:00-16:45,16:55-17:40,19:00-19:45,19:55-20:40,"
                                    "20:50-21:35,21:45-22:30")
        # Issue 19, a person's data over time (H5, backend/privacy/).
        # Days after a student left (graduated or withdrew: StudentProfile.status_on) until their
        # sensitive records are purged (privacy/purge.py). Three years: the general limitation period
        # for civil claims (Civil Code art. 188), the longest a college plausibly needs the notes to
        # answer a complaint or claim about how it treated the student; PIPL art. 19 asks for the
        # shortest time the purpose needs, and the purpose (helping an enrolled student) ended at leaving.
        self.SENSITIVE_RETENTION_DAYS = int(env.get("SENSITIVE_RETENTION_DAYS", 3 * 365))
        # What a person's own export (GET /me/data) holds of the need-to-know records about them:
        # "withhold" (default: what they see of themselves in the app; need-to-know warnings, special
        # groups and case notes named as withheld, with whom to ask), "summary" (those listed without
        # their texts) or "full" (everything). privacy/export.py says why.
        self.EXPORT_NEED_TO_KNOW = env.get("EXPORT_NEED_TO_KNOW", "withhold")
        if self.EXPORT_NEED_TO_KNOW not in ("withhold", "summary", "full"):
            raise ValueError("EXPORT_NEED_TO_KNOW must be withhold, summary or full")
        # Health, metrics and logs (issue 19, part H2: api/platform/health.py, platform/metrics.py,
        # platform/logs.py). Readiness (/readyz) fails when no RQ worker has sent a heartbeat for
        # READY_WORKER_MAX_AGE seconds while Redis is configured: an idle worker beats every
        # JOBS_WORKER_TTL - 15 s (45 s by default), so 120 s is two missed beats and a margin. 0 turns
        # that condition off (a web host whose load balancer must not drop it when workers stop).
        self.READY_WORKER_MAX_AGE = int(env.get("READY_WORKER_MAX_AGE", 120))
        # Seconds a client is told to wait (Retry-After) when the database cannot be reached.
        self.DB_RETRY_AFTER = int(env.get("DB_RETRY_AFTER", 5))
        # Seconds to wait for a PostgreSQL connection: a dead server that refuses answers at once, one
        # that drops packets would otherwise hold a request for the OS's TCP timeout (minutes).
        # libpq counts anything under 2 as 2.
        self.DB_CONNECT_TIMEOUT = int(env.get("DB_CONNECT_TIMEOUT", 2))
        # /metrics answers only these networks (comma-separated CIDRs) or a request carrying
        # "Authorization: Bearer METRICS_TOKEN"; anyone else gets 404, as for a page that does not exist.
        self.METRICS_ALLOW = env.get("METRICS_ALLOW", "127.0.0.1/32,::1/128")
        self.METRICS_TOKEN = env.get("METRICS_TOKEN", "")
        # "json": one JSON object a line (timestamp, level, logger, message, request_id, extras), for
        # journald and a log shipper; "text": one readable line, for a terminal (the default: the
        # one-command run and the tests are read by people). Production sets json (deploy/ env example).
        self.LOG_FORMAT = env.get("LOG_FORMAT", "text")
        self.JSON_SORT_KEYS = False

        # ---- Backup and report reads (H4: platform/backup.py, database.report_reads) ----
        # A streaming replica's URL for the class, department and school reports and their exports;
        # empty, they read the primary. A report may then be as far behind as the replica (usually
        # under a second), on top of the class job that already follows a batch by seconds.
        reports_url = env.get("REPORTS_DATABASE_URL", "")
        self.REPORTS_DATABASE_URL = _database_url(reports_url, instance) if reports_url else ""
        # Where pg_dump/pg_restore live when not in /usr/lib/postgresql/<server major>/bin or the PATH:
        # they must be at least the server's major version.
        self.PG_BINDIR = env.get("PG_BINDIR", "")
        self.__dict__.update(overrides)


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / 'spiral.db'}"
    # Heroku-style URLs name the old driver; SQLAlchemy needs the dialect+driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
