"""The Hustings benchmark: ``python bench/run.py [--quick] [--db sqlite|postgresql]``.

One command builds a throwaway database, starts the real app with ``hustings serve`` (gunicorn,
production configuration) and a bare Flask "hello world" under the same gunicorn options, and
measures both with the same load generator (wrk, with the Lua scripts in bench/lua/; a small
asyncio driver when wrk is missing). Every throughput is reported as a ratio to hello world,
median of several runs, with p50/p95/p99 latency and errors. Scenarios:

1. the quiz page of an open attempt (article + 20 questions);
2. autosave of one answer (JSON, CSRF header, versioned);
3. submit and grade a 20-question attempt;
4. the exam-start stampede: N students arrive within a window, log in, open the course, start,
   load the quiz, save 20 answers a few seconds apart, submit, read the result; afterwards
   every save the server acknowledged is checked in the database;
5. instructor pages on a generated course (2,000 students x 30 quizzes by default): results
   table, item analysis, reading-skill mastery, and the streamed gradebook CSV with the serving
   worker's peak memory growth (from /proc/<pid>/status after resetting VmHWM).

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time; the only processes
stopped are the ones this script started, by PID. Results: bench/results/latest.json and
latest.md (or --out DIR), and the table on standard output. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import client, fixture  # noqa: E402

HUSTINGS = "import sys; from app.cli.console import main; sys.exit(main())"
PG_ADMIN_URL = os.environ.get("HUSTINGS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

SLOW_PAGE_S = 10.0

TARGETS = {
    "quiz_page": {"ratio": 0.25, "p99_ms": 60.0},
    "autosave": {"ratio": {"sqlite": 0.22, "postgresql": 0.15}},
    "submit": {"ratio": 0.10},
    "stampede": {"errors": 0, "lost": 0, "save_p99_ms": 250.0},
    "instructor": {"page_ms": 300.0, "gradebook_s": 5.0, "gradebook_mb": 50.0},
}


@dataclass
class Sizes:
    """How big and how long; ``full`` is the issue's configuration."""

    runs: int
    duration: float  # seconds per wrk run
    connections: int
    wrk_students: int
    stampede_students: int
    arrival_window: float  # seconds over which the stampede's students arrive
    save_interval: float  # mean seconds between one student's saves (compressed time)
    course_students: int  # scenario 5
    course_quizzes: int
    course_questions: int
    page_samples: int
    lobby_logins: int  # scenario 4: students who log in through the form before the start

    @classmethod
    def preset(cls, name: str) -> Sizes:
        return {
            "full": cls(3, 10, 32, 64, 600, 60, 3.0, 2000, 30, 20, 7, 600),
            "quick": cls(2, 5, 32, 64, 150, 15, 1.0, 400, 10, 20, 5, 150),
            "smoke": cls(1, 1, 8, 12, 6, 1, 0.05, 20, 2, 5, 2, 2),
        }[name]


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A gunicorn master we started (in its own process group), stopped by its PID."""

    def __init__(self, name: str, cmd: list[str], port: int, env: dict[str, str], log: Path):
        self.name, self.port, self.log = name, port, log
        self.handle = log.open("wb")
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            with suppress(OSError, client.HTTPError, asyncio.TimeoutError):
                reply = asyncio.run(client.request(self.port, "GET", path, timeout=5))
                if reply.status < 500 and len(self.workers()) >= 1:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer on port {self.port} in {timeout:.0f} s")

    def workers(self) -> list[int]:
        """The PIDs of the master's worker processes."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with suppress(OSError):
            return [int(p) for p in path.read_text().split()]
        return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            workers = self.workers()
            self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            for pid in workers:  # only if the master died without reaping them
                with suppress(ProcessLookupError, PermissionError):
                    if Path(f"/proc/{pid}").exists() and _ppid(pid) in (self.proc.pid, 1):
                        os.kill(pid, signal.SIGKILL)
        self.handle.close()


def _ppid(pid: int) -> int:
    with suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    return -1


def proc_status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs 5); False where not permitted."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def app_env(database_url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_DEBUG")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secret,
        HUSTINGS_INSECURE_COOKIES="1",  # plain HTTP on loopback; production keeps Secure
        PYTHONUNBUFFERED="1",
    )
    return env


def start_app(
    name: str, database_url: str, secret: str, workdir: Path, workers: int, threads: int
) -> Server:
    # The `hustings` console script's entry point, run so that this checkout's app is served.
    cmd = [sys.executable, "-c", HUSTINGS]
    port = free_port()
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(workers), "--threads", str(threads)]
    server = Server(name, cmd, port, app_env(database_url, secret), workdir / f"{name}.log")
    server.wait_ready("/login")
    return server


def start_hello(workdir: Path, workers: int, threads: int) -> Server:
    port = free_port()
    cmd = [sys.executable, str(BENCH / "launch.py"), "--port", str(port)]
    cmd += ["--workers", str(workers), "--threads", str(threads)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = Server("hello", cmd, port, env, workdir / "hello.log")
    server.wait_ready("/")
    return server


# --- databases ------------------------------------------------------------------------------


@contextmanager
def database(kind: str, workdir: Path, label: str) -> Iterator[str]:
    """A fresh database URL of ``kind``; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{label}.sqlite'}"
        return
    import psycopg

    name = f"hustings_bench_{label}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(database_url: str, secret: str, workdir: Path) -> Any:
    from app import create_app
    from app.config import normalise_database_url

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url), "SECRET_KEY": secret},
        instance_path=workdir / "instance",
    )


# --- load generation ------------------------------------------------------------------------


@dataclass
class LoadResult:
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    exhausted: bool = False
    generator: str = "wrk"


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str, script: str, args: list[str], duration: float, connections: int, threads: int
) -> LoadResult:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s"]
    cmd += ["--timeout", "10s", "-s", str(BENCH / "lua" / script), url]
    if args:
        cmd += ["--", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    data = json.loads(line[len("BENCHJSON ") :])
    lat = data["latency_us"]
    return LoadResult(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        requests=data["requests"],
        errors=sum(data["errors"].values()),
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        max_ms=lat["max"] / 1000,
        exhausted=data["exhausted_threads"] > 0,
    )


RequestFactory = Callable[[int], tuple[str, str, dict[str, str], bytes] | None]


def run_python_load(
    port: int, make: RequestFactory, duration: float, connections: int
) -> LoadResult:
    """The fallback generator: ``connections`` loops for ``duration`` seconds (far weaker than
    wrk on two cores, so its ratios are lower bounds)."""

    async def main() -> tuple[list[float], int, bool]:
        latencies: list[float] = []
        errors = 0
        exhausted = False
        counter = 0
        stop_at = time.perf_counter() + duration

        async def loop() -> None:
            nonlocal errors, exhausted, counter
            while time.perf_counter() < stop_at:
                counter += 1
                req = make(counter)
                if req is None:
                    exhausted = True
                    return
                method, path, headers, body = req
                try:
                    reply = await client.request(port, method, path, headers=headers, body=body)
                except (TimeoutError, OSError, client.HTTPError):
                    errors += 1
                    continue
                latencies.append(reply.seconds)
                if reply.status >= 400:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(connections)))
        return latencies, errors, exhausted or (time.perf_counter() - started) < 0

    latencies, errors, exhausted = asyncio.run(main())
    q = percentiles(latencies)
    return LoadResult(
        rps=len(latencies) / duration,
        requests=len(latencies),
        errors=errors,
        p50_ms=q["p50"],
        p95_ms=q["p95"],
        p99_ms=q["p99"],
        max_ms=q["max"],
        exhausted=exhausted,
        generator="python",
    )


def percentiles(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(seconds)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": ordered[-1] * 1000}


# --- the bench run ----------------------------------------------------------------------------


@dataclass
class Context:
    kind: str
    sizes: Sizes
    workdir: Path
    secret: str
    workers: int
    threads: int
    wrk_threads: int
    use_wrk: bool
    log: Callable[[str], None]
    results: dict[str, Any] = field(default_factory=dict)


def _login_all(port: int, emails: list[str], parallel: int = 8) -> list[client.Browser]:
    async def main() -> list[client.Browser]:
        gate = asyncio.Semaphore(parallel)

        async def one(email: str) -> client.Browser:
            async with gate:
                browser = client.Browser(port)
                await browser.login(email, fixture.PASSWORD)
                return browser

        return list(await asyncio.gather(*(one(e) for e in emails)))

    return asyncio.run(main())


def _fetch_all(browsers: list[client.Browser], paths: list[str]) -> None:
    async def main() -> None:
        gate = asyncio.Semaphore(8)

        async def one(b: client.Browser, path: str) -> None:
            async with gate:
                reply = await b.get(path)
                if reply.status != 200:
                    raise client.HTTPError(f"GET {path}: {reply.status}")

        await asyncio.gather(*(one(b, p) for b, p in zip(browsers, paths, strict=True)))

    asyncio.run(main())


def _write_targets(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(r) + "\n" for r in rows))
    return path


def throughput_scenarios(ctx: Context, app: Any, url: str) -> None:
    """Scenarios 1-3 and the hello baseline, interleaved run by run; medians reported."""
    s = ctx.sizes
    with app.app_context():
        fixture.load_shipped_banks()
        course = fixture.build_course(s.wrk_students, {"page": 1, "save": 1}, label="wrk")
        ids = [uid for uid, _ in course.students]
        page_attempts = fixture.open_attempts(course.quizzes["page"][0], ids, answered=True)
        save_quiz = course.quizzes["save"][0]
        save_attempts = fixture.open_attempts(save_quiz, ids, answered=False)
    hello = start_hello(ctx.workdir, ctx.workers, ctx.threads)
    server = start_app("app", url, ctx.secret, ctx.workdir, ctx.workers, ctx.threads)
    try:
        ctx.log(f"logging in {len(ids)} students")
        browsers = _login_all(server.port, [e for _, e in course.students])
        _fetch_all(browsers, [f"/attempts/{page_attempts[uid]}" for uid in ids])
        pairs = list(zip(browsers, ids, strict=True))
        page_rows = [[b.cookie or "", str(page_attempts[uid])] for b, uid in pairs]
        # Position-major order: the saves in flight at once are to different attempts (as
        # in class: one student saves one answer at a time), and with an even number of
        # students each wrk thread (every n-th line) keeps to its own attempts.
        with app.app_context():
            layouts = fixture.layouts_of(list(save_attempts.values()))
        save_rows = [
            [b.cookie or "", b.csrf or "", str(save_attempts[uid]), str(p + 1),
             json.dumps(fixture.sent_value(spec, layouts[save_attempts[uid], p + 1],
                                           fixture.answer_for(spec, n + p)))]
            for p, spec in enumerate(save_quiz.specs)
            for n, (b, uid) in enumerate(pairs)
        ]  # fmt: skip
        page_file = _write_targets(ctx.workdir / "page.tsv", page_rows)
        save_file = _write_targets(ctx.workdir / "save.tsv", save_rows)
        runs: dict[str, list[LoadResult]] = {"hello": [], "quiz_page": [], "autosave": [],
                                             "submit": []}  # fmt: skip
        for run in range(1, s.runs + 1):
            ctx.log(f"run {run}/{s.runs}: hello")
            runs["hello"].append(load(ctx, hello.port, "hello.lua", [], None))
            ctx.log(f"run {run}/{s.runs}: quiz page")
            runs["quiz_page"].append(load(ctx, server.port, "page.lua", [page_file], page_rows))
            with app.app_context():
                base = fixture.max_seq(list(save_attempts.values())) + 1
            ctx.log(f"run {run}/{s.runs}: autosave")
            runs["autosave"].append(
                load(ctx, server.port, "save.lua", [save_file, base], save_rows, seq_base=base)
            )
            # Enough fresh attempts for the whole run: a submit (grading 20 answers) is never
            # cheaper than one autosave, so twice this run's autosave rate is a safe ceiling
            # (a thread that still runs out says so, and the run is flagged).
            ceiling = 2 * runs["autosave"][-1].rps * s.duration
            copies = max(1, int(ceiling / len(ids)) + 1)
            with app.app_context():
                quizzes = fixture.add_quizzes(course.course_id, f"submit-r{run}", copies)
                submit_rows: list[list[str]] = []
                for quiz in quizzes:
                    made = fixture.open_attempts(quiz, ids, answered=True, seed=run)
                    submit_rows += [
                        [b.cookie or "", b.csrf or "", str(made[uid])]
                        for b, uid in zip(browsers, ids, strict=True)
                    ]
            submit_file = _write_targets(ctx.workdir / f"submit-{run}.tsv", submit_rows)
            ctx.log(f"run {run}/{s.runs}: submit ({len(submit_rows)} attempts ready)")
            runs["submit"].append(
                load(ctx, server.port, "submit.lua", [submit_file], submit_rows, once=True)
            )
        ctx.results["throughput"] = summarise_throughput(ctx, runs)
    finally:
        server.stop()
        hello.stop()


def load(
    ctx: Context,
    port: int,
    script: str,
    args: list[Any],
    rows: list[list[str]] | None,
    *,
    seq_base: int = 1,
    once: bool = False,
) -> LoadResult:
    s = ctx.sizes
    if ctx.use_wrk:
        wrk_args = [str(args[0]), str(ctx.wrk_threads), *map(str, args[1:])] if args else []
        return run_wrk(
            f"http://127.0.0.1:{port}/", script, wrk_args, s.duration, s.connections,
            ctx.wrk_threads,
        )  # fmt: skip
    return run_python_load(port, python_factory(script, rows, seq_base, once), s.duration,
                           s.connections)  # fmt: skip


def python_factory(
    script: str, rows: list[list[str]] | None, seq_base: int, once: bool
) -> RequestFactory:
    """The Lua scripts' requests, for the fallback generator."""

    def make(n: int) -> tuple[str, str, dict[str, str], bytes] | None:
        if script == "hello.lua" or not rows:
            return "GET", "/", {}, b""
        if once and n > len(rows):
            return None
        t = rows[(n - 1) % len(rows)]
        cookie = {"Cookie": f"hustings_session={t[0]}"}
        if script == "page.lua":
            return "GET", f"/attempts/{t[1]}", cookie, b""
        if script == "save.lua":
            seq = seq_base + (n - 1) // len(rows)
            body = f'{{"value": {t[4]}, "seq": {seq}}}'.encode()
            headers = {**cookie, "X-CSRFToken": t[1], "Content-Type": "application/json",
                       "Accept": "application/json"}  # fmt: skip
            return "POST", f"/attempts/{t[2]}/responses/{t[3]}", headers, body
        headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}
        return "POST", f"/attempts/{t[2]}/submit", headers, f"csrf_token={t[1]}".encode()

    return make


def summarise_throughput(ctx: Context, runs: dict[str, list[LoadResult]]) -> dict[str, Any]:
    hello_rps = statistics.median(r.rps for r in runs["hello"])
    out: dict[str, Any] = {}
    for name, results in runs.items():
        rps = statistics.median(r.rps for r in results)
        entry = {
            "rps": round(rps, 1),
            "ratio": round(rps / hello_rps, 3) if hello_rps else None,
            "p50_ms": round(statistics.median(r.p50_ms for r in results), 1),
            "p95_ms": round(statistics.median(r.p95_ms for r in results), 1),
            "p99_ms": round(statistics.median(r.p99_ms for r in results), 1),
            "errors": sum(r.errors for r in results),
            "requests": sum(r.requests for r in results),
            "exhausted": any(r.exhausted for r in results),
            "runs": [asdict(r) for r in results],
        }
        target = TARGETS.get(name, {})
        if "ratio" in target:
            want = target["ratio"]
            want = want[ctx.kind] if isinstance(want, dict) else want
            entry["target_ratio"] = want
            met = entry["ratio"] is not None and entry["ratio"] >= want and not entry["errors"]
            if "p99_ms" in target:
                entry["target_p99_ms"] = target["p99_ms"]
                met = met and entry["p99_ms"] < target["p99_ms"]
            entry["met"] = met and not entry["exhausted"]
        out[name] = entry
    return out


# --- scenario 4: the stampede ----------------------------------------------------------------


@dataclass
class StampedeStats:
    errors: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=dict)
    expected: dict[int, dict[int, Any]] = field(default_factory=dict)  # attempt → position → value
    finished: int = 0


def layouts_in(app: Any, attempt_id: int) -> dict[tuple[int, int], dict[str, Any]]:
    """The attempt's layouts, read as the page was built from them (the bench's side door:
    a browser reads the same names off the page's form controls)."""
    from app.extensions import db

    with app.app_context():
        try:
            return fixture.layouts_of([attempt_id])
        finally:
            db.session.remove()


async def _student(
    app: Any,
    b: client.Browser,
    course_id: int,
    quiz: fixture.QuizInfo,
    n: int,
    sizes: Sizes,
    started: float,
    stats: StampedeStats,
) -> None:
    """One student from the exam's start: course page, start, quiz page, 20 saves a few
    seconds apart (in a random order of questions), the submit page, submit, the result."""
    rng = random.Random(n)
    await asyncio.sleep(max(0.0, started + rng.uniform(0, sizes.arrival_window) - time.monotonic()))

    def check(reply: client.Reply, want: int, what: str) -> client.Reply:
        if reply.status != want:
            raise client.HTTPError(f"{what}: {reply.status} {reply.body[:200]!r}")
        return reply

    check(await b.get(f"/courses/{course_id}", "course"), 200, "course page")
    reply = check(await b.post_form(f"/quizzes/{quiz.id}/start", {}, "start"), 302, "start")
    location = reply.header("location") or ""
    attempt_id = int(location.rstrip("/").rsplit("/", 1)[1])
    check(await b.get(f"/attempts/{attempt_id}", "quiz_page"), 200, "quiz page")
    layouts = await asyncio.to_thread(layouts_in, app, attempt_id)
    expected = stats.expected.setdefault(attempt_id, {})
    order = list(range(1, len(quiz.specs) + 1))
    rng.shuffle(order)
    for seq, position in enumerate(order, start=1):
        await asyncio.sleep(rng.uniform(0.5, 1.5) * sizes.save_interval)
        spec = quiz.specs[position - 1]
        value = fixture.answer_for(spec, n + seq)
        sent = fixture.sent_value(spec, layouts[attempt_id, position], value)
        reply = await b.post_json(
            f"/attempts/{attempt_id}/responses/{position}", {"value": sent, "seq": seq}, "save"
        )
        if reply.status != 200:
            stats.errors.append(f"save {attempt_id}/{position}: {reply.status}")
            continue
        expected[position] = value
    check(await b.get(f"/attempts/{attempt_id}/submit", "submit_page"), 200, "submit page")
    check(await b.post_form(f"/attempts/{attempt_id}/submit", {}, "submit"), 302, "submit")
    check(await b.get(f"/attempts/{attempt_id}/result", "result"), 200, "result")
    for label, values in b.timings.items():
        if label not in ("login_form", "login"):  # measured in the lobby
            stats.timings.setdefault(label, []).extend(values)
    stats.finished += 1


def minted_browsers(app: Any, port: int, emails: list[str]) -> list[client.Browser]:
    """Browsers logged in the way a successful POST /login leaves them (a LoginSession row,
    Flask-Login's session, signed with the server's key), without paying argon2 per student."""
    from flask import session
    from flask_login import login_user

    from app.extensions import db
    from app.services import accounts

    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": "hustings-bench"}
    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    for email in emails:
        with app.test_request_context("/login", method="POST", environ_base=environ):
            user = accounts.find_user_by_email(email)
            session.clear()
            user.login_token = accounts.start_login_session(user)
            login_user(user)
            session.permanent = True
            db.session.commit()
            out.append(client.Browser(port, cookie=serializer.dumps(dict(session))))
    with app.app_context():
        db.session.remove()
    return out


def stampede(ctx: Context, app: Any, url: str) -> None:
    s = ctx.sizes
    with app.app_context():
        fixture.load_shipped_banks()
        course = fixture.build_course(s.stampede_students, {"exam": 1}, label="exam")
    quiz = course.quizzes["exam"][0]
    server = start_app("app-stampede", url, ctx.secret, ctx.workdir, ctx.workers, ctx.threads)
    stats = StampedeStats()
    bound = s.arrival_window + 1.5 * s.save_interval * len(quiz.specs) + 180
    emails = [e for _, e in course.students]
    real = emails[: s.lobby_logins]
    try:
        # The lobby: students log in before the exam opens. argon2 at the production cost
        # (about 0.6 s of CPU per login here) would make 600 real logins take minutes on two
        # cores, so a sample logs in through the form, timed, and the rest get the same
        # session from the app's own login code.
        ctx.log(f"lobby: {len(real)} logins through the form, {len(emails) - len(real)} minted")
        t0 = time.monotonic()
        browsers = _login_all(server.port, real, parallel=ctx.workers)
        login_s = time.monotonic() - t0
        login_ms = percentiles([b.timings["login"][0] for b in browsers])
        browsers += minted_browsers(app, server.port, emails[len(real) :])
        ctx.log(
            f"stampede: {len(emails)} students within {s.arrival_window:g} s, "
            f"20 saves each about {s.save_interval:g} s apart (bounded at {bound:.0f} s)"
        )

        async def main() -> None:
            started = time.monotonic()

            async def guarded(n: int, b: client.Browser) -> None:
                try:
                    await _student(app, b, course.course_id, quiz, n, s, started, stats)
                except (TimeoutError, OSError, client.HTTPError, ValueError) as exc:
                    stats.errors.append(f"student {n}: {type(exc).__name__}: {exc}"[:300])

            tasks = [guarded(n, b) for n, b in enumerate(browsers)]
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=bound)

        t0 = time.monotonic()
        try:
            asyncio.run(main())
        except TimeoutError:
            stats.errors.append(f"the stampede did not finish within {bound:.0f} s")
        elapsed = time.monotonic() - t0
    finally:
        server.stop()
    lost, not_submitted = verify_stampede(app, stats)
    saves = percentiles(stats.timings.get("save", []))
    entry = {
        "lobby_logins": len(real),
        "lobby_login_s": round(login_s, 1),
        "lobby_login_ms": {k: round(v, 1) for k, v in login_ms.items()},
        "students": len(course.students),
        "finished": stats.finished,
        "elapsed_s": round(elapsed, 1),
        "saves": len(stats.timings.get("save", [])),
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "lost_answers": lost,
        "not_submitted": not_submitted,
        "save_p50_ms": round(saves["p50"], 1),
        "save_p95_ms": round(saves["p95"], 1),
        "save_p99_ms": round(saves["p99"], 1),
        "steps": {
            label: {k: round(v, 1) for k, v in percentiles(values).items()}
            for label, values in sorted(stats.timings.items())
        },
    }
    target = TARGETS["stampede"]
    entry["met"] = (
        entry["errors"] == 0
        and lost == 0
        and not_submitted == 0
        and entry["save_p99_ms"] < target["save_p99_ms"]
    )
    ctx.results["stampede"] = entry


def verify_stampede(app: Any, stats: StampedeStats) -> tuple[int, int]:
    """(answers acknowledged but not in the database, attempts not submitted), read afresh."""
    from sqlalchemy import select

    from app.domain import question_types
    from app.domain.attempt_view import clean_value
    from app.extensions import db
    from app.models import Attempt, QuestionVersion, Response

    lost = not_submitted = 0
    with app.app_context():
        ids = list(stats.expected)
        if not ids:
            return 0, 0
        states = dict(
            db.session.execute(select(Attempt.id, Attempt.state).where(Attempt.id.in_(ids))).all()
        )
        rows = db.session.execute(
            select(Response.attempt_id, Response.position, Response.value, QuestionVersion.spec)
            .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
            .where(Response.attempt_id.in_(ids))
        ).all()
        stored = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        for attempt_id, answers in stats.expected.items():
            if states.get(attempt_id) != "submitted":
                not_submitted += 1
            for position, value in answers.items():
                got, spec = stored.get((attempt_id, position), (None, None))
                refs = value if spec and question_types.get(spec["type"]).picks_passages else ()
                if spec is None or got != clean_value(spec, value, evidence_refs=refs):
                    lost += 1
        db.session.remove()
    return lost, not_submitted


# --- scenario 5: instructor pages ------------------------------------------------------------


def instructor_pages(ctx: Context, app: Any, url: str) -> None:
    s = ctx.sizes
    from app.services.generate import generate_course

    t0 = time.monotonic()
    with app.app_context():
        from app.database import writing
        from app.extensions import db

        fixture.load_shipped_banks()
        with writing():
            made = generate_course(
                students=s.course_students,
                quizzes=s.course_quizzes,
                questions_per_quiz=s.course_questions,
                max_attempts=1,
                password=fixture.PASSWORD,
            )
            db.session.commit()
        from sqlalchemy import select

        from app.models import Quiz

        quiz_ids = list(
            db.session.scalars(
                select(Quiz.id).where(Quiz.course_id == made.course_id).order_by(Quiz.id)
            )
        )
        db.session.remove()
    generated_s = time.monotonic() - t0
    ctx.log(
        f"generated {made.students} students, {made.quizzes} quizzes, {made.attempts} attempts, "
        f"{made.responses} responses in {generated_s:.0f} s"
    )
    # No ANALYZE here: generation analyses what it wrote (app.services.planner), and the pages and
    # the
    # gradebook export below are measured on the database exactly as generation left it.
    hello = start_hello(ctx.workdir, ctx.workers, ctx.threads)
    server = start_app("app-instructor", url, ctx.secret, ctx.workdir, ctx.workers, ctx.threads)
    try:
        browser = _login_all(server.port, [made.instructor_email], 1)[0]
        middle = quiz_ids[len(quiz_ids) // 2]
        pages = {
            "results": f"/teach/quizzes/{middle}/results",
            "item_analysis": f"/teach/quizzes/{middle}/items",
            "mastery": f"/teach/courses/{made.course_id}/skills",
        }
        hello_ms = _timed(hello.port, None, "/", s.page_samples + 2)
        entry: dict[str, Any] = {
            "course": asdict(made) | {"generated_s": round(generated_s, 1)},
            "hello_ms": round(hello_ms, 2),
        }
        for name, path in pages.items():
            ms = _timed(server.port, browser, path, s.page_samples)
            entry[name] = {
                "path": path,
                "median_ms": round(ms, 1),
                "x_hello": round(ms / hello_ms, 1) if hello_ms else None,
                "met": ms < TARGETS["instructor"]["page_ms"],
            }
            ctx.log(f"{name}: {ms:.0f} ms")
        entry["gradebook"] = gradebook_download(server, browser, made.course_id, s.page_samples)
        ctx.log(
            f"gradebook: {entry['gradebook']['median_s']:.2f} s, "
            f"+{entry['gradebook']['peak_growth_mb']:.1f} MB"
        )
        ctx.results["instructor"] = entry
    finally:
        server.stop()
        hello.stop()


def _timed(
    port: int, browser: client.Browser | None, path: str, samples: int, warm: int = 8
) -> float:
    """Median milliseconds of ``samples`` sequential GETs, after ``warm`` to warm every worker."""

    async def main() -> list[float]:
        out = []
        for i in range(samples + warm):
            if browser is not None:
                reply = await browser.get(path, "timed")
            else:
                reply = await client.request(port, "GET", path)
            if reply.status != 200:
                raise client.HTTPError(f"GET {path}: {reply.status}")
            if i >= warm or reply.seconds > SLOW_PAGE_S:
                out.append(reply.seconds * 1000)
            if reply.seconds > SLOW_PAGE_S:  # keep the run bounded: one sample is enough
                break
        return out

    return statistics.median(asyncio.run(main()))


def gradebook_download(
    server: Server, browser: client.Browser, course_id: int, samples: int
) -> dict[str, Any]:
    """Download time of the gradebook CSV, and the largest growth of any worker's peak RSS
    over its RSS just before the download (VmHWM reset first; sampled as well)."""
    path = f"/teach/courses/{course_id}/gradebook.csv"
    times: list[float] = []
    growths: list[float] = []
    size = rows = 0
    warm = len(server.workers())  # the first downloads warm the workers (imports, caches)
    for i in range(samples + warm):
        workers = server.workers()
        reset_ok = all(reset_peak_rss(pid) for pid in workers)
        before = {pid: proc_status_kb(pid, "VmRSS") for pid in workers}
        peak = dict(before)
        stop = threading.Event()

        def sample(stop: threading.Event = stop, peak: dict[int, int] = peak) -> None:
            while not stop.is_set():
                for pid in list(peak):
                    with suppress(OSError):
                        peak[pid] = max(peak[pid], proc_status_kb(pid, "VmRSS"))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        reply = asyncio.run(browser.get(path, "gradebook"))
        stop.set()
        sampler.join()
        if reply.status != 200:
            raise client.HTTPError(f"GET {path}: {reply.status}")
        growth_kb = max(
            (max(peak[pid], proc_status_kb(pid, "VmHWM") if reset_ok else 0) - before[pid])
            for pid in workers
        )
        if i < warm:
            continue
        times.append(reply.seconds)
        growths.append(growth_kb / 1024)
        size, rows = len(reply.body), reply.body.count(b"\n")
    target = TARGETS["instructor"]
    median_s = statistics.median(times)
    peak_mb = max(growths)
    return {
        "path": path,
        "median_s": round(median_s, 3),
        "peak_growth_mb": round(peak_mb, 1),
        "bytes": size,
        "lines": rows,
        "met": median_s < target["gradebook_s"] and peak_mb < target["gradebook_mb"],
    }


# --- report ---------------------------------------------------------------------------------


def render_markdown(result: dict[str, Any]) -> str:
    meta = result["meta"]
    lines = [
        f"## {'SQLite' if meta['db'] == 'sqlite' else 'PostgreSQL'} ({meta['preset']} run)",
        "",
        f"`{meta['command']}` on {meta['finished_at']}, {meta['cpus']} CPUs, "
        f"gunicorn {meta['workers']} workers x {meta['threads']} thread(s) (as `hustings serve`), "
        f"load generator {meta['generator']}, {meta['runs']} runs of {meta['duration_s']:g} s "
        f"at {meta['connections']} connections (medians).",
        "",
    ]
    tp = result.get("throughput")
    if tp:
        lines += [
            "| scenario | req/s | x hello | target | p50 ms | p95 ms | p99 ms | errors | met |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name in ("hello", "quiz_page", "autosave", "submit"):
            e = tp[name]
            target = f">= {e['target_ratio']}" if "target_ratio" in e else ""
            if "target_p99_ms" in e:
                target += f", p99 < {e['target_p99_ms']:g} ms"
            met = "" if "met" not in e else ("yes" if e["met"] else "**no**")
            if e.get("exhausted"):
                met += " (ran out of attempts)"
            lines.append(
                f"| {name.replace('_', ' ')} | {e['rps']:.0f} | {e['ratio']:.3f} | {target} | "
                f"{e['p50_ms']:.1f} | {e['p95_ms']:.1f} | {e['p99_ms']:.1f} | {e['errors']} | "
                f"{met} |"
            )
        lines.append("")
    st = result.get("stampede")
    if st:
        lines += [
            f"**Exam-start stampede**: {st['students']} students within "
            f"{meta['arrival_window_s']:g} s, 20 saves each about {meta['save_interval_s']:g} s "
            f"apart, then submit and result; {st['finished']} finished in {st['elapsed_s']:g} s. "
            f"Errors {st['errors']}, answers lost {st['lost_answers']} (checked in the database), "
            f"not submitted {st['not_submitted']}; saves p50/p95/p99 "
            f"{st['save_p50_ms']}/{st['save_p95_ms']}/{st['save_p99_ms']} ms "
            f"(target p99 < 250 ms): {'met' if st['met'] else '**not met**'}. Before the start, "
            f"{st['lobby_logins']} students logged in through the form ({meta['workers']} at a "
            f"time, argon2 at the production cost) in {st['lobby_login_s']:g} s, login p50 "
            f"{st['lobby_login_ms']['p50']} ms"
            + (
                "; the others got the same session from the app's login code (see bench/README.md)."
                if st["lobby_logins"] < st["students"]
                else "."
            ),
            "",
            "| step | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, q in st["steps"].items():
            lines.append(f"| {label} | {q['p50']} | {q['p95']} | {q['p99']} | {q['max']} |")
        lines.append("")
    ins = result.get("instructor")
    if ins:
        c = ins["course"]
        lines += [
            f"**Instructor pages** on a generated course of {c['students']} students x "
            f"{c['quizzes']} quizzes ({c['attempts']} attempts, {c['responses']} responses); "
            f"median of {meta['page_samples']} sequential requests on an idle server "
            f"(hello world: {ins['hello_ms']} ms):",
            "",
            "| page | median | x hello | target | met |",
            "|---|---:|---:|---:|---|",
        ]
        for name in ("results", "item_analysis", "mastery"):
            e = ins[name]
            lines.append(
                f"| {name.replace('_', ' ')} | {e['median_ms']} ms | {e['x_hello']} | < 300 ms | "
                f"{'yes' if e['met'] else '**no**'} |"
            )
        g = ins["gradebook"]
        lines.append(
            f"| gradebook CSV ({g['lines']} lines, {g['bytes'] / 1e6:.1f} MB) | "
            f"{g['median_s']} s, peak +{g['peak_growth_mb']} MB | | < 5 s, < 50 MB | "
            f"{'yes' if g['met'] else '**no**'} |"
        )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql", "both"), default="sqlite", help="default sqlite"
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller and shorter (a few minutes)")
    size.add_argument("--smoke", action="store_true", help="tiny: checks the harness works")
    parser.add_argument("--scenarios", default="1,2,3,4,5", help="comma-separated subset")
    parser.add_argument("--runs", type=int, help="runs per throughput scenario")
    parser.add_argument("--duration", type=float, help="seconds per throughput run")
    parser.add_argument("--workers", type=int, default=4, help="as `hustings serve` (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="as `hustings serve` (default 1)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--out", type=Path, default=BENCH / "results")
    parser.add_argument("--name", default="latest", help="results file stem (default latest)")
    args = parser.parse_args(argv)

    preset = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = Sizes.preset(preset)
    if args.runs:
        sizes.runs = args.runs
    if args.duration:
        sizes.duration = args.duration
    use_wrk = args.generator == "wrk" or (args.generator == "auto" and wrk_available())
    if use_wrk and not wrk_available():
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    if not use_wrk and args.generator == "auto":
        print("warning: wrk not found (apt-get install wrk); using the slower Python generator",
              file=sys.stderr)  # fmt: skip
    scenarios = {int(x) for x in args.scenarios.split(",") if x.strip()}
    workdir = Path(tempfile.mkdtemp(prefix="hustings-bench-"))
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    ctx = Context(
        kind=args.db,
        sizes=sizes,
        workdir=workdir,
        secret=secrets.token_hex(32),
        workers=args.workers,
        threads=args.threads,
        wrk_threads=2,
        use_wrk=use_wrk,
        log=log,
    )
    command = "python bench/run.py" + (f" --{preset}" if preset != "full" else "")
    command += f" --db {args.db}" if args.db != "sqlite" else ""
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: dict[str, dict[str, Any]] = {}
    try:
        for kind in kinds:
            ctx.kind, ctx.results = kind, {}
            kind_started = time.monotonic()
            for group, wanted, label in (
                (throughput_scenarios, {1, 2, 3}, "main"),
                (stampede, {4}, "exam"),
                (instructor_pages, {5}, "course"),
            ):
                if not scenarios & wanted:
                    continue
                log(f"{kind}: scenarios {sorted(scenarios & wanted)}")
                with database(kind, workdir, label) as url:
                    app = make_app(url, ctx.secret, workdir)
                    with app.app_context():
                        fixture.create_schema()
                        from app.extensions import db

                        db.session.remove()
                    group(ctx, app, url)
                    with app.app_context():
                        db.engine.dispose()
            results[kind] = {
                "meta": {
                    "command": command,
                    "db": kind,
                    "preset": preset,
                    "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "elapsed_s": round(time.monotonic() - kind_started, 1),
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "workers": args.workers,
                    "threads": args.threads,
                    "generator": "wrk" if use_wrk else "python",
                    "runs": sizes.runs,
                    "duration_s": sizes.duration,
                    "connections": sizes.connections,
                    "arrival_window_s": sizes.arrival_window,
                    "save_interval_s": sizes.save_interval,
                    "page_samples": sizes.page_samples,
                    "sizes": asdict(sizes),
                },
                **ctx.results,
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = results[kinds[0]] if len(kinds) == 1 else results
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    markdown = "# Hustings benchmark\n\n" + "\n".join(render_markdown(results[k]) for k in kinds)
    (args.out / f"{args.name}.md").write_text(markdown + "\n")
    print(markdown)
    return result


if __name__ == "__main__":
    main()
