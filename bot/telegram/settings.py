"""The Telegram bot's settings: a front end's own, kept out of the library's :class:`Settings`.

Every default is written once, in ``config/telegram.toml``; environment variables prefixed
``NEWSQA_TELEGRAM_`` (and a ``.env`` file in the working directory) override it; tests pass
overrides as keyword arguments. The class only says what each setting is and checks it.

The token is the exception: it has no default and is read only from ``NEWSQA_TELEGRAM_TOKEN``
(environment or ``.env``). The config file is committed, so a ``token`` key there is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from retrieval import NewsqaError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = PROJECT_ROOT / "config" / "telegram.toml"
ENV_PREFIX = "NEWSQA_TELEGRAM_"


class BotConfigError(NewsqaError):
    """The bot cannot start as configured (a bad setting, no token, a rejected token...)."""


class TelegramSettings(BaseSettings):
    """How the bot reaches Telegram and whom it serves. See config/telegram.toml."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=CONFIG_FILE,
    )

    token: SecretStr | None = None
    base_url: str
    mode: Literal["polling", "webhook"]
    webhook_url: str
    webhook_listen: str
    webhook_port: int = Field(ge=1, le=65535)
    allowed_chat_ids: list[int]
    user_questions_per_minute: int = Field(ge=1)
    queue_path: Path

    @classmethod
    def load(cls, **overrides: object) -> TelegramSettings:
        """Settings from the config file, the environment and ``overrides``; a bad value raises a
        one-line :class:`BotConfigError` naming the variable, instead of pydantic's report."""
        try:
            return cls(**overrides)
        except ValidationError as error:
            raise BotConfigError("invalid setting " + "; ".join(_problems(error))) from None

    @field_validator("queue_path", mode="after")
    @classmethod
    def _resolve(cls, value: Path) -> Path:
        """Relative means "relative to the project", as for the library's paths."""
        value = value.expanduser()
        return value if value.is_absolute() else PROJECT_ROOT / value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments > environment > .env > config/telegram.toml.
        toml = TomlConfigSettingsSource(settings_cls)
        if "token" in toml.toml_data:
            raise BotConfigError(
                f"{CONFIG_FILE} must not hold the bot token (the file is committed): remove it "
                "and set NEWSQA_TELEGRAM_TOKEN in the environment or .env instead."
            )
        return (init_settings, env_settings, dotenv_settings, toml, file_secret_settings)


def _problems(error: ValidationError) -> list[str]:
    """``NEWSQA_TELEGRAM_PORT='x': Input should be...`` for each bad value, as the user spells
    the variable; the token's value is never repeated."""
    problems = []
    for e in error.errors():
        field = str(e["loc"][0]) if e["loc"] else "?"
        shown = "<hidden>" if field == "token" else repr(e.get("input"))
        problems.append(f"{ENV_PREFIX}{field.upper()}={shown}: {e['msg']}")
    return problems
