"""docker-compose.yml and .env.example stay consistent with the settings (no Docker engine here)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (ROOT / "config" / "settings.py").read_text()
README = (ROOT / "README.md").read_text()


def _settings_variables() -> set[str]:
    return set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', SETTINGS))


def test_compose_has_every_service_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"web", "worker", "beat", "db", "redis"}
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_compose_and_env_example_only_use_variables_the_settings_read():
    known = _settings_variables() | {"POSTGRES_PASSWORD"}
    example = (ROOT / ".env.example").read_text()
    used = set(re.findall(r"^([A-Z_]+)=", example, flags=re.M))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    used |= set(compose["x-app"]["environment"])
    assert used - known == set()
    assert {"SECRET_KEY", "PARTICIPANT_HMAC_KEY", "ALLOWED_HOSTS"} <= used


def test_readme_documents_every_environment_variable():
    missing = [name for name in sorted(_settings_variables()) if f"`{name}`" not in README]
    assert missing == []
