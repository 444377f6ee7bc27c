"""The ports: the Protocols services use and adapters implement (fakes imitate them in tests/support/).

repositories (the unit of work and its repositories), accounts (credentials, password hashing), logs (machine
steps, dispatches, reminders, the audit trail), views (read models), documents (the document store), mail
(transports), dispatch (the dispatcher), and bundle (`Ports`, what a service is given). Pure, like the rest of
engine.domain; everything is exported here.
"""

from engine.domain.ports.accounts import AccountRepository, PasswordHasher
from engine.domain.ports.bundle import Ports
from engine.domain.ports.dispatch import Dispatcher
from engine.domain.ports.documents import DocumentStore
from engine.domain.ports.logs import (
    AuditLog,
    AuditRecord,
    Dispatch,
    DispatchLog,
    DutyFacts,
    MachineLog,
    ReminderLog,
    StoredReminder,
)
from engine.domain.ports.mail import MailSession, MailTransport, Outgoing
from engine.domain.ports.repositories import (
    DepartmentRepository,
    DutyRepository,
    NoticeRecord,
    NoticeRepository,
    UnitOfWork,
    UserRepository,
)
from engine.domain.ports.views import DutyRow, ReadModels

__all__ = [
    "AccountRepository",
    "AuditLog",
    "AuditRecord",
    "DepartmentRepository",
    "Dispatch",
    "DispatchLog",
    "Dispatcher",
    "DocumentStore",
    "DutyFacts",
    "DutyRepository",
    "DutyRow",
    "MachineLog",
    "MailSession",
    "MailTransport",
    "NoticeRecord",
    "NoticeRepository",
    "Outgoing",
    "PasswordHasher",
    "Ports",
    "ReadModels",
    "ReminderLog",
    "StoredReminder",
    "UnitOfWork",
    "UserRepository",
]
