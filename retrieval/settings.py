"""The one place newsqa's configuration lives.

Defaults come from ``config/newsqa.toml``; environment variables prefixed ``NEWSQA_`` (and a ``.env``
file in the working directory) override them; front ends pass per-run overrides as keyword arguments.
Keeping a single class means a setting is spelled, typed and validated exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "newsqa.toml"


def _resolve(path: Path) -> Path:
    """Relative paths in settings mean "relative to the project", not to wherever the user stands."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=DEFAULT_CONFIG,
    )

    corpus_paths: list[Path] = Field(default_factory=lambda: [Path("seeds")])
    index_dir: Path = Path("var/index")
    cache_dir: Path = Path("~/.cache/newsqa")

    model_name: str = "intfloat/multilingual-e5-small"
    model_path: Path | None = None

    top_k: int = Field(5, ge=1, le=50)
    # Below this fused score the best evidence is too weak to quote: the answer is "not found".
    answer_threshold: float = 1.19
    max_question_chars: int = Field(500, ge=10)

    chunk_max_chars: int = Field(300, ge=50)
    chunk_overlap: int = Field(1, ge=0)

    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_allowed_chat_ids: list[int] = Field(default_factory=list)
    telegram_user_questions_per_minute: int = Field(10, ge=1)

    @field_validator("corpus_paths", mode="after")
    @classmethod
    def _resolve_corpus(cls, value: list[Path]) -> list[Path]:
        return [_resolve(p) for p in value]

    @field_validator("index_dir", "cache_dir", mode="after")
    @classmethod
    def _resolve_dir(cls, value: Path) -> Path:
        return _resolve(value)

    @field_validator("model_path", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("model_path", mode="after")
    @classmethod
    def _resolve_model(cls, value: Path | None) -> Path | None:
        return None if value is None else _resolve(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments > environment > .env > config/newsqa.toml > class defaults.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"
