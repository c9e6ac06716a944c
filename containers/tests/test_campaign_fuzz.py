"""Fuzz campaign: schemathesis against /api/v1/schema/ on a live server, a bounded number of cases per route.

With a viewer's token, an administrator's token (few cases: they create and delete, on the
test lxcpath only) and bad tokens: no 5xx, every status documented, every body as the
schema describes it; bad tokens get a 401 everywhere. Hypothesis is derandomized, so each
run sends the same cases.
"""

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from containers.tests.campaign_support import call_json, live_server, lxcpath_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA_PATH = "/api/v1/schema/"
# A bound against a runaway campaign (cases are bounded; each one is a request), not a speed
# target: on this VM at load average 13 the viewer's cases took 180 s.
CAMPAIGN_SECONDS = 600
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]
# Bad tokens as a client could send them through requests (a header must be latin-1); a 10 kB
# one is answered by the server itself (431), which test_campaign_bad_input covers.
BAD_TOKENS = [
    {"private-token": "0" * 32},                          # well-formed, unknown
    {"private-token": "short"},                           # breaks the token rules
    {"Authorization": "Bearer " + "é".encode().decode("latin-1") * 20},  # non-ASCII bytes
    {"Authorization": "Bearer "},                         # empty
]


@pytest.fixture
def server():
    with live_server(workers=2) as running:
        yield running


def load_schema(server, token):
    answer = call_json(server, "GET", SCHEMA_PATH, token=token)
    assert answer.status == 200, answer.raw[:300]
    return schemathesis.openapi.from_dict(answer.json)


def fuzz(schema, server, *, headers, max_examples, modes=(GenerationMode.POSITIVE,), checks_=CHECKS,
         extra=None, methods=None, path_prefix="", path_parameters=None):
    """Run each operation's cases; returns the failure reports (one per failing operation)."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if methods and operation.method.upper() not in methods or not operation.path.startswith(path_prefix):
            continue
        for mode in modes:

            @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def run(case):
                response = case.call(base_url=server.url, headers=headers, timeout=60)
                case.validate_response(response, checks=checks_, headers=headers)
                if extra:
                    extra(case, response)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - gathered, reported together below
                failures.append(f"{operation.label} [{mode}]: {exc}"[:3000])
    return failures


def test_viewer_token_fuzz_finds_no_5xx_and_no_answer_outside_the_schema(users, tokens, lxcpath):
    with live_server(workers=2) as server:
        schema = load_schema(server, tokens.bob)
        before = lxcpath_snapshot(lxcpath)
        started = time.monotonic()
        failures = fuzz(schema, server, headers={"private-token": tokens.bob}, max_examples=15,
                        modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
        took = time.monotonic() - started
        log = server.log_text()
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in log, log[-3000:]
    assert lxcpath_snapshot(lxcpath) == before  # a viewer changes nothing
    assert took < CAMPAIGN_SECONDS


def test_administrator_token_fuzz_of_writes_finds_no_5xx_and_no_answer_outside_the_schema(
        users, tokens, lxcpath):
    with live_server(workers=2) as server:
        schema = load_schema(server, tokens.alice)
        started = time.monotonic()
        failures = fuzz(schema, server, headers={"private-token": tokens.alice}, max_examples=8,
                        modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
                        methods={"PUT", "POST", "DELETE"})
        took = time.monotonic() - started
        log = server.log_text()
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in log, log[-3000:]
    assert took < CAMPAIGN_SECONDS


def test_administrator_fuzz_of_a_real_container_finds_no_5xx_and_no_answer_outside_the_schema(
        users, tokens, make_container, lxcpath):
    name = make_container("fz", start=True)
    with live_server(workers=2) as server:
        schema = load_schema(server, tokens.alice)
        failures = fuzz(schema, server, headers={"private-token": tokens.alice}, max_examples=10,
                        methods={"GET", "POST", "DELETE"}, path_prefix="/api/v1/containers/{name}",
                        path_parameters={"name": name})
        log = server.log_text()
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in log, log[-3000:]


def test_bad_tokens_get_a_documented_401_on_every_route(users, tokens):
    def is_401(case, response):
        assert response.status_code == 401, (case.method, case.path, response.status_code, response.text[:200])
        assert response.json()["code"] == "unauthorized"

    with live_server(workers=2) as server:
        schema = load_schema(server, tokens.bob)
        failures = []
        for headers in BAD_TOKENS:
            failures += fuzz(schema, server, headers=headers, max_examples=3, extra=is_401)
    assert not failures, "\n\n".join(failures)
