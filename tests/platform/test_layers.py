"""The layout's import rules (README, Architecture): domains import only the ones below them.

platform ← auth ← org ← valuecard ← notify ← development ← alerts, and reporting reads valuecard.
Function-level imports count too: a late import is still a dependency.
"""
import ast
import re
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"
SHARED = {"models", "extensions", "errors", "config"}  # the base every layer stands on
CHAIN = ["platform", "auth", "org", "valuecard", "notify", "development", "alerts"]
ALLOWED = {name: set(CHAIN[:i]) for i, name in enumerate(CHAIN)}
ALLOWED["reporting"] = {"platform", "auth", "org", "valuecard"}
# A person's data (issue 19) reads every domain and renders with reporting; nothing imports it but api/ and jobs/.
ALLOWED["privacy"] = set(CHAIN) | {"reporting"}


def backend_imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("backend."):
            yield node.lineno, node.module.split(".")[1]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("backend."):
                    yield node.lineno, alias.name.split(".")[1]


def violations(package: str, allowed: set[str]) -> list[str]:
    found = []
    for path in sorted((BACKEND / package).rglob("*.py")):
        for line, target in backend_imports(path):
            if target != package and target not in allowed | SHARED:
                found.append(f"{path.relative_to(BACKEND)}:{line} imports backend.{target}")
    return found


def test_domain_packages_import_only_the_ones_below_them():
    assert [v for package, allowed in ALLOWED.items() for v in violations(package, allowed)] == []


def test_models_stand_below_every_domain():
    # The one exception: column defaults read the clock.
    assert [v for v in violations("models", {"platform"}) if not v.endswith("backend.platform")] == []
    clock_only = [line for path in (BACKEND / "models").rglob("*.py") for line in path.read_text().splitlines()
                  if line.startswith("from backend.platform")]
    assert set(clock_only) <= {"from backend.platform import clock"}


def test_only_the_app_factory_imports_the_http_layer():
    importers = [f"{path.relative_to(BACKEND)}:{line}" for path in BACKEND.rglob("*.py")
                 if "api" not in path.relative_to(BACKEND).parts[:1] and path != BACKEND / "__init__.py"
                 for line, target in backend_imports(path) if target == "api"]
    assert importers == []


# Reads of the real time allowed outside the clock, each because another party checks it against its own clock.
REAL_TIME = {"notify/push.py": "VAPID expiry"}


def test_every_now_and_today_comes_from_the_clock():
    readers = re.compile(r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|time\.time\(\)")
    found = [f"{path.relative_to(BACKEND)}:{number}" for path in sorted(BACKEND.rglob("*.py"))
             if path != BACKEND / "platform" / "clock.py" and str(path.relative_to(BACKEND)) not in REAL_TIME
             for number, line in enumerate(path.read_text().splitlines(), 1) if readers.search(line)]
    assert found == []
