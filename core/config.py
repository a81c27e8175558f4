"""Settings read from the environment, with the embedded defaults the README promises.

| variable                  | default                    | meaning                                        |
|---------------------------|----------------------------|------------------------------------------------|
| HUBDESK_DB                | data/hub.duckdb            | the DuckDB file                                |
| HUBDESK_DEMO              | 1                          | fill a new database with demo data + accounts  |
| HUBDESK_SECRETS           | .streamlit/secrets.toml    | where the cookie key lives (generated if absent)|
| HUBDESK_COOKIE_DAYS       | 1                          | sign-in cookie lifetime in days                |
| HUBDESK_BCRYPT_ROUNDS     | 12                         | bcrypt cost (tests lower it)                   |
| HUBDESK_LOGIN_SLEEP       | 0.7                        | authenticator's pre-login sleep (tests use 0)  |
| HUBDESK_PAGE_SIZE         | 50                         | rows per page in list views                    |
| HUBDESK_IMPORT_MAX_ROWS   | 5000                       | largest Excel import accepted                  |
| HUBDESK_UPLOAD_MAX_MB     | 10                         | largest uploaded file                          |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    db_path: Path
    demo: bool
    secrets_path: Path
    cookie_days: float
    bcrypt_rounds: int
    login_sleep: float
    page_size: int
    import_max_rows: int
    upload_max_mb: int
    lockout_failures: int = 5
    lockout_window_minutes: int = 15
    lockout_minutes: int = 15

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent


def load() -> Settings:
    def path(name: str, default: str) -> Path:
        p = Path(_env(name, default))
        return p if p.is_absolute() else ROOT / p

    return Settings(
        db_path=path("HUBDESK_DB", "data/hub.duckdb"),
        demo=_env("HUBDESK_DEMO", "1").lower() not in ("0", "false", "no", "off"),
        secrets_path=path("HUBDESK_SECRETS", ".streamlit/secrets.toml"),
        cookie_days=float(_env("HUBDESK_COOKIE_DAYS", "1")),
        bcrypt_rounds=int(_env("HUBDESK_BCRYPT_ROUNDS", "12")),
        login_sleep=float(_env("HUBDESK_LOGIN_SLEEP", "0.7")),
        page_size=int(_env("HUBDESK_PAGE_SIZE", "50")),
        import_max_rows=int(_env("HUBDESK_IMPORT_MAX_ROWS", "5000")),
        upload_max_mb=int(_env("HUBDESK_UPLOAD_MAX_MB", "10")),
    )
