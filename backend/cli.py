"""flask commands: seed, demo."""
import json
import time
from pathlib import Path

import click
from flask import Flask

from backend.errors import Problem
from backend.extensions import db
from backend.services import catalogue, demo
from backend.services.clock import school_today


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    def seed_command():
        """Load the scoring-point catalogue from seed/ (idempotent)."""
        result = catalogue.seed()
        click.echo(json.dumps(result))

    @app.cli.command("demo")
    @click.option("--students", default=2000, show_default=True, help="How many students.")
    @click.option("--seed", "seed_value", default=1, show_default=True, help="Random seed (same seed, same college).")
    @click.option("--accounts-json", type=click.Path(dir_okay=False), help="Write one login per role here.")
    def demo_command(students, seed_value, accounts_json):
        """Build the demo college into an empty database."""
        started = time.perf_counter()
        try:
            accounts = demo.build(students, seed_value, school_today())
        except Problem as exc:
            raise click.ClickException(exc.description) from exc
        db.session.commit()
        if accounts_json:
            Path(accounts_json).write_text(json.dumps(accounts, ensure_ascii=False, indent=2))
        click.echo(f"demo college: {students} students in {time.perf_counter() - started:.1f}s")
        for account in accounts:
            click.echo(f"  {account['role']:16} {account['username']:14} {account['password']}")
