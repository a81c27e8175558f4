"""Settings read from the environment, with the embedded defaults the README promises.

| variable                  | default                    | meaning                                        |
|---------------------------|----------------------------|------------------------------------------------|
| HUBDESK_DB                | data/hub.duckdb            | the DuckDB file, or a postgresql:// URL        |
| HUBDESK_DATA_DIR          | data                       | with PostgreSQL: where files kept beside the   |
|                           |                            | database go (audit head file, backups)         |
| HUBDESK_DEMO              | 1                          | fill a new database with demo data + accounts  |
| HUBDESK_SECRETS           | .streamlit/secrets.toml    | where the cookie key lives (generated if absent)|
| HUBDESK_COOKIE_DAYS       | 1                          | sign-in cookie lifetime in days                |
| HUBDESK_BCRYPT_ROUNDS     | 12                         | bcrypt cost (tests lower it)                   |
| HUBDESK_LOGIN_SLEEP       | 0.7                        | authenticator's pre-login sleep (tests use 0)  |
| HUBDESK_PAGE_SIZE         | 50                         | rows per page in list views                    |
| HUBDESK_IMPORT_MAX_ROWS   | 5000                       | largest Excel import accepted                  |
| HUBDESK_UPLOAD_MAX_MB     | 10                         | largest uploaded file                          |
| HUBDESK_BACKUP_ON_START   | 1                          | back up at start (also before new migrations)  |
| HUBDESK_BACKUP_EVERY_HOURS| 24                         | back up every N hours while running (0: never) |
| HUBDESK_BACKUP_KEEP       | 14                         | backups kept (the newest N; at least 1)        |
| HUBDESK_BACKUP_DIR        | <HUBDESK_DB's folder>/backups | where backups are written                   |
| HUBDESK_ANALYTICS         | live                       | with PostgreSQL: ``snapshot`` computes the     |
|                           |                            | dashboards on a DuckDB copy (core/platform/    |
|                           |                            | snapshot.py); ``live`` (or anything else) reads|
|                           |                            | PostgreSQL                                     |
| HUBDESK_SNAPSHOT_SECONDS  | 60                         | seconds between the snapshot's refreshes       |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
    backup_on_start: bool = True
    backup_every_hours: float = 24.0
    backup_keep: int = 14
    backup_dir_setting: Path | None = None  # HUBDESK_BACKUP_DIR; None: data_dir / "backups"
    session_idle_minutes: int = 120  # HUBDESK_SESSION_IDLE_MINUTES: a session unused this long is over
    secure_cookie: bool = False  # HUBDESK_SECURE_COOKIE: the sign-in cookie only over HTTPS
    trusted_proxy: bool = False  # HUBDESK_TRUSTED_PROXY: take the client address from X-Forwarded-For
    client_failures: int = 20  # failed sign-ins from one client address within the lockout window
    analytics: str = "live"  # HUBDESK_ANALYTICS: "snapshot": the dashboards on a DuckDB copy of PostgreSQL
    snapshot_seconds: float = 60.0  # HUBDESK_SNAPSHOT_SECONDS: between the snapshot's refreshes
    warm_dashboards: bool = True  # HUBDESK_WARM_DASHBOARDS: compute the dashboards' figures after a start

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent

    @property
    def backup_dir(self) -> Path:
        return self.backup_dir_setting or self.data_dir / "backups"


def _flag(name: str, default: str) -> bool:
    return _env(name, default).lower() not in ("0", "false", "no", "off")


def load() -> Settings:
    def path(name: str, default: str) -> Path:
        p = Path(_env(name, default))
        return p if p.is_absolute() else ROOT / p

    url = os.environ.get("HUBDESK_DB", "")
    if url.strip().lower().startswith(("postgresql://", "postgres://")):
        from core.platform import pg  # a name beside which its files are kept (core/platform/pg.py), not a file

        db_path = pg.local_name(url.strip())
    else:
        db_path = path("HUBDESK_DB", "data/hub.duckdb")
    return Settings(
        db_path=db_path,
        demo=_flag("HUBDESK_DEMO", "1"),
        secrets_path=path("HUBDESK_SECRETS", ".streamlit/secrets.toml"),
        cookie_days=float(_env("HUBDESK_COOKIE_DAYS", "1")),
        bcrypt_rounds=int(_env("HUBDESK_BCRYPT_ROUNDS", "12")),
        login_sleep=float(_env("HUBDESK_LOGIN_SLEEP", "0.7")),
        page_size=int(_env("HUBDESK_PAGE_SIZE", "50")),
        import_max_rows=int(_env("HUBDESK_IMPORT_MAX_ROWS", "5000")),
        upload_max_mb=int(_env("HUBDESK_UPLOAD_MAX_MB", "10")),
        backup_on_start=_flag("HUBDESK_BACKUP_ON_START", "1"),
        backup_every_hours=max(0.0, float(_env("HUBDESK_BACKUP_EVERY_HOURS", "24"))),
        backup_keep=max(1, int(_env("HUBDESK_BACKUP_KEEP", "14"))),
        backup_dir_setting=path("HUBDESK_BACKUP_DIR", "") if _env("HUBDESK_BACKUP_DIR", "") else None,
        session_idle_minutes=max(1, int(_env("HUBDESK_SESSION_IDLE_MINUTES", "120"))),
        secure_cookie=_flag("HUBDESK_SECURE_COOKIE", "0"),
        trusted_proxy=_flag("HUBDESK_TRUSTED_PROXY", "0"),
        client_failures=max(1, int(_env("HUBDESK_CLIENT_FAILURES", "20"))),
        analytics="snapshot" if _env("HUBDESK_ANALYTICS", "live").strip().lower() == "snapshot" else "live",
        snapshot_seconds=max(1.0, float(_env("HUBDESK_SNAPSHOT_SECONDS", "60"))),
        warm_dashboards=_flag("HUBDESK_WARM_DASHBOARDS", "1"),
    )
