"""Hold Banfa's settings: one pydantic-settings class, read from BANFA_* variables when asked, never at import."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _bundled(package: str, checkout: str) -> Path:
    """Find default data: the checkout's folder beside the package, else the copy shipped inside it.

    An editable install (`make run`, `make test`) reads and writes the repository's own folder, which people
    review in git; an installed wheel reads the copy packaged as `package`.
    """
    folder = Path(__file__).resolve().parent.parent / checkout
    if folder.is_dir():
        return folder
    # The packaged copies have no __init__.py, so they are namespace packages: ask for their folder.
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise RuntimeError(f"the packaged defaults ({package}) are missing from this install")
    return Path(locations[0])


def bundled_rules_dir() -> Path:
    return _bundled("engine.bundled_rules", "rules")


def bundled_templates_dir() -> Path:
    return _bundled("engine.bundled_templates", "documents/templates")


class Settings(BaseSettings):
    """Banfa's settings. `data_dir` holds the database, generated documents and the outbox."""

    model_config = SettingsConfigDict(env_prefix="BANFA_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Path("var")
    rules_dir: Path | None = None
    templates_dir: Path | None = None
    demo_contacts: bool = False
    database_url: SecretStr | None = None  # BANFA_DATABASE_URL; the embedded default is <data dir>/banfa.db
    document_store: Literal["sql", "file"] = "sql"
    # Prefect: with an API URL the workflow dispatches to the deployment; without one it works in-process.
    prefect_api_url: str | None = None  # BANFA_PREFECT_API_URL, e.g. http://127.0.0.1:4200/api
    prefect_deployment: str = "advance-duty/banfa"
    prefect_stall_seconds: int = 300  # a run a worker took and left silent this long is lost
    # `banfa up`'s Prefect server: its database (default SQLite under <data dir>/prefect; postgresql://… for
    # scale-out), where it listens, and the "user:password" that protects its API, required beyond loopback.
    # Every client Banfa starts sends the same string (Prefect's PREFECT_API_AUTH_STRING).
    prefect_database_url: SecretStr | None = None  # BANFA_PREFECT_DATABASE_URL
    prefect_host: str = "127.0.0.1"  # BANFA_PREFECT_HOST
    prefect_auth_string: SecretStr | None = None  # BANFA_PREFECT_AUTH_STRING
    workers: int = 1  # BANFA_WORKERS: Banfa workers (processes) `banfa up` starts on this machine
    # Days of flow-run history the Prefect server keeps (its db_vacuum service deletes runs that ended earlier,
    # with their task runs, logs and artifacts); 0 keeps them all. Banfa's own tables keep every dispatch.
    prefect_retention_days: int = 90  # BANFA_PREFECT_RETENTION_DAYS
    portal_url: str = "http://127.0.0.1:8000"  # links in artifacts and mail; where the portal listens
    portal_secret: SecretStr | None = None  # signs the session cookies; default: <data dir>/portal-secret
    portal_idle_minutes: int = 30  # a session unused this long ends
    portal_workers: int = 1  # uvicorn worker processes of `banfa serve`
    # Mail: with no SMTP host, every message goes to <data dir>/outbox as an .eml file (the embedded default).
    smtp_host: str | None = None  # BANFA_SMTP_HOST
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = None  # trust this CA too (a relay with a certificate of the office's own CA)
    mail_from: str = "banfa@banfa.local"  # the From address of reminders and digests
    mail_from_name: str = "办法起草流程系统"
    scheduler_tick_seconds: int = 60  # how often the scheduler looks for due reminders and ended windows
    scheduler_reconcile_seconds: int = 300
    # The scheduler's daily backup at 02:30 Asia/Shanghai: the newest `backup_keep` archives stay in
    # `backup_dir` (default <data dir>/backups); 0 turns it off.
    backup_dir: Path | None = None  # BANFA_BACKUP_DIR
    backup_keep: int = 7  # BANFA_BACKUP_KEEP

    def resolved(self) -> Settings:
        """Return a copy with absolute paths, so that nothing later depends on the current folder."""
        return self.model_copy(
            update={
                "data_dir": self.data_dir.expanduser().resolve(),
                "rules_dir": (self.rules_dir or bundled_rules_dir()).expanduser().resolve(),
                "templates_dir": (self.templates_dir or bundled_templates_dir()).expanduser().resolve(),
            }
        )

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def rules(self) -> Path:
        return self.rules_dir or bundled_rules_dir()

    @property
    def templates(self) -> Path:
        return self.templates_dir or bundled_templates_dir()
