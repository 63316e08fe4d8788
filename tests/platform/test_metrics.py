"""GET /metrics as Prometheus and an operator see it: latency per route and status (no ids in labels),
queue depth from the real Redis, scrape-time facts that survive Redis being down, access only from
allowed networks or with the token, and one scrape summing several processes (multiprocess mode)."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from backend.notify import push
from backend.platform import metrics, queue
from tests.helpers import assert_problem, login, run_worker, writing
from tests.notify.test_channels import college, dingtalk, link, user, wecom  # noqa: F401  (fixtures)
from tests.push_endpoint import PushEndpoint

ROOT = Path(__file__).resolve().parents[2]


def samples(client, **kwargs) -> dict[tuple, float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def count(found: dict, route: str, status: str, method: str = "GET") -> float:
    key = ("spiral_http_request_duration_seconds_count", (("method", method), ("route", route), ("status", status)))
    return found.get(key, 0.0)


def test_request_latency_per_route_and_status_without_ids(client):
    before = samples(client)
    for _ in range(3):
        assert client.get("/api/v1/students/987654/card").status_code == 401  # no login
    assert client.get("/livez").status_code == 200
    assert client.get("/no/such/page/4242").status_code == 404
    after = samples(client)
    route = "/api/v1/students/<int:student_id>/card"
    assert count(after, route, "401") - count(before, route, "401") == 3
    assert count(after, "/livez", "200") - count(before, "/livez", "200") == 1
    assert count(after, "<unmatched>", "404") - count(before, "<unmatched>", "404") == 1
    labels = " ".join(str(k[1]) for k in after)
    assert "987654" not in labels and "4242" not in labels  # an id never becomes a label


def test_only_allowed_networks_or_the_token_see_metrics(app, client):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert_problem(client.get("/metrics", environ_base=outside), 404)  # the same as a missing page
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token"
    assert_problem(client.get("/metrics", environ_base=outside, headers={"Authorization": "Bearer wrong"}), 404)
    assert client.get("/metrics", environ_base=outside,
                      headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200
    app.config["METRICS_ALLOW"] = "10.0.0.0/8"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.3.4"}).status_code == 200
    assert_problem(client.get("/metrics"), 404)  # loopback is no longer listed
    # Through a proxy the app does not trust, the peer is the proxy (often 127.0.0.1): not enough.
    app.config["METRICS_ALLOW"] = "127.0.0.1/32"
    assert_problem(client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}), 404)


@queue.job("default", timeout=5)
def idle_job(n):
    return n


def test_queue_depth_from_redis_and_a_scrape_with_redis_down(app, client):
    for n in range(3):
        queue.enqueue(idle_job, n)
    found = samples(client)
    assert found[("spiral_queue_depth", (("queue", "default"),))] == 3
    assert found[("spiral_queue_depth", (("queue", "rollups"),))] == 0
    assert found[("spiral_redis_up", ())] == 1 and found[("spiral_database_up", ())] == 1
    assert found[("spiral_rollups_lag_seconds", ())] == 0

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    down = samples(client)
    assert down[("spiral_redis_up", ())] == 0 and down[("spiral_database_up", ())] == 1
    assert not [k for k in down if k[0] == "spiral_queue_depth"]  # unknown, not 0


def test_job_durations_and_failures_are_counted_by_the_worker_hook(app):
    assert metrics.observe_job in queue.JOB_OBSERVERS
    from tests.helpers import run_worker

    before = metrics.JOB_SECONDS.labels("idle_job")._sum.get()  # noqa: SLF001
    queue.enqueue(idle_job, 1)
    run_worker(app)
    assert metrics.JOB_SECONDS.labels("idle_job")._sum.get() > before  # noqa: SLF001


def test_a_raised_warning_and_its_deliveries_show_per_kind_channel_and_outcome(app, client, college, wecom,  # noqa: F811
                                                                                 dingtalk):  # noqa: F811
    """A red academic warning raised by a batch and delivered by the worker to WeCom, DingTalk and
    a Web Push endpoint (loopback servers of tests/notify): the scrape counts each once."""
    keys = push.generate_keys()
    os.unlink(os.path.join(app.config["INSTANCE_PATH"], "vapid.json"))
    app.config.update(VAPID_PRIVATE_KEY=keys["private_key"], VAPID_PUBLIC_KEY=keys["public_key"])
    endpoint = PushEndpoint()
    app.config["PUSH_ALLOWED_ORIGINS"] = (endpoint.origin,)
    try:
        admin, head = login(client, college["school_admin"]), login(client, college["head_teacher"])
        link(client, admin, college["head_teacher"], wecom="ht-wecom", dingtalk="ht-ding")
        assert client.post("/api/v1/push/subscriptions", headers=head, json=endpoint.subscription()).status_code == 201
        before = samples(client)
        student = user(college["student"])
        assert client.post("/api/v1/entries", headers=writing(head), json={
            "point": "S-A-09", "period": "term", "entries": [{"student_id": student.id, "value": 30}]}).status_code == 201
        run_worker(app)
        after = samples(client)
    finally:
        endpoint.close()

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("spiral_warnings_raised_total", kind="academic") == 1
    for channel in ("wecom", "dingtalk", "webpush"):
        assert grew("spiral_deliveries_total", channel=channel, outcome="sent") == 1, channel


SCRIPT = textwrap.dedent("""
    import sys
    from tests.conftest import make_app
    app = make_app(sys.argv[1], sys.argv[2], "redis://127.0.0.1:1/0")
    client = app.test_client()
    if sys.argv[3] == "serve":
        for _ in range(int(sys.argv[4])):
            client.get("/livez")
    else:
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
""")


def test_one_scrape_sums_every_process_of_the_host(app, tmp_path):
    """Multiprocess mode: two 'gunicorn workers' answer 5 and 7 requests and exit; a third
    process's scrape counts all 12, and the directory's reset starts the count again."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    url, instance = app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path

    def run(*args):
        return subprocess.run([sys.executable, "-c", SCRIPT, url, instance, *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True).stdout

    run("serve", "5")
    run("serve", "7")
    scraped = run("scrape")
    line = 'spiral_http_request_duration_seconds_count{method="GET",route="/livez",status="200"} 12.0'
    assert line in scraped, scraped[:2000]
    assert len(list(directory.glob("*.db"))) >= 2
    assert subprocess.run([sys.executable, "-m", "backend.platform.metrics", "reset"], cwd=ROOT, env=env,
                          check=True, capture_output=True).returncode == 0
    assert not list(directory.glob("*.db"))
