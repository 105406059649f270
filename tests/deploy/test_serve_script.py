"""scripts/serve.sh (`make serve`) refuses, naming what is missing, to start half-configured."""

import os
import subprocess

from tests.servers import ROOT


def serve(**env: str) -> subprocess.CompletedProcess:
    base = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    return subprocess.run(
        [str(ROOT / "scripts" / "serve.sh")], env=base | env, capture_output=True, text=True, timeout=30
    )


def test_it_names_every_missing_setting_and_starts_nothing():
    result = serve()
    assert result.returncode == 2
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
        assert f"  - {name} " in result.stderr
    assert result.stdout == ""


def test_it_refuses_sqlite_which_processes_cannot_share():
    result = serve(
        DATABASE_URL="sqlite:///db.sqlite3", REDIS_URL="redis://127.0.0.1:1/0", SECRET_KEY="k" * 50, ALLOWED_HOSTS="x"
    )
    assert result.returncode == 2
    assert "DATABASE_URL naming PostgreSQL" in result.stderr
