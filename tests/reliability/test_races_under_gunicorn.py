"""Races between real requests to real gunicorn workers, on SQLite and on PostgreSQL.

Requests are released together by a ``threading.Barrier``; 4 sync workers serve them in
separate processes, so the database (not a Python lock) must make them safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from app.models import AttemptState
from tests.support import specs
from tests.support.deployment import Deployment, quick_world, report_answers, server_errors
from tests.support.gunicorn import Student, attempt_id_from

pytestmark = pytest.mark.slow
BACKENDS = ["sqlite", "postgresql"]


def together(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(i)`` in ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n, timeout=30)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ten_simultaneous_starts_of_a_one_attempt_quiz_make_exactly_one_attempt(
    deploy: Callable[[str], Deployment], backend: str
) -> None:
    dep = deploy(backend)
    _, _, student, quiz = quick_world(
        dep.make, [specs.single("r-1"), specs.short("r-2")], attempts_allowed=1
    )
    server = dep.serve()
    browser = Student(server)
    browser.login(student.email)
    tabs = [browser.clone() for _ in range(10)]
    start = f"/quizzes/{quiz.id}/start"
    replies = together(10, lambda i: tabs[i].post(start))
    assert [r.status_code for r in replies] == [302] * 10
    made = dep.attempts(quiz.id, student.id)
    assert len(made) == 1, f"{len(made)} attempts for a one-attempt quiz"
    # Every tab was sent to that one attempt (the losers resumed the winner's).
    assert {attempt_id_from(r) for r in replies} == {made[0].id}
    assert len(dep.responses(made[0].id)) == 2  # laid out once, not twice
    assert not server_errors(server), server_errors(server)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ten_simultaneous_submits_finalise_once_with_the_same_result_for_all(
    deploy: Callable[[str], Deployment], backend: str
) -> None:
    dep = deploy(backend)
    _, _, student, quiz = quick_world(dep.make, [specs.single("s-1"), specs.single("s-2")])
    server = dep.serve()
    browser = Student(server)
    browser.login(student.email)
    attempt_id = attempt_id_from(browser.post(f"/quizzes/{quiz.id}/start"))
    assert browser.save(attempt_id, 1, "b", 1).status_code == 200  # right
    assert browser.save(attempt_id, 2, "a", 1).status_code == 200  # wrong
    tabs = [browser.clone() for _ in range(10)]
    replies = together(10, lambda i: tabs[i].post(f"/attempts/{attempt_id}/submit"))
    assert [r.status_code for r in replies] == [302] * 10
    assert {r.headers["Location"] for r in replies} == {f"/attempts/{attempt_id}/result"}
    (attempt,) = dep.attempts(quiz.id)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 1.0
    submitted_at = attempt.submitted_at
    # Every tab now sees the same result page, and nothing was graded twice.
    pages = {tab.get(f"/attempts/{attempt_id}/result").text.count("1 / 2") for tab in tabs}
    assert len(pages) == 1
    assert dep.attempts(quiz.id)[0].submitted_at == submitted_at
    assert not server_errors(server), server_errors(server)


@pytest.mark.parametrize("backend", BACKENDS)
def test_autosave_racing_the_submit_every_acknowledged_save_is_graded_late_ones_get_409(
    deploy: Callable[[str], Deployment], backend: str
) -> None:
    dep = deploy(backend)
    question_specs = [specs.single(f"a-{i}") for i in range(1, 5)]
    _, _, student, quiz = quick_world(dep.make, question_specs)
    server = dep.serve()
    browser = Student(server)
    browser.login(student.email)
    attempt_id = attempt_id_from(browser.post(f"/quizzes/{quiz.id}/start"))
    acknowledged: dict[int, tuple[int, str]] = {}
    refused: list[tuple[int, int, str]] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(5, timeout=30)
    some_saved = threading.Event()
    submitted = threading.Event()

    def saver(position: int) -> None:
        tab = browser.clone()
        barrier.wait()
        after_submit = 0
        for seq in range(1, 400):
            value = "abc"[seq % 3]
            r = tab.save(attempt_id, position, value, seq)
            with lock:
                if r.status_code == 200 and r.json().get("seq") == seq:
                    acknowledged[position] = (seq, value)
                    if len(acknowledged) == 4 and seq > 3:
                        some_saved.set()
                elif r.status_code == 409 and r.json().get("error") == "closed":
                    if "saved_at" in r.json():
                        errors.append(f"a refused save was reported as saved: {r.text}")
                    refused.append((position, seq, value))
                    return  # the page stops saving once told the attempt is closed
                else:
                    errors.append(f"{r.status_code} {r.text[:300]}")
                    return
            if submitted.is_set():
                after_submit += 1
                if after_submit >= 5:
                    return  # saves still accepted after the submit: asserted on below

    def submitter() -> None:
        tab = browser.clone()
        barrier.wait()
        some_saved.wait(30)  # every question has been saved a few times: the race is on
        r = tab.post(f"/attempts/{attempt_id}/submit")
        submitted.set()
        if r.status_code != 302:
            errors.append(f"submit: {r.status_code}")

    threads = [threading.Thread(target=saver, args=(p,)) for p in range(1, 5)]
    threads.append(threading.Thread(target=submitter))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    responses = dep.responses(attempt_id)
    (attempt,) = dep.attempts(quiz.id)
    assert attempt.state == AttemptState.SUBMITTED
    report_answers(
        f"autosave racing the submit ({backend}; last acknowledged answer per question)",
        4, len(acknowledged),
        sum(1 for p, (_, v) in acknowledged.items() if responses[p].value == v),
    )  # fmt: skip
    for position, response in responses.items():
        seq, value = acknowledged.get(position, (0, None))
        assert (response.seq, response.value) == (seq, value), f"question {position}"
        assert response.score == (1.0 if value == "b" else 0.0)  # graded on that very value
    assert attempt.score == sum(1.0 for seq, v in acknowledged.values() if v == "b")
    assert refused, "no save came late: the race did not happen"
    # A save after the submit is refused as well, and reported as not saved.
    late = browser.save(attempt_id, 1, "b", 500)
    assert late.status_code == 409 and late.json()["error"] == "closed"
    assert dep.responses(attempt_id)[1].seq == acknowledged.get(1, (0, None))[0]
    assert not server_errors(server), server_errors(server)
