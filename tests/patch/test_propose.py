"""`propose` and the public API: which findings get a fix, what a fix reads and returns."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from patch_markers import finding_from_markers

import firstpatch.patch
from firstpatch.model import Component, Ecosystem, FindingKind, Step, StepKind
from firstpatch.patch import FIXERS, FileChange, propose, unified_diff
from firstpatch.patch.interface import PatchError
from firstpatch.patch.tree import reader, write_changes


def test_public_api() -> None:
    assert sorted(firstpatch.patch.__all__) == [
        "Candidate", "FIXERS", "FileChange", "Fix", "Fixer", "PatchError", "ProposedPatch", "Reader",
        "Rescan", "propose", "unified_diff", "verify", "verify_all",
    ]  # fmt: skip


def test_one_fixer_per_cwe_family() -> None:
    assert {cwe: type(fixer).__name__ for cwe, fixer in FIXERS.items()} == {
        22: "PathFixer",
        78: "CommandFixer",
        79: "XssFixer",
        89: "SqlFixer",
        94: "CodeFixer",
        502: "DeserializationFixer",
        643: "XPathFixer",
        90: "LdapFixer",
        611: "XxeFixer",
        601: "RedirectFixer",
        918: "SsrfFixer",
        1336: "TemplateFixer",
        117: "LogFixer",
        328: "HashFixer",
        330: "RandomFixer",
        614: "CookieFixer",
        1004: "CookieFixer",
        295: "TlsFixer",
    }


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode())
    return root


HELPER = """import os


def run_command(command):
    return os.system(command)  # sink: 78 os.system(
"""
CALLER = """from flask import Flask, request

from tools import run_command

app = Flask(__name__)


@app.route("/ping")
def ping():
    host = request.args.get("host", "localhost")
    return {"status": run_command("ping -c 1 " + host)}  # step: run_command(
"""


def test_a_command_built_in_another_file_is_quoted_where_it_is_built(tmp_path: Path) -> None:
    root = write(tmp_path, {"tools.py": HELPER, "web/app.py": CALLER})
    call = finding_from_markers("web/app.py", CALLER.replace("# step:", "# sink: 0")).location
    finding = finding_from_markers("tools.py", HELPER)
    finding = dataclasses.replace(
        finding, trace=(Step(StepKind.CALL, call, "passed to run_command()"), *finding.trace)
    )

    proposed = propose(root, finding)

    assert proposed is not None
    assert proposed.files == ("web/app.py",)
    assert proposed.description == "Quote `host` with shlex.quote before pasting into the shell command"
    assert proposed.diff == (
        "--- a/web/app.py\n+++ b/web/app.py\n"
        "@@ -1,3 +1,5 @@\n"
        "+import shlex\n+\n"
        " from flask import Flask, request\n \n from tools import run_command\n"
        "@@ -8,4 +10,4 @@\n"
        ' @app.route("/ping")\n def ping():\n'
        '     host = request.args.get("host", "localhost")\n'
        '-    return {"status": run_command("ping -c 1 " + host)}  # step: run_command(\n'
        '+    return {"status": run_command("ping -c 1 " + shlex.quote(host))}  # step: run_command(\n'
    )
    # The single-file API cannot express a fix that lies in another file.
    assert FIXERS[78].rewrite(HELPER, finding) is None


DB_HELPER = """import sqlite3


def fetch_all(sql):
    return sqlite3.connect("shop.db").execute(sql).fetchall()  # sink: 89 sqlite3.connect("shop.db").execute(
"""
DB_CALLER = """from flask import request

from db import fetch_all


def orders():
    customer = request.args["customer"]
    sql = f"SELECT id FROM orders WHERE customer = '{customer}'"
    return {"orders": fetch_all(sql)}  # step: fetch_all(
"""


def test_sql_built_in_one_file_and_executed_in_another_is_bound_through_the_helper(tmp_path: Path) -> None:
    root = write(tmp_path, {"db.py": DB_HELPER, "views/orders.py": DB_CALLER})
    call = finding_from_markers("views/orders.py", DB_CALLER.replace("# step:", "# sink: 0")).location
    finding = finding_from_markers("db.py", DB_HELPER)
    finding = dataclasses.replace(
        finding, trace=(Step(StepKind.CALL, call, "passed to fetch_all()"), *finding.trace)
    )

    proposed = propose(root, finding)

    assert proposed is not None
    assert proposed.files == ("db.py", "views/orders.py")
    assert proposed.description == (
        "Bind `customer` as a query parameter instead of pasting into the SQL text,"
        " passed on through fetch_all()"
    )
    after = {change.path: change.after for change in proposed.changes}
    assert after["db.py"] == DB_HELPER.replace(
        "def fetch_all(sql):", "def fetch_all(sql, params=()):"
    ).replace(".execute(sql)", ".execute(sql, params)")
    assert after["views/orders.py"] == DB_CALLER.replace(
        "f\"SELECT id FROM orders WHERE customer = '{customer}'\"",
        '"SELECT id FROM orders WHERE customer = ?"',
    ).replace("fetch_all(sql)}", "fetch_all(sql, params=(customer,))}")


SQLITE_HELPERS = """import sqlite3


def get_connection():
    return sqlite3.connect("shop.db")
"""
SEARCH = """from flask import request

import helpers.db


def search():
    wanted = request.args["q"]
    sql = f"SELECT name FROM items WHERE name = '{wanted}'"
    con = helpers.db.get_connection()
    cur = con.cursor()
    cur.execute(sql)  # sink: 89 cur.execute(
    return cur.fetchall()
"""


def test_the_placeholder_is_the_one_of_the_driver_that_opened_the_connection(tmp_path: Path) -> None:
    root = write(tmp_path, {"helpers/__init__.py": "", "helpers/db.py": SQLITE_HELPERS, "search.py": SEARCH})
    proposed = propose(root, finding_from_markers("search.py", SEARCH))
    assert proposed is not None
    assert proposed.changes[0].after == SEARCH.replace(
        "f\"SELECT name FROM items WHERE name = '{wanted}'\"", '"SELECT name FROM items WHERE name = ?"'
    ).replace("cur.execute(sql)", "cur.execute(sql, (wanted,))")
    # Without the module that opened it, the driver is not known: no placeholder is guessed.
    (root / "helpers" / "db.py").unlink()
    assert propose(root, finding_from_markers("search.py", SEARCH)) is None


def test_the_diff_applies_with_git_even_without_a_final_newline(tmp_path: Path) -> None:
    source = (
        'import os\n\n\ndef listing(folder):\n    return os.system("ls " + folder)  # sink: 78 os.system('
    )
    root = write(tmp_path, {"tools.py": source})
    proposed = propose(root, finding_from_markers("tools.py", source))
    assert proposed is not None
    assert proposed.diff.endswith("os.system(\n\\ No newline at end of file\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "apply", "-"], cwd=root, input=proposed.diff, text=True, check=True)
    assert (root / "tools.py").read_text() == proposed.changes[0].after
    assert not proposed.changes[0].after.endswith("\n")


def test_line_endings_and_encoding_are_kept(tmp_path: Path) -> None:
    source = (
        "import yaml\r\n\r\n\r\ndef f(text):\r\n    # “smart” quotes stay\r\n"
        "    return yaml.load(text, Loader=yaml.Loader)  # sink: 502 yaml.load(\r\n"
    )
    root = write(tmp_path, {"m.py": source})
    proposed = propose(root, finding_from_markers("m.py", source))
    assert proposed is not None
    assert proposed.changes[0].after == source.replace(
        "yaml.load(text, Loader=yaml.Loader)", "yaml.safe_load(text)"
    )


def test_findings_without_a_fix_get_none(tmp_path: Path) -> None:
    source = "def f(x):\n    return eval(x)  # sink: 94 eval(\n"
    root = write(tmp_path, {"m.py": source})
    finding = finding_from_markers("m.py", source)
    assert propose(root, finding) is not None
    assert propose(root, dataclasses.replace(finding, cwe=1333)) is None  # no fixer for ReDoS
    assert propose(root, dataclasses.replace(finding, cwe=None)) is None
    dependency = dataclasses.replace(
        finding, kind=FindingKind.DEPENDENCY, component=Component("pkg:pypi/x@1", "x", "1", Ecosystem.PYPI)
    )
    assert propose(root, dependency) is None
    assert propose(root, dataclasses.replace(finding, cwe=89)) is None  # wrong fixer for the code
    (tmp_path / "m.py").write_text("def f(x:\n    return eval(x)\n")
    assert propose(root, finding) is None  # does not parse: nothing to rewrite
    (tmp_path / "m.py").unlink()
    assert propose(root, finding) is None


def test_files_outside_the_root_are_never_read(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.py": "x = eval(y)\n"})
    root = write(tmp_path / "root", {"ok.py": "ok\n"})
    (root / "link.py").symlink_to(outside / "secret.py")
    read = reader(root)
    assert read("ok.py") == "ok\n"
    assert read("link.py") is None
    assert read("../outside/secret.py") is None
    assert read(str(outside / "secret.py")) is None
    assert read("") is None
    (root / "latin1.py").write_bytes(b"x = '\xe9'\n")
    assert read("latin1.py") is None


def test_changes_are_written_only_onto_the_text_they_were_made_from(tmp_path: Path) -> None:
    root = write(tmp_path, {"a.py": "a = 1\n"})
    with pytest.raises(PatchError, match="changed since the fix was proposed"):
        write_changes(root, [FileChange("a.py", "a = 0\n", "a = 2\n")])
    with pytest.raises(PatchError, match="not a file inside the target"):
        write_changes(root, [FileChange("../a.py", "a = 1\n", "a = 2\n")])
    write_changes(root, [FileChange("a.py", "a = 1\n", "a = 2\n")])
    assert (root / "a.py").read_text() == "a = 2\n"


def test_unified_diff_orders_files_and_marks_missing_final_newlines() -> None:
    diff = unified_diff([FileChange("b.py", "x\n", "y\n"), FileChange("a.py", "p", "q")])
    assert diff == (
        "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n"
        "-p\n\\ No newline at end of file\n+q\n\\ No newline at end of file\n"
        "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-x\n+y\n"
    )
