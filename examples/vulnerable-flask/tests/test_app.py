"""The demo application's own tests: normal use must keep working after a patch."""

from app import app


def client():
    return app.test_client()


def test_notes_by_author():
    assert client().get("/v/notes?author=alice").get_json() == {"notes": ["buy milk"]}


def test_read_welcome_file():
    assert "Welcome" in client().get("/v/files?name=welcome.txt").get_data(as_text=True)


def test_parse_list():
    assert client().get("/v/parse?value=[1,2,3]").get_json() == {"items": [1, 2, 3]}


def test_settings_load():
    assert client().post("/v/settings", data="a: 1").get_json() == {"settings": "{'a': 1}"}


def test_hello_greets():
    assert client().get("/v/hello?name=Ada").get_data(as_text=True) == "<h1>Hello Ada!</h1>"
