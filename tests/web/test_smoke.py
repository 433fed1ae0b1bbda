def test_login_page_renders(client):
    r = client.get("/login")
    assert r.status_code == 200
    assert b"Log in" in r.data


def test_instructor_creates_course(make, login_as, client):
    teacher = make.instructor()
    login_as(teacher)
    r = client.post("/teach/", data={"title": "Politics of Persuasion", "code": "POL2"})
    assert r.status_code == 302
    assert b"Politics of Persuasion" in client.get("/teach/").data
