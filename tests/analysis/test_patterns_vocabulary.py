"""What names and literals say about secrets, as the pattern rules read them."""

from __future__ import annotations

import pytest

from firstpatch.analysis.patterns.vocabulary import (
    is_placeholder,
    looks_generated,
    names_credential,
    names_preference,
    names_secret,
    names_secret_maker,
    names_session,
    words,
)


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("apiKey", ("api", "key")),
        ("SESSION_COOKIE_SECURE", ("session", "cookie", "secure")),
        ("X-Auth-Token", ("x", "auth", "token")),
        ("HTTPServerRequest", ("http", "server", "request")),
        ("rememberMe2", ("remember", "me")),
    ],
)
def test_words(identifier: str, expected: tuple[str, ...]) -> None:
    assert words(identifier) == expected


@pytest.mark.parametrize("name", ["password", "db_password", "authToken", "API_KEY", "reset_code", "csrf"])
def test_names_that_hold_secrets(name: str) -> None:
    assert names_secret(name)


@pytest.mark.parametrize(
    "name",
    ["tokenizer", "secretary", "announce", "cache_key", "status_code", "password_field", "token_url", "key"],
)
def test_names_that_do_not(name: str) -> None:
    assert not names_secret(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("generate_key", True), ("new_api_key", True), ("pick_key", False), ("make_cache_key", False)],
)
def test_function_names_that_make_secrets(name: str, expected: bool) -> None:
    assert names_secret_maker(name) is expected


@pytest.mark.parametrize(
    ("name", "session", "preference"),
    [("sessionid", True, False), ("remember_me", True, False), ("theme", False, True), ("lang", False, True)],
)
def test_cookie_names(name: str, session: bool, preference: bool) -> None:
    assert (names_session(name), names_preference(name)) == (session, preference)


@pytest.mark.parametrize(
    ("name", "expected"), [("SECRET_KEY", True), ("smtp_password", True), ("auth_token", False)]
)
def test_names_that_say_credential_without_help_from_the_value(name: str, expected: bool) -> None:
    assert names_credential(name) is expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "abc",
        "changeme",
        "<password>",
        "${DB_PASSWORD}",
        "%(password)s",
        "DB_PASSWORD",
        "xxxxxxxx",
        "********",
        "your-api-key-here",
        "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key",
        "true",
        "Please enter your password",
    ],
)
def test_placeholders(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["hunter22", "Sh0pDb-2023!", "m@ilSecret99", "django-insecure-8f#2kq"])
def test_real_looking_values(value: str) -> None:
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("value", "expected"), [("a81f0c2e9b7d4e6f", True), ("IDENTIFIER", False), ("return", False)]
)
def test_machine_made_values(value: str, expected: bool) -> None:
    assert looks_generated(value) is expected
