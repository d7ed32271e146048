"""The one place the library's configuration lives.

Every default is written once, in ``config/newsqa.toml``; environment variables prefixed ``NEWSQA_``
(and a ``.env`` file in the working directory) override it; front ends pass per-run overrides as
keyword arguments. The class only says what each setting is and checks it. Front ends keep their own
settings (the Telegram bot's live in ``bot/telegram/settings.py``), and the numbers the ranking was
fitted with are not settings at all: they live in :mod:`retrieval.ranking.tuning`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from retrieval.errors import NewsqaError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "newsqa.toml"


class SettingsError(NewsqaError, ValueError):
    """A setting has a value it cannot have (``NEWSQA_TOP_K=abc``); says which and why."""


def resolve_path(path: Path) -> Path:
    """Relative paths in settings mean "relative to the project", not to wherever the user stands."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def settings_error(error: ValidationError, prefix: str) -> SettingsError:
    """One line naming the offending settings, as the user would spell them (``NEWSQA_TOP_K``)."""
    problems = []
    for e in error.errors():
        name = prefix + "_".join(str(part) for part in e["loc"][:1]).upper()
        problems.append(f"{name}={e.get('input')!r}: {e['msg']}")
    return SettingsError("invalid setting " + "; ".join(problems))


class Settings(BaseSettings):
    """What to index, where, with which model, and how answers are cut. See config/newsqa.toml."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSQA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        toml_file=DEFAULT_CONFIG,
    )

    corpus_paths: list[Path]
    index_dir: Path
    cache_dir: Path
    model_name: str
    model_path: Path | None
    top_k: int = Field(ge=1, le=50)
    max_question_chars: int = Field(ge=10)
    chunk_max_chars: int = Field(ge=50)
    chunk_overlap: int = Field(ge=0)
    min_probability: float = Field(ge=0.0, le=1.0)
    sure_probability: float = Field(ge=0.0, le=1.0)

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Settings from the config file, the environment and ``overrides``; a bad value raises a
        one-line :class:`SettingsError` instead of pydantic's multi-line report."""
        try:
            return cls(**overrides)
        except ValidationError as error:
            raise settings_error(error, "NEWSQA_") from None

    @field_validator("corpus_paths", mode="after")
    @classmethod
    def _resolve_corpus(cls, value: list[Path]) -> list[Path]:
        return [resolve_path(p) for p in value]

    @field_validator("index_dir", "cache_dir", mode="after")
    @classmethod
    def _resolve_dir(cls, value: Path) -> Path:
        return resolve_path(value)

    @field_validator("model_path", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("model_path", mode="after")
    @classmethod
    def _resolve_model(cls, value: Path | None) -> Path | None:
        return None if value is None else resolve_path(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments > environment > .env > config/newsqa.toml.
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )
