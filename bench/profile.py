"""Profile one request type in-process: ``python bench/profile.py page|save|submit [-n 200]``.

Builds a throwaway SQLite (or ``--db URL``) database with the bench fixture, logs a student in
through the real login form (CSRF on, production settings), then runs the request ``-n`` times
under pyinstrument (``pip install pyinstrument``) and prints where the time goes, plus the
mean milliseconds per request without the profiler.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import fixture  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("page", "save", "submit", "hello"))
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of pyinstrument")
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="hustings-profile-"))
    url = args.db or f"sqlite:///{tmp / 'p.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "profile-" + "p" * 32,
            "SESSION_COOKIE_SECURE": False,
        },
        instance_path=tmp / "instance",
    )
    with app.app_context():
        fixture.create_schema()
        fixture.load_shipped_banks()
        course = fixture.build_course(1, {"q": 1 + (args.n if args.kind == "submit" else 0)})
        uid, email = course.students[0]
        quizzes = course.quizzes["q"]
        page_attempt = fixture.open_attempts(quizzes[0], [uid], answered=True)[uid]
        submit_attempts = [fixture.open_attempts(q, [uid], answered=True)[uid] for q in quizzes[1:]]
        from app.extensions import db

        db.session.remove()
    c = app.test_client()
    form = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    r = c.post("/login", data={"email": email, "password": fixture.PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    page = c.get(f"/attempts/{page_attempt}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    spec = quizzes[0].specs[9]  # a single-choice question

    def one(i: int) -> None:
        if args.kind == "page":
            r = c.get(f"/attempts/{page_attempt}")
            assert r.status_code == 200
        elif args.kind == "save":
            body = {"value": fixture.answer_for(spec, i), "seq": 10 + i}
            r = c.post(f"/attempts/{page_attempt}/responses/10", json=body,
                       headers={"X-CSRFToken": token})  # fmt: skip
            assert r.status_code == 200, r.get_data(as_text=True)
        elif args.kind == "submit":
            r = c.post(f"/attempts/{submit_attempts[i]}/submit", data={"csrf_token": token})
            assert r.status_code == 302, r.status_code
        else:
            r = c.get("/static/css/hustings.css")

    for i in range(3 if args.kind != "submit" else 0):
        one(i)  # warm caches
    start = 3 if args.kind != "submit" else 0
    if args.no_profile:
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(start, args.n):
            one(i)
        n = max(1, args.n - start)
        ms = (time.perf_counter() - t0) * 1000 / n
        cpu = (time.process_time() - c0) * 1000 / n  # steadier than wall time on a busy machine
        figures = {"kind": args.kind, "ms_per_request": round(ms, 2), "cpu_ms": round(cpu, 2)}
        print(json.dumps(figures))
        return
    if args.cprofile:
        here = str(Path(__file__).resolve().parent)  # this file would shadow stdlib "profile"
        sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for i in range(start, args.n):
            one(i)
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats(args.sort).print_stats(args.top)
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    t0 = time.perf_counter()
    for i in range(start, args.n):
        one(i)
    elapsed = time.perf_counter() - t0
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{args.kind}: {elapsed * 1000 / max(1, args.n - start):.2f} ms per request (profiled)")


if __name__ == "__main__":
    main()
