"""The bot's own settings: defaults only in config/telegram.toml, NEWSQA_TELEGRAM_* overrides,
one-line errors, and no token in the committed file."""

from __future__ import annotations

import pytest
from pydantic_settings import SettingsConfigDict, TomlConfigSettingsSource

from bot.telegram import BotConfigError, TelegramSettings
from bot.telegram.settings import CONFIG_FILE, PROJECT_ROOT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No NEWSQA_TELEGRAM_* of the developer's, and no .env of theirs, in these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("NEWSQA_TELEGRAM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_every_default_is_the_config_file_s():
    written = TomlConfigSettingsSource(TelegramSettings).toml_data
    assert written  # the file was read
    loaded = TelegramSettings.load()
    for key, value in written.items():
        got = getattr(loaded, key)
        assert (str(got.relative_to(PROJECT_ROOT)) if key == "queue_path" else got) == value
    assert loaded.token is None
    # the class only types: nothing but the token has a default of its own
    assert {n for n, f in TelegramSettings.model_fields.items() if not f.is_required()} == {"token"}


def test_environment_and_dotenv_override_with_the_documented_names(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSQA_TELEGRAM_TOKEN", "42:abc")
    monkeypatch.setenv("NEWSQA_TELEGRAM_ALLOWED_CHAT_IDS", "[12345, -100987]")
    (tmp_path / ".env").write_text("NEWSQA_TELEGRAM_MODE=webhook\nNEWSQA_TOP_K=7\n", encoding="utf-8")
    loaded = TelegramSettings.load(queue_path="q.sqlite3")
    assert loaded.token.get_secret_value() == "42:abc" and "42:abc" not in repr(loaded)
    assert loaded.allowed_chat_ids == [12345, -100987] and loaded.mode == "webhook"
    assert loaded.queue_path == PROJECT_ROOT / "q.sqlite3"  # relative to the project, not the cwd


def test_a_bad_value_is_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setenv("NEWSQA_TELEGRAM_WEBHOOK_PORT", "eighty")
    monkeypatch.setenv("NEWSQA_TELEGRAM_MODE", "carrier-pigeon")
    with pytest.raises(BotConfigError) as err:
        TelegramSettings.load()
    message = str(err.value)
    assert "\n" not in message
    assert "NEWSQA_TELEGRAM_WEBHOOK_PORT='eighty'" in message and "NEWSQA_TELEGRAM_MODE" in message


def test_a_token_in_the_config_file_is_refused(tmp_path):
    config = tmp_path / "telegram.toml"
    config.write_text(CONFIG_FILE.read_text(encoding="utf-8") + '\ntoken = "42:leaked"\n',
                      encoding="utf-8")

    class Elsewhere(TelegramSettings):
        model_config = SettingsConfigDict(**{**TelegramSettings.model_config, "toml_file": config})

    with pytest.raises(BotConfigError) as err:
        Elsewhere.load()
    assert "NEWSQA_TELEGRAM_TOKEN" in str(err.value) and "42:leaked" not in str(err.value)
