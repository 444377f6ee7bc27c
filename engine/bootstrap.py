"""Build the adapters Banfa runs on from its settings: the registry, the calendar, the catalogue paths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from engine.adapters.rules import load_calendar, load_catalogue, load_registries, load_reminder_policy
from engine.adapters.sql.connection import default_url, make_engine
from engine.adapters.sql.documents import SqlDocumentStore
from engine.adapters.sql.migrate import is_current, migrate
from engine.adapters.sql.unit_of_work import SqlUnitOfWork
from engine.config import Settings
from engine.domain.departments import Registries, Registry
from engine.domain.intake.specs import Catalogue
from engine.domain.ports import Dispatcher, DocumentStore, MailTransport, PasswordHasher, Ports
from engine.domain.workdays import WorkCalendar
from engine.domain.workflow.ledger import LedgerWriter

if TYPE_CHECKING:
    from engine.adapters.backup import Restored, Sources, Taken
    from engine.adapters.drafting.render import Renderer
    from engine.adapters.wording import JinjaWording
    from engine.domain.drafting.content import Content
    from engine.services.reminders.sending import Mailing


@dataclass(frozen=True)
class Rules:
    """The data people edit, loaded once per command."""

    directory: Path
    registry: Registry  # every registry as one: department keys are unique across them
    calendar: WorkCalendar
    registries: Registries | None = None  # the registries apart, for intake to read a notice with its own

    def registry_for(self, text: str) -> Registry:
        """The registry a notice's issuer or 文号 calls for (the default when none fits)."""
        if self.registries is None:
            return self.registry
        from engine.domain.intake.notice import header

        return self.registries.for_notice(*header(text))

    def registry_named(self, registry_id: str | None) -> Registry:
        return self.registries.named(registry_id) if self.registries else self.registry

    def catalogue_path(self, notice_id: str) -> Path:
        return self.directory / "notices" / f"{notice_id}.toml"

    def catalogue_paths(self) -> list[Path]:
        return sorted((self.directory / "notices").glob("*.toml"))

    def catalogues(self) -> list[Catalogue]:
        """Load and validate every committed catalogue."""
        return [load_catalogue(p, self.registry, self.calendar) for p in self.catalogue_paths()]


@dataclass(frozen=True)
class Templates:
    """The Word templates and the document wording, parsed once per process."""

    directory: Path
    wording: JinjaWording
    renderer: Renderer


def load_templates(settings: Settings) -> Templates:
    from engine.adapters.drafting.render import renderer
    from engine.adapters.wording import wording

    directory = settings.templates
    return Templates(directory, wording(directory / "text"), renderer(directory))


class LazyTemplates:
    """The wording and the renderer, loaded at the first document: the verbs that only read (status, tasks,
    board) never parse a Word template nor import python-docx or Jinja2. A broken template is reported by the
    first document that needs it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """The `Wording` port: the text template rendered with the context."""
        from engine.adapters.wording import wording

        return wording(self.directory / "text").render(template, context)

    def render_document(self, content: Content) -> bytes:
        """The `render` port: the content laid out with the Word templates."""
        from engine.adapters.drafting.render import renderer

        return renderer(self.directory).render(content)


def preload(settings: Settings) -> None:
    """Import and load what every document needs and nothing changes: the Word templates and the wording, with
    python-docx and Jinja2. Banfa's worker does it once before its first flow run, instead of every run (0.2 s
    each)."""
    from engine.adapters.drafting.render import renderer
    from engine.adapters.wording import wording

    renderer(settings.templates)
    wording(settings.templates / "text")


def load_rules(settings: Settings) -> Rules:
    directory = settings.rules
    registries = load_registries(directory, demo_contacts=settings.demo_contacts)
    return Rules(directory, registries.combined, load_calendar(directory), registries)


@dataclass(frozen=True)
class Workflow:
    """The workflow's ports and dispatcher, built from the settings."""

    ports: Ports
    dispatcher: Dispatcher
    db_engine: Engine


def database_url(settings: Settings) -> str:
    return (
        settings.database_url.get_secret_value() if settings.database_url else default_url(settings.data_dir)
    )


def open_workflow(settings: Settings, *, migrate_embedded: bool = True) -> Workflow:
    """Connect to the database (migrating the embedded default by itself) and build the ports."""
    url = database_url(settings)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_engine = make_engine(url)
    if migrate_embedded and settings.database_url is None and not is_current(db_engine):
        migrate(db_engine)
    rules, templates = load_rules(settings), LazyTemplates(settings.templates)
    ports = Ports(
        lambda: SqlUnitOfWork(db_engine),
        document_store(settings, db_engine),
        rules.registry,
        rules.calendar,
        templates,
        templates.render_document,
        reminders=load_reminder_policy(rules.directory),
        read=lambda: SqlUnitOfWork(db_engine, read_only=True),
    )
    return Workflow(ports, dispatcher_for(settings, ports), db_engine)


def document_store(settings: Settings, db_engine: Engine) -> DocumentStore:
    """The database (the default), or a folder of files under the data directory."""
    if settings.document_store == "sql":
        return SqlDocumentStore(db_engine)
    from engine.adapters.drafting.file_store import FileDocumentStore

    return FileDocumentStore(settings.data_dir / "documents")


def password_hasher() -> PasswordHasher:
    """argon2, loaded only by the verbs that hash or check a password."""
    from engine.adapters.passwords import Argon2Passwords

    return Argon2Passwords()


def mailing_for(settings: Settings) -> Mailing:
    """SMTP when a host is configured, else the outbox under the data directory."""
    from engine.adapters.mail.mime import MimeComposer
    from engine.adapters.mail.outbox import OutboxTransport
    from engine.adapters.mail.smtp import SmtpServer, SmtpTransport
    from engine.domain.reminders.mail import Address
    from engine.services.reminders.sending import Mailing

    transport: MailTransport
    if settings.smtp_host:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        server = SmtpServer(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_username,
            password,
            settings.smtp_timeout,
            str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )
        transport = SmtpTransport(server)
    else:
        transport = OutboxTransport(settings.outbox)
    composer = MimeComposer(settings.templates, Address(settings.mail_from_name, settings.mail_from))
    domain = settings.mail_from.partition("@")[2] or "banfa.local"
    return Mailing(transport, composer.compose, settings.portal_url, domain)


class LocalDispatcher:
    """The in-process dispatcher (engine.services.machine.InProcessDispatcher), loaded on first use: a verb that
    only reads (status, tasks) never dispatches, and the drafting code it would load is a fifth of its start-up."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports

    @cached_property
    def _dispatcher(self) -> Dispatcher:
        from engine.services.machine import InProcessDispatcher

        return InProcessDispatcher(self.ports)

    def advance(self, duty_id: str, now: dt.datetime) -> None:
        self._dispatcher.advance(duty_id, now)

    def reconcile(self, now: dt.datetime) -> list[str]:
        return self._dispatcher.reconcile(now)


def dispatcher_for(settings: Settings, ports: Ports) -> Dispatcher:
    """The Prefect dispatcher when a Prefect server is configured, else the in-process one."""
    if settings.prefect_api_url is None:
        return LocalDispatcher(ports)
    from engine.adapters.prefect.dispatcher import PrefectDispatcher

    return PrefectDispatcher(
        ports.uow,
        api_url=settings.prefect_api_url,
        auth_string=settings.prefect_auth_string.get_secret_value() if settings.prefect_auth_string else None,
        deployment=settings.prefect_deployment,
        stall_after=dt.timedelta(seconds=settings.prefect_stall_seconds),
    )


def ledger_writer() -> LedgerWriter:
    """The .xlsx writer of the 督办台账 (openpyxl), loaded only by the verbs that export one."""
    from engine.adapters.ledger import write_ledger

    return write_ledger


def backup_sources(settings: Settings) -> Sources:
    """What `banfa backup` and the scheduler's daily backup read: the database, the data and the rules."""
    from engine.adapters.backup import Sources

    s = settings.resolved()
    return Sources(database_url(s), s.data_dir, s.rules, s.document_store == "file")


def take_backup(settings: Settings, target: Path, *, now: dt.datetime) -> Taken:
    from engine.adapters.backup import take

    return take(target, backup_sources(settings), now=now)


def restore_backup(settings: Settings, archive: Path, *, now: dt.datetime) -> Restored:
    """Restore into the settings' data directory and database (BANFA_DATABASE_URL, or the embedded file)."""
    from engine.adapters.backup import restore

    s = settings.resolved()
    url = s.database_url.get_secret_value() if s.database_url else None
    return restore(archive, s.data_dir, url, now=now)
