"""axe-core (WCAG 2.1 A and AA) on every page of the app, for every role that may see it.

The routes come from ``app.url_map`` and who may see each from the access matrix's POLICY, so a
new page cannot ship without being checked here: a GET route is either visited (as each of the
anonymous visitor, the student and the instructor that may use it) or named in ``NOT_PAGES``
with the reason it is no page. Every page is checked at 1280 px and at 375 px; any violation
fails, and so does a student's page wider than the phone.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import run_axe
from tests.support.route_walk import ALLOWED, POLICY, build_url, build_world, rules

pytestmark = pytest.mark.browser

# GET routes that answer with something other than a page, and what they answer with.
NOT_PAGES = {
    "static": "static files (CSS, JS, images)",
    "courses.favicon": "the site's icon",
    "auth.session_token": "JSON: a fresh CSRF token for the quiz page's autosave",
    "exports.gradebook_csv": "CSV download",
    "exports.quiz_csv": "CSV download",
    "library.export_bank": "GIFT download",
    "library.export_bank_yaml": "YAML download",
    "library.source_file": "article download",
    "lti.jwks": "JSON: the tool's public keys",
    "lti.canvas_config": "JSON: Canvas's tool configuration",
    "lti.login": "the LMS's OpenID login step (a redirect, or an error page without a launch)",
}

# The visitors whose view of a page is checked, by who may use it.
ROLES = {
    "anonymous": "anonymous",
    "owner": "student",
    "instructor": "instructor",
}


def visitors_for(endpoint: str) -> list[str]:
    allowed = ALLOWED[POLICY[endpoint]]
    return [v for v in ROLES if v in allowed]


def new_page(browser: Any, width: int) -> tuple[Any, Any]:
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 740 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        bypass_csp=True,
        locale="en-GB",
    )
    context.set_default_timeout(15_000)
    return context, context.new_page()


def test_every_get_route_is_a_page_or_named_as_no_page(live_server):
    gets = {r.endpoint for r in rules(live_server.app) if "GET" in r.methods}
    assert not NOT_PAGES.keys() - gets, "NOT_PAGES names routes that no longer exist"
    for endpoint in gets - NOT_PAGES.keys():
        assert visitors_for(endpoint), f"{endpoint}: no role may see it, so no page is checked"


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_nothing_on_any_page(live_server, browser, width):
    live = live_server
    world = build_world(live.make)
    live.app.config["LTI_ADMINS"] = [world.users["instructor"].email]
    pages = [r for r in rules(live.app) if "GET" in r.methods and r.endpoint not in NOT_PAGES]
    problems: list[str] = []
    visited: set[tuple[str, str]] = set()
    for visitor in ROLES:
        context, page = new_page(browser, width)
        try:
            if visitor != "anonymous":
                live.login(page, world.users[visitor])
            for rule in pages:
                if visitor not in visitors_for(rule.endpoint):
                    continue
                url = build_url(live.app, rule, world)
                response = page.goto(live.url + url)
                assert response is not None, url
                kind = response.headers.get("content-type", "")
                if "text/html" not in kind:
                    problems.append(f"{rule.endpoint} ({url}) answered {kind}: add to NOT_PAGES?")
                    continue
                visited.add((rule.endpoint, visitor))
                for v in run_axe(page):
                    problems.append(f"{width}px {ROLES[visitor]} {url}: {v['id']} {v['nodes']}")
                if width < 600:  # a phone: wide tables scroll in their own box, not the page
                    wide = page.evaluate("() => document.documentElement.scrollWidth")
                    if wide > width:
                        problems.append(f"{width}px {ROLES[visitor]} {url}: {wide}px wide")
        finally:
            context.close()
    missing = {(r.endpoint, v) for r in pages for v in visitors_for(r.endpoint)} - visited
    assert not missing, f"pages never checked: {sorted(missing)}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_nothing_on_the_demo_courses_pages(live_server, browser, width):
    """The same check on fuller pages: the demo course, every question type answered and
    marked (the small world above has one quiz of two questions)."""
    from sqlalchemy import select

    from app.models import Attempt, Course, Quiz, Source, User
    from app.services.demo import load_demo
    from tests.support.paths import BANKS

    live = live_server
    logins = load_demo(BANKS)
    db = live.db
    course = db.session.scalar(select(Course))
    quizzes = db.session.scalars(select(Quiz)).all()
    done = db.session.scalars(select(Attempt).where(Attempt.state == "submitted")).all()
    student = db.session.scalar(select(User).where(User.email == logins.students[0]))
    teach = [f"/teach/courses/{course.id}/{p}" for p in ("dashboard", "skills", "roster")]
    teach.append(f"/teach/courses/{course.id}/students/{student.id}")
    for quiz in quizzes:
        teach += [f"/teach/quizzes/{quiz.id}/{p}" for p in ("results", "items", "misreadings")]
    teach += [f"/teach/attempts/{a.id}" for a in done]
    # the library's source pages with every question's coverage and the sentence numbers shown
    teach += [f"/teach/sources/{s.slug}?sentences=1" for s in db.session.scalars(select(Source))]
    learn = [f"/courses/{course.id}"] + [f"/quizzes/{q.id}" for q in quizzes]
    learn += [f"/attempts/{a.id}/result" for a in done if a.user_id == student.id]
    problems = []
    for email, paths in ((logins.instructor, teach), (logins.students[0], learn)):
        context, page = new_page(browser, width)
        try:
            page.goto(live.url + "/login")
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", logins.password)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_url(lambda url: "/login" not in url)
            for path in paths:
                assert page.goto(live.url + path).status == 200, path
                problems += [f"{width}px {path}: {v['id']} {v['nodes']}" for v in run_axe(page)]
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                if email != logins.instructor and wide > width:
                    problems.append(f"{width}px {path}: {wide}px wide")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
