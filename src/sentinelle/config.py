"""Settings: where the store and the download cache live, and publisher credentials.

Values come, in order of precedence, from CLI flags, ``SENTINELLE_*`` environment
variables, a ``sentinelle.toml`` file in the working directory, then defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Runtime configuration; see the module docstring for precedence."""

    model_config = SettingsConfigDict(
        env_prefix="SENTINELLE_", toml_file="sentinelle.toml", extra="ignore"
    )

    store: Path = Path("sentinelle.duckdb")
    cache_dir: Path = Path.home() / ".cache" / "sentinelle"
    ucdp_token: SecretStr | None = None
    ucdp_base_url: str = "https://ucdpapi.pcr.uu.se"
    acled_username: str | None = None
    acled_password: SecretStr | None = None
    acled_base_url: str = "https://acleddata.com"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))
