"""A real SMTP server on loopback (aiosmtpd), started by a test, that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sink:
    """The messages an SMTP server accepted, as raw bytes and parsed; `on_data` runs before it answers 250."""

    received: list[tuple[tuple[str, ...], bytes]] = field(default_factory=list)
    on_data: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((tuple(envelope.rcpt_tos), bytes(envelope.content)))
        if self.on_data is not None:
            self.on_data()
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = [data for _, data in self.received]
        return [email.message_from_bytes(d, _class=EmailMessage, policy=email.policy.default) for d in raw]

    def reminder_keys(self) -> list[str]:
        """Every reminder key the messages carry (a merged mail carries several)."""
        return [k for m in self.messages for k in str(m["X-Banfa-Key"]).split()]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a given port, which can be stopped and started again (a server going down)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.sink = Sink()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
