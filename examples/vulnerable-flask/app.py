"""The demo application: vulnerable routes under /v/, safe look-alikes under /s/."""

import ast
import json
import os
import pickle
import shlex
import subprocess

import yaml
from flask import Flask, abort, request, send_from_directory
from markupsafe import escape

from notes.store import connect, count_notes, notes_by_author, notes_by_author_safely

app = Flask(__name__)
FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")


def run_command(command):
    return os.system(command)


@app.route("/v/ping")
def ping():
    host = request.args.get("host", "localhost")
    status = run_command(f"ping -c 1 {host}")
    return {"status": status}


@app.route("/s/ping")
def ping_safely():
    host = request.args.get("host", "localhost")
    completed = subprocess.run(["ping", "-c", "1", host], capture_output=True, check=False)
    return {"status": completed.returncode}


@app.route("/s/ping-quoted")
def ping_quoted():
    host = shlex.quote(request.args.get("host", "localhost"))
    return {"status": os.system("ping -c 1 " + host)}


@app.route("/v/notes")
def notes():
    author = request.args.get("author", "")
    return {"notes": notes_by_author(connect(), author)}


@app.route("/s/notes")
def notes_safely():
    author = request.args.get("author", "")
    connection = connect()
    return {"notes": notes_by_author_safely(connection, author), "total": count_notes(connection)}


@app.route("/v/files")
def read_file():
    name = request.args.get("name", "welcome.txt")
    with open(os.path.join(FILES_DIR, name)) as handle:
        return handle.read()


@app.route("/s/files")
def read_file_safely():
    name = request.args.get("name", "welcome.txt")
    return send_from_directory(FILES_DIR, name)


@app.route("/s/files-basename")
def read_file_by_basename():
    name = os.path.basename(request.args.get("name", "welcome.txt"))
    path = os.path.join(FILES_DIR, name)
    if not os.path.isfile(path):
        abort(404)
    with open(path) as handle:
        return handle.read()


@app.route("/v/parse")
def parse_list():
    value = request.args.get("value", "[1, 2]")
    return {"items": list(eval(value))}


@app.route("/s/parse")
def parse_list_safely():
    value = request.args.get("value", "[1, 2]")
    return {"items": list(ast.literal_eval(value))}


@app.route("/v/restore", methods=["POST"])
def restore():
    state = pickle.loads(request.get_data())
    return {"restored": str(state)}


@app.route("/s/restore", methods=["POST"])
def restore_safely():
    state = json.loads(request.get_data())
    return {"restored": str(state)}


@app.route("/v/settings", methods=["POST"])
def settings():
    loaded = yaml.load(request.get_data(as_text=True), Loader=yaml.Loader)
    return {"settings": str(loaded)}


@app.route("/s/settings", methods=["POST"])
def settings_safely():
    loaded = yaml.safe_load(request.get_data(as_text=True))
    return {"settings": str(loaded)}


@app.route("/v/hello")
def hello():
    name = request.args.get("name", "world")
    return f"<h1>Hello {name}!</h1>"


@app.route("/s/hello")
def hello_safely():
    name = request.args.get("name", "world")
    return f"<h1>Hello {escape(name)}!</h1>"


@app.route("/s/hello-count")
def hello_count():
    count = int(request.args.get("count", "1"))
    return f"<h1>Hello {count} times!</h1>"


if __name__ == "__main__":
    app.run()
