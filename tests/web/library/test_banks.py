"""Uploading banks through the web: check, lint, preview the sync, confirm; bad input refused."""

from __future__ import annotations

import base64
import html
import random
import re
from typing import Any

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.models import Bank, Question, QuestionVersion
from tests.support.config import TEST_CONFIG
from tests.support.library import snapshot
from tests.support.paths import BANKS
from tests.support.web import post_multipart, upload

QUESTION = """
  - id: {qid}
    type: single
    prompt: "{prompt}"
    skill: literal
    difficulty: easy
    evidence: [p1]
    explanation: "Paragraph 1 says so."
    options:
      - text: "Two coups"
        correct: true
      - text: "One coup"
"""
HEADER = """version: 1
bank:
  id: {bank}
  title: "{title}"
sources:
  - id: two-coups
questions:
"""


def bank_text(
    bank: str = "web-bank",
    title: str = "Web bank",
    questions: tuple[str, ...] = ("wb-1",),
    prompt: str = "How many coups?",
) -> str:
    return HEADER.format(bank=bank, title=title) + "".join(
        QUESTION.format(qid=q, prompt=prompt) for q in questions
    )


def page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def token_of(response: Any) -> str:
    match = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, response.get_data(as_text=True)[:3000]
    return match.group(1)


def check(client: Any, text: str | bytes, name: str = "web-bank.yaml") -> Any:
    return post_multipart(client, "/teach/banks/upload", {"file": upload(text, name)})


@pytest.mark.both_dbs
def test_upload_previews_then_confirm_loads(
    backend: str, teacher_client: Any, db: Any, real_banks: Any
) -> None:
    before = snapshot(db)
    response = check(teacher_client, bank_text(questions=("wb-1", "wb-2")))
    body = page(response)
    assert response.status_code == 200, body[:3000]
    assert "Questions added: 2" in body and "wb-1" in body and "wb-2" in body
    assert snapshot(db) == before  # the preview wrote nothing
    confirmed = teacher_client.post("/teach/banks/confirm", data={"token": token_of(response)})
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"].endswith("/teach/banks/web-bank")
    bank = db.session.scalar(select(Bank).where(Bank.slug == "web-bank"))
    assert {q.key for q in bank.questions} == {"wb-1", "wb-2"}
    listing = page(teacher_client.get("/teach/banks/"))
    assert "web-bank" in listing
    shown = page(teacher_client.get("/teach/banks/web-bank"))
    assert "wb-1" in shown and "single" in shown and "literal" in shown

    # the same file again: nothing to do
    again = check(teacher_client, bank_text(questions=("wb-1", "wb-2")))
    assert "Nothing: the library already holds this bank exactly" in page(again)

    # change one, drop one: a new version and a retirement, previewed first
    changed = check(teacher_client, bank_text(questions=("wb-1",), prompt="How many coups now?"))
    body = page(changed)
    assert "new version: 1" in body.lower() or "Questions getting a new version" in body
    assert "Questions retired" in body and "wb-2" in body
    assert (
        teacher_client.post("/teach/banks/confirm", data={"token": token_of(changed)}).status_code
        == 302
    )
    db.session.expire_all()
    q1 = db.session.scalar(select(Question).where(Question.key == "wb-1"))
    q2 = db.session.scalar(select(Question).where(Question.key == "wb-2"))
    assert q1.latest_version == 2 and len(q1.versions) == 2
    assert q2.retired_at is not None


def test_real_bank_uploaded_through_the_web_changes_nothing_once_loaded(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    # As shipped, with its `file:` source: the library's copy of that source is used.
    text = (BANKS / "two-coups.yaml").read_text(encoding="utf-8")
    assert "file: sources/tale-of-two-coups.md" in text
    before = snapshot(db)
    response = check(teacher_client, text, "two-coups.yaml")
    assert response.status_code == 200, page(response)[:3000]
    assert "Nothing: the library already holds this bank exactly" in page(response)
    assert snapshot(db) == before


ALIAS_BOMB = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!python/object/apply:os.system ['touch /tmp/pwned']\n", "YAML tags"),
        ("version: !!python/object/apply:os.system ['echo hi']\n", "YAML tags"),
        (ALIAS_BOMB, "YAML anchors (&a) are not allowed"),
        ("version: 1\nbank: " + "[" * 60 + "]" * 60, "nested deeper than 50 levels"),
        (bank_text(questions=("dup", "dup")), "dup"),
        (
            # an upload never reads a server path: the id must be a library source
            bank_text().replace(
                "  - id: two-coups\n", "  - id: nowhere\n    file: ../../etc/passwd\n"
            ),
            "source `nowhere` is not in the library",
        ),
        (
            bank_text().replace("id: two-coups", "id: no-such-source"),
            "source `no-such-source` is not in the library",
        ),
        (bank_text().replace("evidence: [p1]", "evidence: [p99]"), "has no paragraph 99"),
        (bank_text().replace('prompt: "How many coups?"', "prompt: No"), 'put it in quotes: "No"'),
        (bank_text(questions=("tc-triumvirate",)), "already used by bank `two-coups-reading`"),
        (b"version: 1\nbank: \xff\xfe\n", "not valid UTF-8"),
        ("", "the file is empty"),
        (
            "version: 1\nbank: {id: x, title: T}\nsources:\n  - id: two-coups\n    title: Other\n"
            "    publication: P\n    text: A different text.\nquestions: []\n",
            "already in the library with a different text",
        ),
    ],
)
def test_bank_with_errors_changes_nothing(
    teacher_client: Any, db: Any, real_banks: Any, text: str | bytes, message: str
) -> None:
    before = snapshot(db)
    response = check(teacher_client, text)
    body = page(response)
    assert response.status_code == 400, body[:3000]
    assert message in body
    assert "nothing was changed" in body
    assert 'name="token"' not in body  # no confirm button
    assert re.search(r"<li>web-bank\.yaml:\d+: ", response.get_data(as_text=True))
    assert snapshot(db) == before


def test_problems_name_file_line_and_question(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    text = bank_text(questions=("wb-1", "wb-2")).replace("skill: literal", "skill: literall", 1)
    body = page(check(teacher_client, text, "week1.yaml"))
    assert "week1.yaml:12: wb-1: `skill` `literall` is not one of" in body
    assert "did you mean `literal`?" in body


def test_warnings_do_not_block(teacher_client: Any, db: Any, real_banks: Any) -> None:
    text = bank_text().replace("    evidence: [p1]\n", "")
    response = check(teacher_client, text)
    body = page(response)
    assert response.status_code == 200, body
    assert "warning: no evidence reference" in body or "[L006]" in body
    assert 'name="token"' in response.get_data(as_text=True)


def test_oversized_bank_is_refused(teacher_client: Any, db: Any, real_banks: Any) -> None:
    before = snapshot(db)
    response = check(teacher_client, "# " + "x" * (2 * 1024 * 1024) + "\n")
    assert response.status_code == 400
    assert "larger than 2 MB" in page(response)
    assert snapshot(db) == before


def test_missing_file_is_a_clear_error(teacher_client: Any, db: Any) -> None:
    response = teacher_client.post("/teach/banks/upload", data={})
    assert response.status_code == 400
    assert "Choose a .yaml bank file." in page(response)


@pytest.mark.parametrize("tamper", ["flip", "other-secret", "other-user", "empty"])
def test_tampered_confirmation_is_refused(
    teacher_client: Any, db: Any, real_banks: Any, make: Any, tamper: str
) -> None:
    response = check(teacher_client, bank_text())
    token = token_of(response)
    if tamper == "flip":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif tamper == "other-secret":
        payload = URLSafeTimedSerializer(
            TEST_CONFIG["SECRET_KEY"], salt="hustings.library.bank-upload"
        ).loads(token)
        token = URLSafeTimedSerializer("guess", salt="hustings.library.bank-upload").dumps(payload)
    elif tamper == "other-user":
        serializer = URLSafeTimedSerializer(
            TEST_CONFIG["SECRET_KEY"], salt="hustings.library.bank-upload"
        )
        payload = serializer.loads(token)
        token = serializer.dumps({**payload, "u": make.instructor().id})
    else:
        token = ""
    before = snapshot(db)
    refused = teacher_client.post("/teach/banks/confirm", data={"token": token})
    assert refused.status_code == 400
    assert "could not be verified" in page(refused)
    assert snapshot(db) == before


def test_client_modified_copy_is_never_loaded(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    """Swapping the signed text for another (signed with a wrong key) loads nothing."""
    response = check(teacher_client, bank_text())
    serializer = URLSafeTimedSerializer("not-the-key", salt="hustings.library.bank-upload")
    forged = serializer.dumps({"u": 1, "f": "x.yaml", "d": "0", "t": bank_text(bank="evil")})
    assert teacher_client.post("/teach/banks/confirm", data={"token": forged}).status_code == 400
    assert (
        teacher_client.post("/teach/banks/confirm", data={"token": token_of(response)}).status_code
        == 302
    )
    assert db.session.scalar(select(Bank).where(Bank.slug == "evil")) is None


@pytest.mark.both_dbs
def test_confirm_validates_again_against_the_database(
    backend: str, teacher_client: Any, db: Any, real_banks: Any
) -> None:
    first = check(teacher_client, bank_text(bank="first", questions=("shared-q",)))
    second = check(teacher_client, bank_text(bank="second", questions=("shared-q",)))
    assert (
        teacher_client.post("/teach/banks/confirm", data={"token": token_of(first)}).status_code
        == 302
    )
    before = snapshot(db)
    late = teacher_client.post("/teach/banks/confirm", data={"token": token_of(second)})
    assert late.status_code == 400
    assert "already used by bank `first`" in page(late)
    assert snapshot(db) == before


def test_xss_in_bank_text_is_inert(teacher_client: Any, db: Any, real_banks: Any) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)><em>fine</em>"
    text = bank_text(title=evil.replace('"', "'"), prompt=evil)
    response = check(teacher_client, text)
    assert response.status_code == 200, page(response)[:2000]
    assert (
        teacher_client.post("/teach/banks/confirm", data={"token": token_of(response)}).status_code
        == 302
    )
    for url in (
        "/teach/banks/",
        "/teach/library/",
        "/teach/banks/web-bank",
        "/teach/banks/web-bank/questions/wb-1",
    ):
        body = teacher_client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img" not in body and "onerror=alert" not in body
    question = teacher_client.get("/teach/banks/web-bank/questions/wb-1").get_data(as_text=True)
    assert "<em>fine</em>" in question  # the allowed inline tag survives


def test_xss_in_problem_messages_is_escaped(teacher_client: Any, db: Any, real_banks: Any) -> None:
    text = bank_text().replace("    skill: literal\n", "    skill: literal\n    <script>x: 1\n")
    response = check(teacher_client, text, "<img src=x onerror=alert(1)>.yaml")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>" not in body and "<img" not in body
    assert "unknown key `&lt;script&gt;x`" in body


def test_question_preview_hides_nothing_from_instructors_and_shows_student_view(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    spec = db.session.scalar(
        select(QuestionVersion.spec).join(Question).where(Question.key == "tc-triumvirate")
    )
    body = page(teacher_client.get("/teach/banks/two-coups-reading/questions/tc-triumvirate"))
    assert "As a student sees it" in body
    assert "✔ correct:" in body
    correct = next(o for o in spec["options"] if o["correct"])
    assert html.unescape(correct["text"]) in body
    assert "Version 1" in body


@pytest.mark.parametrize(
    "key",
    ["tc-triumvirate"],
)
def test_every_real_question_previews(
    teacher_client: Any, db: Any, real_banks: Any, key: str
) -> None:
    rows = db.session.execute(
        select(Bank.slug, Question.key).join(Question, Question.bank_id == Bank.id)
    ).all()
    assert len(rows) > 50
    for slug, qkey in rows:
        response = teacher_client.get(f"/teach/banks/{slug}/questions/{qkey}")
        assert response.status_code == 200, (slug, qkey)


def test_bank_gift_export_download(teacher_client: Any, db: Any, real_banks: Any) -> None:
    response = teacher_client.get("/teach/banks/two-coups-reading/export.gift")
    assert response.status_code == 200
    assert "$CATEGORY:" in response.get_data(as_text=True)
    assert "attachment" in response.headers["Content-Disposition"]


def test_large_bank_is_confirmed_by_uploading_the_same_file_again(
    teacher_client: Any, db: Any, real_banks: Any
) -> None:
    rng = random.Random(3)
    questions = "".join(
        QUESTION.format(
            qid=f"big-{n}",
            prompt=base64.b64encode(rng.randbytes(900)).decode() + "?",
        )
        for n in range(500)  # the most a bank may hold
    )
    text = HEADER.format(bank="big", title="Big") + questions
    response = check(teacher_client, text, "big.yaml")
    body = page(response)
    assert response.status_code == 200, body[:3000]
    assert "choose the same file again to confirm" in body
    token = token_of(response)
    before = snapshot(db)
    other = post_multipart(
        teacher_client,
        "/teach/banks/confirm",
        {"token": token, "file": upload(text.replace("big-1\n", "big-x\n"), "big.yaml")},
    )
    assert other.status_code == 400
    assert "This is not the file you checked" in page(other)
    missing = post_multipart(teacher_client, "/teach/banks/confirm", {"token": token})
    assert missing.status_code == 400
    assert snapshot(db) == before
    same = post_multipart(
        teacher_client, "/teach/banks/confirm", {"token": token, "file": upload(text, "big.yaml")}
    )
    assert same.status_code == 302
    assert len(db.session.scalar(select(Bank).where(Bank.slug == "big")).questions) == 500


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (bank_text(title="T" * 301), "the bank title is longer than 300 characters"),
        (bank_text(bank="upload"), "the bank id `upload` names a library page"),
        (
            "version: 1\nbank: {id: x, title: T}\nsources:\n  - id: new-src\n"
            f'    title: "{"T" * 301}"\n    publication: P\n    text: A text.\nquestions: []\n',
            "source `new-src`: `title` is longer than 300 characters",
        ),
    ],
)
def test_ids_and_texts_the_library_cannot_hold_are_errors(
    teacher_client: Any, db: Any, real_banks: Any, text: str, message: str
) -> None:
    before = snapshot(db)
    response = check(teacher_client, text)
    assert response.status_code == 400
    assert message in page(response)
    assert snapshot(db) == before
