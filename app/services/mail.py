"""Outgoing mail: password-reset links, invitations and account notices.

Messages go to a small outbox that one background thread per process sends, so a request never
waits on a mail server, and a page answers in the same time whether or not a message was
queued (the forgot-password and sign-up pages must not reveal which emails have accounts).
Without ``SMTP_HOST`` nothing is queued: instructors hand out links instead.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from app.domain.notices import Mail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings | None:
        if not config.get("SMTP_HOST"):
            return None
        security = (config.get("SMTP_SECURITY") or "starttls").lower()
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"SMTP_SECURITY={security!r}: use starttls, ssl or none")
        sender = config.get("MAIL_FROM")
        if not sender:
            raise ValueError("SMTP_HOST is set but MAIL_FROM is not: set the sender address")
        if not config.get("PUBLIC_URL"):
            raise ValueError(
                "SMTP_HOST is set but PUBLIC_URL is not: emailed links need the site's address"
            )
        return cls(
            host=config["SMTP_HOST"],
            port=int(config.get("SMTP_PORT") or 587),
            security=security,
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            sender=sender,
        )


def deliver(settings: SmtpSettings, mail: Mail, timeout: float = 15.0) -> None:
    """Send one message now (raises on failure)."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)


class Outbox:
    """Messages waiting for the sender thread of this process."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[SmtpSettings, Mail]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, settings: SmtpSettings, mail: Mail) -> None:
        self._queue.put((settings, mail))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            settings, mail = self._queue.get()
            try:
                deliver(settings, mail)
                log.info("mail sent to %s: %s", mail.to, mail.subject)
            except (OSError, smtplib.SMTPException):
                log.exception("mail to %s could not be sent: %s", mail.to, mail.subject)
            finally:
                self._queue.task_done()

    def wait(self) -> None:
        """Block until every queued message was tried (tests, and the CLI before exiting)."""
        self._queue.join()


OUTBOX = Outbox()


def send(config: Any, mail: Mail) -> bool:
    """Queue ``mail`` when SMTP is configured; False (and nothing queued) when it is not."""
    settings = SmtpSettings.from_config(config)
    if settings is None:
        return False
    OUTBOX.put(settings, mail)
    return True
