"""120 students start, autosave and submit together on SQLite with 4 gunicorn workers.

The benchmark measures speed; this proves correctness under the same kind of load: no 500s, no
"database is locked", and every answer the server acknowledged is in the database and graded.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import insert

from app.domain.passwords import hash_password
from app.extensions import db
from app.models import Enrolment, Role, User
from tests.support import factories, specs
from tests.support.deployment import Deployment, quick_world, report_answers, server_errors
from tests.support.gunicorn import Student, attempt_id_from

pytestmark = pytest.mark.slow
STUDENTS = 120
QUESTIONS = 5


def test_120_students_at_once_get_no_500_no_lock_errors_and_lose_no_answer(
    deploy: Callable[[str], Deployment],
) -> None:
    dep = deploy("sqlite")
    question_specs = [specs.single(f"c-{i}") for i in range(1, QUESTIONS)] + [specs.short("c-s")]
    _, course, _, quiz = quick_world(dep.make, question_specs, attempts_allowed=1)
    password_hash = hash_password(factories.PASSWORD)
    emails = [f"load{i}@example.test" for i in range(STUDENTS)]
    ids = db.session.scalars(
        insert(User).returning(User.id),
        [{"email": e, "name": f"Load {i}", "role": Role.STUDENT, "password_hash": password_hash,
          "student_number": f"L{i:04d}"} for i, e in enumerate(emails)],
    ).all()  # fmt: skip
    db.session.execute(
        insert(Enrolment), [{"course_id": course.id, "user_id": i, "role": "student"} for i in ids]
    )
    quiz_id = quiz.id
    server = dep.serve(workers=4)

    statuses: Counter[int] = Counter()
    acknowledged: dict[int, dict[int, Any]] = {}
    lock = threading.Lock()
    go = threading.Barrier(STUDENTS, timeout=60)

    def note(r: Any) -> Any:
        with lock:
            statuses[r.status_code] += 1
        return r

    def student(i: int) -> None:
        rng = random.Random(i)
        browser = Student(server)
        browser.login(emails[i])
        go.wait()  # everyone starts together
        attempt_id = attempt_id_from(note(browser.post(f"/quizzes/{quiz_id}/start")))
        note(browser.get(f"/attempts/{attempt_id}"))
        mine: dict[int, Any] = {}
        for seq in (1, 2):
            for position in range(1, QUESTIONS + 1):
                value = rng.choice("abc") if position < QUESTIONS else f"answer {i}.{seq}"
                r = note(browser.save(attempt_id, position, value, seq))
                assert r.status_code == 200, r.text[:300]
                mine[position] = value
        r = note(browser.post(f"/attempts/{attempt_id}/submit"))
        assert r.status_code == 302 and r.headers["Location"].endswith("/result")
        with lock:
            acknowledged[attempt_id] = mine

    started = time.monotonic()
    with ThreadPoolExecutor(STUDENTS) as pool:
        for future in [pool.submit(student, i) for i in range(STUDENTS)]:
            future.result(timeout=120)
    elapsed = time.monotonic() - started

    assert statuses[500] == 0 and set(statuses) <= {200, 302}, statuses
    assert not server_errors(server), server_errors(server)[:5]
    attempts = dep.attempts(quiz_id)
    assert len(attempts) == STUDENTS == len(acknowledged)
    found = 0
    stored_all = {a.id: {p: r.value for p, r in dep.responses(a.id).items()} for a in attempts}
    for attempt_id, mine in acknowledged.items():
        found += sum(1 for p, v in mine.items() if stored_all.get(attempt_id, {}).get(p) == v)
    report_answers(
        f"{STUDENTS} students start, save and submit at once (last answer per question)",
        STUDENTS * QUESTIONS, sum(len(m) for m in acknowledged.values()), found,
    )  # fmt: skip
    for attempt in attempts:
        assert attempt.state == "submitted"
        stored = stored_all[attempt.id]
        assert stored == acknowledged[attempt.id], f"attempt {attempt.id} lost an answer"
    assert elapsed < 90, f"took {elapsed:.0f} s"
