"""SMTP as an office's relay runs it: STARTTLS or SSL with a certificate of the office's own CA, and a login."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engine.adapters.mail.smtp import SmtpServer, SmtpTransport
from engine.domain.ports import Outgoing
from engine.errors import MailUnavailable
from tests.support.mailbox import Sink, free_port

USER, PASSWORD = "banfa", "s3cret"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: the office's own CA, as far as the client knows."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "banfa test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def _relay(certificate: tuple[Path, Path], implicit: bool) -> Iterator[tuple[Sink, int]]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    sink, port = Sink(), free_port()
    # Over implicit TLS aiosmtpd does not count the session as secured, so it must not insist on STARTTLS.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False}
        if implicit
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=_authenticate, **tls)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture(params=["starttls", "ssl"])
def relay(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[tuple[Sink, int, str]]:
    for sink, port in _relay(certificate, implicit=request.param == "ssl"):
        yield sink, port, request.param


def _mail() -> Outgoing:
    data = b"Subject: =?utf-8?b?5rWL6K+V?=\r\nX-Banfa-Key: k1\r\n\r\nbody\r\n"
    return Outgoing("<m1@t>", "banfa@example.org", ("a@example.org",), data, ("k1",), dt.date(2007, 9, 27))


def test_mail_goes_over_tls_with_a_login_when_the_office_ca_is_trusted(
    relay: tuple[Sink, int, str], certificate: tuple[Path, Path]
) -> None:
    sink, port, security = relay
    server = SmtpServer("127.0.0.1", port, security, USER, PASSWORD, 10, str(certificate[0]))  # type: ignore[arg-type]
    with SmtpTransport(server).session() as session:
        session.send(_mail())
    assert [str(m["X-Banfa-Key"]) for m in sink.messages] == ["k1"]


@pytest.mark.parametrize(
    ("password", "trusted", "says"),
    [("wrong", True, "535"), (PASSWORD, False, "CERTIFICATE_VERIFY_FAILED"), ("口令", True, "ASCII")],
    ids=["wrong password", "untrusted certificate", "a password smtplib cannot send"],
)
def test_a_relay_that_refuses_the_login_or_cannot_be_trusted_sends_nothing(
    relay: tuple[Sink, int, str], certificate: tuple[Path, Path], password: str, trusted: bool, says: str
) -> None:
    sink, port, security = relay
    ca = str(certificate[0]) if trusted else None
    server = SmtpServer("127.0.0.1", port, security, USER, password, 10, ca)  # type: ignore[arg-type]
    with pytest.raises(MailUnavailable, match=says), SmtpTransport(server).session() as session:
        session.send(_mail())
    assert sink.messages == []
