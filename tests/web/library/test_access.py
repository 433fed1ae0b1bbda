"""Every library route: anonymous users are sent to log in, students get 404, CSRF is enforced."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app import create_app
from tests.support.library import counts
from tests.support.web import SessionSyncClient, upload

GET_ROUTES = [
    "/teach/library/",
    "/teach/sources/",
    "/teach/sources/import",
    "/teach/sources/two-coups",
    "/teach/sources/two-coups/download",
    "/teach/sources/two-coups/new-question?bank=two-coups-reading&type=single&ref=two-coups:p1",
    "/teach/banks/",
    "/teach/banks/two-coups-reading",
    "/teach/banks/two-coups-reading/questions/tc-triumvirate",
    "/teach/banks/two-coups-reading/export.gift",
    "/teach/banks/two-coups-reading/export.yaml",
    "/teach/banks/upload",
    "/teach/banks/import-gift",
]
POST_ROUTES = [
    "/teach/sources/import",
    "/teach/sources/review",
    "/teach/banks/upload",
    "/teach/banks/confirm",
    "/teach/banks/import-gift",
    "/teach/banks/download",
]


def test_every_library_route_is_in_the_matrix(web_app: Any) -> None:
    listed = {
        re.sub(r"two-coups-reading|two-coups|tc-triumvirate", "X", r.partition("?")[0])
        for r in GET_ROUTES
    }
    listed |= set(POST_ROUTES)
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint.startswith("library."):
            path = re.sub(r"<[^>]+>", "X", rule.rule)
            assert path in listed, f"{rule.rule} is not covered by the access tests"


@pytest.mark.parametrize("url", GET_ROUTES)
def test_anonymous_get_is_sent_to_login(client: Any, small_library: None, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", POST_ROUTES)
def test_anonymous_post_is_sent_to_login_and_changes_nothing(
    client: Any, db: Any, small_library: None, url: str
) -> None:
    before = counts(db)
    response = client.post(url, data={"file": upload("version: 1")})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert counts(db) == before


@pytest.mark.parametrize("url", GET_ROUTES)
def test_student_gets_404(
    make: Any, login_as: Any, client: Any, small_library: None, url: str
) -> None:
    login_as(make.student())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", POST_ROUTES)
def test_student_post_gets_404_and_changes_nothing(
    make: Any, login_as: Any, client: Any, db: Any, small_library: None, url: str
) -> None:
    login_as(make.student())
    before = counts(db)
    assert client.post(url, data={"file": upload("version: 1")}).status_code == 404
    assert counts(db) == before


def test_student_cannot_use_an_instructors_confirm_token(
    make: Any, login_as: Any, web_app: Any, db: Any, teacher_client: Any, small_library: None
) -> None:
    bank = "version: 1\nbank: {id: b1, title: B}\nsources: [{id: two-coups}]\nquestions: []\n"
    page = teacher_client.post("/teach/banks/upload", data={"file": upload(bank)})
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token
    student_client = login_as(make.student(), c=web_app.test_client())
    before = counts(db)
    response = student_client.post("/teach/banks/confirm", data={"token": token.group(1)})
    assert response.status_code == 404
    assert counts(db) == before


@pytest.mark.parametrize(
    "url",
    [
        "/teach/sources/nope",
        "/teach/sources/nope/download",
        "/teach/banks/nope",
        "/teach/banks/nope/export.gift",
        "/teach/banks/nope/export.yaml",
        "/teach/banks/two-coups-reading/questions/nope",
        "/teach/banks/kamikaze-reading/questions/tc-triumvirate",  # a question of another bank
        "/teach/sources/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_unknown_ids_are_404(teacher_client: Any, small_library: None, url: str) -> None:
    assert teacher_client.get(url).status_code == 404


def test_any_instructor_sees_the_shared_library(
    make: Any, login_as: Any, client: Any, small_library: None
) -> None:
    login_as(make.instructor())  # enrolled in no course at all
    page = client.get("/teach/library/").get_data(as_text=True)
    assert "two-coups-reading" in page
    assert "shared by every instructor" in page


def test_library_link_in_nav_for_instructors_only(
    make: Any, login_as: Any, client: Any, web_app: Any
) -> None:
    login_as(make.instructor())
    assert 'href="/teach/library/"' in client.get("/teach/").get_data(as_text=True)
    other = login_as(make.student(), c=web_app.test_client())
    assert 'href="/teach/library/"' not in other.get("/courses/").get_data(as_text=True)


def test_csrf_is_enforced(app_config: dict, make: Any, db: Any, small_library: None) -> None:
    web = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    web.test_client_class = SessionSyncClient
    c = web.test_client()
    teacher = make.instructor()
    login_page = c.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    assert (
        c.post(
            "/login",
            data={"email": teacher.email, "password": "correct horse battery", "csrf_token": csrf},
        ).status_code
        == 302
    )
    bank = "version: 1\nbank: {id: b1, title: B}\nsources: [{id: two-coups}]\nquestions: []\n"
    before = counts(db)
    refused = c.post("/teach/banks/upload", data={"file": upload(bank)})
    assert refused.status_code == 400
    assert "form expired" in refused.get_data(as_text=True)
    page = c.get("/teach/banks/upload").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    checked = c.post("/teach/banks/upload", data={"file": upload(bank), "csrf_token": csrf})
    assert checked.status_code == 200
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', checked.get_data(as_text=True))
    assert c.post("/teach/banks/confirm", data={"token": token.group(1)}).status_code == 400
    assert counts(db) == before
    confirmed = c.post("/teach/banks/confirm", data={"token": token.group(1), "csrf_token": csrf})
    assert confirmed.status_code == 302
    assert counts(db)["bank"] == before["bank"] + 1


@pytest.mark.parametrize("url", GET_ROUTES)
def test_instructor_gets_every_page(teacher_client: Any, small_library: None, url: str) -> None:
    """The matrix URLs name real things, so the 404s above are refusals, not absences (the
    source page's "new question" step answers with a redirect to a page)."""
    response = teacher_client.get(url, follow_redirects=True)
    assert response.status_code == 200
    assert "/login" not in response.request.path
