"""Mail as a person receives it: every template renders into proper MIME, and every transport (the fake, the
outbox, a real SMTP server on loopback) passes the same contract."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from engine.adapters.mail.mime import MimeComposer
from engine.adapters.mail.outbox import OutboxTransport, read_outbox
from engine.adapters.mail.smtp import SmtpServer, SmtpTransport
from engine.bootstrap import Workflow, mailing_for
from engine.config import Settings
from engine.domain.ports import Outgoing, StoredReminder
from engine.domain.reminders.mail import Address
from engine.domain.reminders.planner import Kind, Reminder
from engine.errors import MailUnavailable
from engine.services import workflow as wf
from engine.services.reminders.composing import mails_for
from tests.support import mailbox
from tests.support.fakes import MemoryMailbox
from tests.support.paths import ROOT
from tests.support.workflows import SAMPLE, SHANGHAI, at, workflow_with_people

NOW = dt.datetime(2007, 12, 20, 9, 0, tzinfo=SHANGHAI)
TEMPLATES = ROOT / "documents" / "templates"


def parse(data: bytes) -> EmailMessage:
    return email.message_from_bytes(data, _class=EmailMessage, policy=email.policy.default)


@pytest.fixture
def flow(tmp_path: Path) -> Iterator[tuple[Workflow, Settings]]:
    workflow, settings = workflow_with_people(f"sqlite:///{tmp_path / 'mail.db'}", tmp_path)
    wf.start_duty(
        SAMPLE, actor="zhang", now=at("2007-09-11"), ports=workflow.ports, dispatcher=workflow.dispatcher
    )
    yield workflow, settings
    workflow.db_engine.dispose()


def _reminder(kind: Kind, about: str, to: str, cc: str = "") -> StoredReminder:
    due = {Kind.REPLY_DUE: dt.date(2007, 12, 24), Kind.OVERDUE: dt.date(2007, 12, 10)}.get(
        kind, dt.date(2007, 12, 29)
    )
    notice = "sfb2007-129"
    subject = notice if kind is Kind.DIGEST else SAMPLE
    key = f"{subject}:{kind.value}:{about}:{due.isoformat()}"
    return StoredReminder(Reminder(key, subject, notice, kind, due, NOW.date(), to, cc, about), "sending")


CASES = [
    (Kind.BEFORE_DRAFTING, "drafting", "caizheng:officer", "", "完成起草"),
    (Kind.BEFORE_CONSULTATION, "consultation", "caizheng:officer", "", "结束征求意见"),
    (Kind.BEFORE_REVIEW, "revision", "caizheng:officer", "", "提交合法性审核"),
    (Kind.BEFORE_DELIBERATION, "deliberation", "caizheng:officer", "", "完成集体审议"),
    (Kind.BEFORE_PUBLISH, "publish", "caizheng:officer", "", "发布实施"),
    (Kind.REPLY_DUE, "r1-maogong", "maogong:liaison", "", "反馈征求意见"),
    (Kind.OVERDUE, "6", "caizheng:officer", "caizheng:leader", "逾期第 6 个工作日"),
    (Kind.FILING, "filing", "caizheng:officer", "", "报送备案"),
    (Kind.DIGEST, "digest", "maogong:liaison", "", "存在逾期风险的任务"),
]


@pytest.mark.parametrize(("kind", "about", "to", "cc", "says"), CASES, ids=[c[0].value for c in CASES])
def test_every_template_renders_a_proper_chinese_mail(
    flow: tuple[Workflow, Settings], kind: Kind, about: str, to: str, cc: str, says: str
) -> None:
    workflow, settings = flow
    mailing = mailing_for(settings)
    stored = _reminder(kind, about, to, cc)
    with workflow.ports.uow() as uow:
        (content,) = mails_for([[stored]], NOW, workflow.ports, mailing, uow)
    assert not isinstance(content, str), content
    mail = MimeComposer(TEMPLATES, Address("办法", "banfa@example.org")).compose(content, (stored.key,))
    raw = mail.data.decode("ascii")  # 7-bit clean: the Chinese is encoded
    assert "Subject: =?utf-8?" in raw and 'charset="utf-8"' in raw
    message = parse(mail.data)
    assert message["Date"].datetime == NOW
    assert (message["X-Banfa-Kind"], message["X-Banfa-Due"]) == (kind.value, stored.reminder.due.isoformat())
    assert str(message["X-Banfa-Key"]).strip() == stored.key  # a long key is folded onto its own line
    assert message["X-Banfa-Duty"] == stored.reminder.subject
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert says in text and "http://127.0.0.1:8000/" in text and "2007年12月20日" in text
    assert message["To"].addresses[0].addr_spec == f"{to.replace(':', '.')}@example.org"
    assert ("caizheng.leader@example.org" in str(message["Cc"])) == bool(cc)
    if kind is not Kind.DIGEST:
        assert "深圳市服务外包人才培训资助资金使用和监管办法" in text  # the duty's title, from the database
        assert f"{stored.reminder.due.month}月{stored.reminder.due.day}日" in text
        assert "个工作日" in text
    assert "【" in str(message["Subject"])


def test_the_first_reminder_of_a_duty_carries_its_milestones_as_an_ics_file(
    flow: tuple[Workflow, Settings], tmp_path: Path
) -> None:
    workflow, settings = flow
    mailing = mailing_for(settings)
    first = _reminder(Kind.BEFORE_DRAFTING, "drafting", "caizheng:officer")
    with workflow.ports.uow() as uow:
        (content,) = mails_for([[first]], NOW, workflow.ports, mailing, uow)
    assert not isinstance(content, str)
    message = parse(mailing.compose(content, (first.key,)).data)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "milestones.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    events = {str(e["summary"]).split("：")[1]: e.decoded("dtstart") for e in calendar.walk("VEVENT")}
    with workflow.ports.uow() as uow:
        planned = dict(uow.reminders.milestones([SAMPLE])[SAMPLE])
    assert events["集体审议"] == planned["deliberation"] and events["审查"] == planned["review"]


def _outgoing(n: int) -> Outgoing:
    data = f"Subject: =?utf-8?b?5rWL6K+V?=\r\nX-Banfa-Key: k{n}\r\nMessage-ID: <m{n}@t>\r\n\r\nbody {n}\r\n"
    return Outgoing(
        f"<m{n}@t>", "banfa@example.org", ("a@example.org",), data.encode(), (f"k{n}",), NOW.date()
    )


def _smtp(tmp_path: Path) -> Iterator[tuple[object, Callable[[], list[bytes]], Callable[[], None]]]:
    server = mailbox.SmtpServer().start()
    transport = SmtpTransport(SmtpServer("127.0.0.1", server.port, timeout=5))
    yield transport, lambda: [d for _, d in server.sink.received], server.stop
    server.stop()


def _outbox(tmp_path: Path) -> Iterator[tuple[object, Callable[[], list[bytes]], Callable[[], None]]]:
    folder = tmp_path / "outbox"
    blocker = tmp_path / "blocked"

    def down() -> None:
        blocker.write_text("a file where the folder should be")
        transport.folder = blocker / "outbox"

    transport = OutboxTransport(folder)
    yield transport, lambda: [e.path.read_bytes() for e in read_outbox(folder)], down


def _memory(tmp_path: Path) -> Iterator[tuple[object, Callable[[], list[bytes]], Callable[[], None]]]:
    box = MemoryMailbox()

    def down() -> None:
        box.down = True

    yield box, lambda: [m.data for m in box.sent], down


@pytest.fixture(params=[_memory, _outbox, _smtp], ids=["fake", "outbox", "smtp"])
def transport(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[object, Callable[[], list[bytes]], Callable[[], None]]]:
    yield from request.param(tmp_path)


def test_a_transport_delivers_each_mail_of_a_session_intact(
    transport: tuple[object, Callable[[], list[bytes]], Callable[[], None]],
) -> None:
    sender, delivered, _ = transport
    with sender.session() as session:  # type: ignore[attr-defined]
        for n in range(3):
            session.send(_outgoing(n))
    got = sorted(str(parse(d)["X-Banfa-Key"]) for d in delivered())
    assert got == ["k0", "k1", "k2"]
    assert all("body" in parse(d).get_content() for d in delivered())


def test_a_transport_that_cannot_be_reached_says_so_before_anything_is_sent(
    transport: tuple[object, Callable[[], list[bytes]], Callable[[], None]],
) -> None:
    sender, delivered, down = transport
    down()
    with pytest.raises(MailUnavailable), sender.session() as session:  # type: ignore[attr-defined]
        session.send(_outgoing(0))
    assert delivered() == []
