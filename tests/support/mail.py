"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what the app sends."""

from __future__ import annotations

import email
import re
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from app.services import mail

PUBLIC_URL = "https://quiz.example.test"


@dataclass
class Mailbox:
    """What the SMTP server received, as parsed messages (the aiosmtpd handler)."""

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
