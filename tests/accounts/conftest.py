"""A real SMTP server on 127.0.0.1 (aiosmtpd) and an app that sends mail to it."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from app import create_app
from app.services import mail
from tests.conftest import SessionSyncClient
from tests.reliability.server import HOST, free_port

PUBLIC_URL = "https://quiz.example.test"


@dataclass
class Mailbox:
    """What the SMTP server received, as parsed messages."""

    messages: list[Message] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def wait(self, count: int, timeout: float = 10) -> list[Message]:
        """At least ``count`` messages, after the app's sender thread has tried them all."""
        mail.OUTBOX.wait()
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> list[Message]:
        mail.OUTBOX.wait()
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def link(message: Message) -> str:
        body = message.get_payload(decode=True).decode()
        found = re.search(re.escape(PUBLIC_URL) + r"/\S+", body)
        assert found, body
        return found.group(0)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname=HOST, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        mail.OUTBOX.wait()
        controller.stop()


@pytest.fixture
def mail_app(app_config: dict[str, Any], smtp: Mailbox) -> Flask:
    """The web app with SMTP configured to the test server and a public URL."""
    web = create_app(
        {
            **app_config,
            "SMTP_HOST": HOST,
            "SMTP_PORT": smtp.port,
            "SMTP_SECURITY": "none",
            "MAIL_FROM": "quiz@example.test",
            "PUBLIC_URL": PUBLIC_URL,
        }
    )
    web.test_client_class = SessionSyncClient
    return web
