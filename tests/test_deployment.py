"""The deployment artefacts run what the multi-replica test runs: the image migrates only when asked,
runs as a user of its own, and compose starts web replicas that leave jobs to a worker, all sharing
the database, Redis and the master key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
SHARED = {"DUNOPS_DATABASE_URL", "DUNOPS_REDIS_URL", "DUNOPS_MASTER_KEY"}


def test_compose_runs_two_replicas_a_worker_a_proxy_and_a_one_off_migration() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    webs = [name for name, service in services.items() if service.get("command") == ["dunops", "serve"]]
    assert len(webs) == 2
    assert services["worker"]["command"] == ["dunops", "worker"]
    for name in [*webs, "worker", "migrate"]:
        environment = services[name]["environment"]
        assert environment.keys() >= SHARED, name
    for name in [*webs, "worker"]:
        assert services[name]["environment"]["DUNOPS_WORKER"] == "false"
        assert "DUNOPS_MIGRATE" not in services[name]["environment"]
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["environment"]["DUNOPS_MIGRATE"] == "true"
    assert {"postgres", "redis", "proxy"} <= services.keys()
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert all(f"{name}:8000" in caddyfile for name in webs)


def test_the_image_runs_as_its_own_user_and_serves_by_default() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "\nUSER dunops\n" in dockerfile
    assert 'CMD ["dunops", "serve"]' in dockerfile
    assert "slim" in dockerfile


def _entrypoint(tmp_path: Path, **environment: str) -> list[str]:
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "dunops"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f'#!/bin/sh\necho "dunops $*" >> {calls}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", **environment}
    subprocess.run(["sh", str(ROOT / "deploy" / "entrypoint.sh"), "dunops", "worker"], env=env, check=True)
    return calls.read_text().splitlines()


def test_the_entrypoint_migrates_only_when_asked(tmp_path: Path) -> None:
    assert _entrypoint(tmp_path) == ["dunops worker"]
    (tmp_path / "calls").unlink()
    assert _entrypoint(tmp_path, DUNOPS_MIGRATE="true") == ["dunops db upgrade", "dunops worker"]
