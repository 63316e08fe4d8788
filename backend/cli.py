"""flask commands: seed, demo, worker, scheduler, relay, housekeeping, rollups, warnings, teachers, push, backup,
restore."""
import json
import time
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from backend import demo
from backend.alerts import warning_rules, warnings
from backend.development import teacher_standards
from backend.errors import Problem
from backend.extensions import db
from backend.models import Term
from backend.notify import push
from backend.org import directory
from backend.platform import clock, queue
from backend.reporting import rollups
from backend.valuecard import catalogue


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Load the scoring-point catalogue and the warning rules from seed/ (idempotent)."""
        result = {**catalogue.seed(), "warning_rules": warning_rules.seed()}
        result["teacher_standards"] = teacher_standards.seed()
        db.session.commit()
        click.echo(json.dumps(result))

    @app.cli.command("demo")
    @click.option("--students", default=2000, show_default=True, help="How many students.")
    @click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed (same seed, same college).")
    @click.option("--accounts-json", type=click.Path(dir_okay=False), help="Write one login per role here.")
    @click.option("--history/--no-history", default=True, show_default=True,
                  help="Also score this term so far and last term's end (for the reports).")
    def demo_command(students, seed_value, accounts_json, history):
        """Build the demo college into an empty database."""
        started = time.perf_counter()
        try:
            accounts = demo.build(students, seed_value, clock.school_today())
        except Problem as exc:
            raise click.ClickException(exc.description) from exc
        if history:
            demo.fill_history(clock.school_today(), seed_value)
            for term in db.session.scalars(select(Term)):
                rollups.rebuild(term)
            _evaluate(directory.current_term(clock.school_today()))
        db.session.commit()
        if accounts_json:
            Path(accounts_json).write_text(json.dumps(accounts, ensure_ascii=False, indent=2))
        click.echo(f"demo college: {students} students in {time.perf_counter() - started:.1f}s")
        for account in accounts:
            click.echo(f"  {account['role']:16} {account['username']:14} {account['password']}")

    def _evaluate(term) -> dict:
        from backend.jobs.alerts import evaluate_term
        return evaluate_term(term.id)

    @app.cli.command("worker")
    @click.option("--queues", default=",".join(queue.QUEUES), show_default=True, help="Queues, in priority order.")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker_command(queues, burst):
        """Run an RQ worker (with RQ's scheduler, which times retries) for this app; it waits out
        Redis and database outages and goes on in the same process (jobs/worker.work)."""
        from backend.jobs.worker import work

        work(app, queues.split(","), burst=burst)

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Enqueue what is due now and stop.")
    @click.option("--interval", default=30.0, show_default=True, help="Seconds between ticks.")
    def scheduler_command(once, interval):
        """Enqueue periodic jobs (any number of schedulers may run: each slot is claimed once);
        it waits out Redis and database outages and goes on (jobs/worker.run_scheduler)."""
        from backend.jobs.worker import run_scheduler, tick

        if once:
            click.echo(json.dumps(tick()))
        else:
            run_scheduler(app, interval)

    @app.cli.command("relay")
    @click.option("--once", is_flag=True, help="Relay what is waiting now and stop.")
    def relay_command(once):
        """Move the job outbox to RQ (any number of relays may run; each row is relayed once)."""
        from backend.platform import outbox

        if once:
            click.echo(json.dumps({"relayed": outbox.relay_once()}))
        else:
            outbox.run(app)

    @app.cli.command("housekeeping")
    def housekeeping_command():
        """Delete idempotency records, failed logins and ended sessions past their retention, and
        purge the sensitive records of students who left long ago, now (the scheduler does this
        every six hours; RETENTION_* and SENSITIVE_RETENTION_DAYS settings)."""
        from backend.jobs import housekeeping

        click.echo(json.dumps(housekeeping.prune()))

    @app.cli.group("rollups")
    def rollups_group():
        """Rebuild or check the report rollups."""

    def _term(term_id):
        return db.session.get(Term, term_id) if term_id else directory.current_term(clock.school_today())

    @rollups_group.command("rebuild")
    @click.option("--term-id", type=int, help="Default: the term in session today.")
    def rebuild_command(term_id):
        """Recompute every rollup of a term from the ledger."""
        started = time.perf_counter()
        changed = rollups.rebuild(_term(term_id))
        db.session.commit()
        click.echo(json.dumps({**changed, "seconds": round(time.perf_counter() - started, 2)}))

    @rollups_group.command("check")
    @click.option("--term-id", type=int, help="Default: the term in session today.")
    def check_command(term_id):
        """Compare the stored rollups with a full recompute; exit 1 on any difference."""
        problems = rollups.check(_term(term_id))
        for problem in problems:
            click.echo(problem, err=True)
        click.echo(json.dumps({"differences": len(problems)}))
        if problems:
            raise SystemExit(1)

    @app.cli.group("warnings")
    def warnings_group():
        """Evaluate the warning rules, escalate overdue warnings."""

    @warnings_group.command("evaluate")
    @click.option("--term-id", type=int, help="Default: the term in session today.")
    def evaluate_command(term_id):
        """Run every rule over every class now (the scheduler does this every six hours)."""
        click.echo(json.dumps(_evaluate(_term(term_id))))

    @warnings_group.command("escalate")
    def escalate_command():
        click.echo(json.dumps({"escalated": warnings.escalate_overdue()}))
        db.session.commit()

    @app.cli.group("teachers")
    def teachers_group():
        """The departments' stored teacher figures."""

    @teachers_group.command("refresh")
    @click.option("--year", type=int, help="The academic year's first calendar year. Default: the current one.")
    def teachers_refresh_command(year):
        """Store every department's portrait medians and shortfall counts now (the scheduler does
        this every six hours), e.g. right after the stage standards or the three-year plans changed."""
        from backend.development import plans
        from backend.jobs import teachers as teacher_jobs

        year = plans.academic_year_now() if year is None else year
        click.echo(json.dumps({"year": year, "departments": {
            d: teacher_jobs.department_teachers(d, year) for d in teacher_jobs.departments()}}, ensure_ascii=False))

    @app.cli.group("push")
    def push_group():
        """Web Push keys."""

    @push_group.command("keys")
    @click.option("--rotate", is_flag=True, help="Replace existing keys (every device must subscribe again).")
    def keys_command(rotate):
        """Generate VAPID keys into instance/vapid.json (kept if present); prints the public key."""
        click.echo(push.generate_keys(rotate)["public_key"])

    # ---- backup and restore (platform/backup.py) ------------------------------------------------
    def _rebuild_every_term() -> list[dict]:
        done = []
        for term_id in db.session.scalars(select(Term.id).order_by(Term.id)).all():
            changed = rollups.rebuild(db.session.get(Term, term_id))
            db.session.commit()
            done.append({"term_id": term_id, **{k: v for k, v in changed.items() if isinstance(v, int)}})
        db.session.remove()
        return done

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--without-secrets", is_flag=True,
                  help="Leave instance/secrets.json and vapid.json out (keep them in your secret store).")
    def backup_command(path, without_secrets):
        """Write a consistent backup (database, attachments, secrets, manifest) to PATH, a .tar (0600)."""
        from backend.platform import backup

        started = time.perf_counter()
        try:
            manifest = backup.take(path, with_secrets=not without_secrets)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(json.dumps({"path": path, "bytes": Path(path).stat().st_size, "dialect": manifest["dialect"],
                               "revision": manifest["revision"], "created_at": manifest["created_at"],
                               "ledger_rows": manifest["ledger"]["rows"],
                               "attachments": manifest["attachments"]["count"],
                               "files": [f["name"] for f in manifest["files"]],
                               "seconds": round(time.perf_counter() - started, 2)}))

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that already holds data.")
    @click.option("--no-rebuild", is_flag=True, help="Skip recomputing every term's rollups afterwards.")
    def restore_command(path, force, no_rebuild):
        """Check a backup's checksums and schema revision, restore it, verify the ledger, rebuild rollups.
        Stop the web, workers, scheduler and relay first; restart them afterwards (secrets may change)."""
        from backend.platform import backup

        try:
            result = backup.restore(path, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        # Jobs in flight when the backup was taken lived in Redis, not in it: recompute every term's
        # rollups and stored cards from the restored ledger (DESIGN decision 5).
        result["rollups_rebuilt"] = [] if no_rebuild else _rebuild_every_term()
        click.echo(f"restored a {result['dialect']} backup made {result['created_at']} (revision {result['revision']}): "
                   f"{result['ledger']['rows']} ledger rows and {result['attachments']['count']} attachments, "
                   f"checksums match; instance files: {', '.join(result['instance_files']) or 'none'}")
        if result["upgrade_needed"]:
            click.echo("the backup's schema is older than this code: run `flask db upgrade` now")
        click.echo(json.dumps(result))
