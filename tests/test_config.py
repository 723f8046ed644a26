"""Settings: one clear line per bad variable, and secrets that never show in a repr or a log."""

from __future__ import annotations

import pytest

from dunops.config import load_settings
from dunops.errors import ConfigurationError


def test_a_bad_setting_names_the_variable_and_the_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_PORT", "eighty")
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert str(refused.value).startswith("DUNOPS_PORT: ")
    assert "\n" not in str(refused.value)


def test_a_database_url_of_another_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_DATABASE_URL", "mysql://root@localhost/dunops")
    with pytest.raises(ConfigurationError, match=r"^DUNOPS_DATABASE_URL: .*postgresql"):
        load_settings()


def test_secrets_are_hidden_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNOPS_MASTER_KEY", "master-key-that-must-not-leak")
    monkeypatch.setenv("DUNOPS_SMTP_PASSWORD", "smtp-password-that-must-not-leak")
    monkeypatch.setenv(
        "DUNOPS_OIDC_PROVIDERS",
        '[{"name": "corp", "client_id": "dunops", "client_secret": "oidc-secret-that-must-not-leak",'
        ' "discovery_url": "https://id.example.com/.well-known/openid-configuration"}]',
    )
    settings = load_settings()
    shown = repr(settings) + str(settings)
    assert "must-not-leak" not in shown
    assert settings.master_key.get_secret_value() == "master-key-that-must-not-leak"
    assert settings.oidc_providers[0].client_secret.get_secret_value() == "oidc-secret-that-must-not-leak"
