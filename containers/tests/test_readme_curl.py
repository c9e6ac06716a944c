"""The README's API examples work as pasted: its createtoken line and every curl line, in order.

Each curl line is split as sh would split it (shlex) and run as an argv list, never by a
shell; only the host:port, $TOKEN and the example's container name are substituted. The
createtoken line's arguments run through call_command, against the test database.
"""

import io
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import call_command

from operations.models import Operation
from testing.playground import unique_name

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLE_URL = "http://127.0.0.1:5000"
EXAMPLE_NAME = "demo"


def api_section_commands():
    """The shell lines of the README's "## API" section, in order."""
    section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def createtoken_arguments(line):
    """The manage.py arguments of the README's `TOKEN=$(.venv/bin/python manage.py ...)` line."""
    command = re.fullmatch(r'TOKEN=\$\((.*)\)', line).group(1)
    argv = shlex.split(command)
    assert argv[:2] == [".venv/bin/python", "manage.py"], argv
    return argv[2:]


def run_curl(argv):
    result = subprocess.run([*argv[:1], "--silent", "--output", "/dev/null", "--write-out", "%{http_code}",
                             "--noproxy", "*", *argv[1:]], capture_output=True, text=True, timeout=120)
    return int(result.stdout or 0)


def wait_for_operations_on(name, timeout=60):
    deadline = time.monotonic() + timeout
    while Operation.objects.filter(container=name, finished__isnull=True).exists():
        assert time.monotonic() < deadline, f"operations on {name} did not finish"
        time.sleep(0.1)


def test_every_api_example_in_the_readme_works_as_pasted(live_app, django_user_model, backend, bridge):
    django_user_model.objects.create_superuser("admin", password="pw-admin")
    lines = api_section_commands()
    token_line = next(line for line in lines if line.startswith("TOKEN="))
    printed = io.StringIO()
    call_command(*createtoken_arguments(token_line), stdout=printed)  # in-process: the test's database
    token = printed.getvalue().strip()
    name = unique_name("readme")
    curl_lines = [line for line in lines if line.startswith("curl ")]
    assert len(curl_lines) >= 8
    try:
        for line in curl_lines:
            pasted = line.replace(EXAMPLE_URL, live_app.url).replace("$TOKEN", token)
            status = run_curl(shlex.split(pasted.replace(EXAMPLE_NAME, name)))
            assert 200 <= status < 300, (line, status)
            if status == 202:  # answered at once: the next line expects the job done, as a reader would
                wait_for_operations_on(name)
            if '"template"' in line:
                # bin/lwp-run brings lxcbr0 up; the tests' private bridge stands in for it.
                backend.update_settings(name, {"network_link": bridge.name})
        deleted_by_the_readme = not backend.exists(name)
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)
    assert deleted_by_the_readme
