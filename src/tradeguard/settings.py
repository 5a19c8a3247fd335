"""One typed settings object, read from the environment (``TRADEGUARD_*``) or a ``.env`` file.

Settings are built by :func:`get_settings` and handed in explicitly; nothing reads them at
import time, so tests and services can run side by side with different configurations.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can configure, with embedded defaults for a laptop pilot."""

    model_config = SettingsConfigDict(env_prefix="TRADEGUARD_", env_file=".env", extra="ignore")

    db: str = Field(
        default="sqlite:///tradeguard.db",
        description="SQLAlchemy URL: SQLite by default, postgresql+psycopg://... in production",
    )
    refdata_dir: Path | None = Field(
        default=None, description="Reference data folder; None = the copy shipped in the package"
    )
    work_dir: Path = Field(default=Path("."), description="Where quarantine and reports go")
    profiles_dir: Path | None = Field(
        default=None,
        description="Published risk profiles (YAML and changes.json) the service scores with; "
        "None = <work_dir>/profiles, which holds the shipped examples until a first publication",
    )
    targeting_config: Path | None = Field(
        default=None,
        description="Targeting configuration YAML the service scores with (lanes, capacity, "
        "random compliance sample); None = the shipped one",
    )
    batch_size: int = Field(default=100_000, ge=1_000, description="Rows per streamed batch")
    environment: str = Field(default="development", description="development | test | production")
    secret_key: SecretStr = Field(
        default=SecretStr("development-only-secret-change-me"),
        description="Signs tokens and derives keys; must be set outside development",
    )
    log_key_path: Path | None = Field(
        default=None, description="PEM Ed25519 private key of the decision log (production)"
    )
    data_key: SecretStr | None = Field(
        default=None, description="Base64 Fernet key(s) for confidential fields, comma-separated"
    )

    @property
    def published_profiles(self) -> Path:
        """Where published risk profiles and their publication ledger live."""
        return self.profiles_dir or self.work_dir / "profiles"

    def require_production_secrets(self) -> None:
        """Refuse development secrets anywhere but development and test."""
        if self.environment not in {"development", "test"} and (
            self.secret_key.get_secret_value().startswith("development-only")
        ):
            raise ValueError("TRADEGUARD_SECRET_KEY must be set outside development")


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
