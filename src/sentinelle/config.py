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
    ucdp_release_url: str = "https://ucdp.uu.se/downloads/ged"  # yearly GED zipped CSVs
    acled_username: str | None = None
    acled_password: SecretStr | None = None
    acled_base_url: str = "https://acleddata.com"
    # HDX (OCHA's Humanitarian Data Exchange): its CKAN API serves ACLED's aggregates.
    hdx_base_url: str = "https://data.humdata.org"
    # Dashboard (`sentinelle serve`). The session-signing key: when unset, one is
    # generated on first start and kept in ``<store>.secret`` (mode 0600) beside the store.
    secret_key: SecretStr | None = None
    # Natural Earth admin-0 file for map outlines; the copy inside pyogrio when unset.
    boundaries: Path | None = None
    # Admin-1/admin-2 boundary files with OCHA P-codes (GeoJSON, GeoPackage, shapefile)
    # for the map's choropleth of subnational aggregates; in the environment a JSON list:
    # SENTINELLE_ADMIN_BOUNDARIES='["mli_adm2_cercles.geojson"]'.
    admin_boundaries: list[Path] = []
    # Mark the session cookie Secure: set when the dashboard is served over HTTPS.
    cookie_secure: bool = False
    # Require a login for every page and API route, not only for analyst reports (for
    # deployments beyond loopback, or stores holding data whose licence forbids
    # redistribution, such as ACLED's).
    require_login: bool = False
    # Rate limits per client address, in the `limits` notation ("5/minute").
    login_rate_limit: str = "5/minute"
    write_rate_limit: str = "30/minute"
    # Uncached reads an anonymous client may cause (the heavy aggregates: dyads, trends).
    heavy_rate_limit: str = "60/minute"

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
