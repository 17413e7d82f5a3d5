"""A tiny SQLite-backed notes store."""

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, author TEXT, body TEXT);
INSERT INTO notes (author, body) VALUES ('alice', 'buy milk'), ('bob', 'call mum');
"""


def connect():
    connection = sqlite3.connect(":memory:")
    connection.executescript(SCHEMA)
    return connection


def notes_by_author(connection, author):
    query = "SELECT body FROM notes WHERE author = '" + author + "'"
    return [row[0] for row in connection.execute(query)]


def notes_by_author_safely(connection, author):
    query = "SELECT body FROM notes WHERE author = ?"
    return [row[0] for row in connection.execute(query, (author,))]


def count_notes(connection, table="notes"):
    # The table name is a constant chosen by the caller, never user input.
    return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
