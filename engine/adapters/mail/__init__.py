"""Mail out of Banfa: MIME rendering of a `Mail`, and the two transports behind the MailTransport port, SMTP
and the local outbox. Imports engine.domain.
"""
