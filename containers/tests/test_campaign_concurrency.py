"""Concurrency campaign: 50 random power actions at once, from several server workers, on 3 containers.

Every answer must be a 200 whose state fits its action, or a 409 that explains itself
(busy, or the state that forbids the action); afterwards each container is at rest in a
state one of the answers announced, and no container lock is left held.
"""

import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from containers.tests.campaign_support import SETTLED_STATES, call_json, live_server, lxc_state

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20240611
REQUESTS = 50
CLIENT_THREADS = 8
SERVER_WORKERS = 4
# Bound: 50 requests each waiting at most LWP_LOCK_WAIT (2 s) or one start/stop of busybox.
CAMPAIGN_SECONDS = 150

STATE_AFTER = {"start": "RUNNING", "stop": "STOPPED", "freeze": "FROZEN", "unfreeze": "RUNNING",
               "restart": "RUNNING"}
STATE_WORD = re.compile(r"\b(STOPPED|STARTING|RUNNING|STOPPING|ABORTING|FREEZING|FROZEN|THAWED)\b")


def random_requests(names, seed=SEED, count=REQUESTS):
    """(container, action, body) triples; stop and restart sometimes graceful, sometimes forced."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        action = rng.choice(list(STATE_AFTER))
        body = {"action": action}
        if action in ("stop", "restart"):
            body.update(rng.choice([{"timeout": 5}, {"force": True}]))
        made.append((rng.choice(names), action, body))
    return made


def explains_itself(name, action, answer):
    """A 409 says the container is busy, or names the state that forbids the action."""
    body = answer.json or {}
    if body.get("status") != "error" or name not in body.get("error", ""):
        return False
    if body.get("code") == "busy":
        return "busy" in body["error"]
    return body.get("code") == "invalid_state" and bool(STATE_WORD.search(body["error"]))


def test_fifty_concurrent_random_actions_answer_200_or_an_explained_409_and_leave_containers_at_rest(
        users, tokens, make_container, backend, lxcpath):
    names = [make_container("cc", start=index == 0) for index in range(3)]
    plan = random_requests(names)
    with live_server(workers=SERVER_WORKERS) as server:

        def fire(request):
            name, action, body = request
            return name, action, call_json(server, "POST", f"/api/v1/containers/{name}", token=tokens.dave,
                                           data=body)

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            results = list(pool.map(fire, plan))
        took = time.monotonic() - started
        log = server.log_text()

    assert took < CAMPAIGN_SECONDS
    statuses = [answer.status for _, _, answer in results]
    assert all(status in (200, 409) for status in statuses), statuses
    assert "Traceback" not in log, log[-3000:]
    announced = {name: set() for name in names}
    for name, action, answer in results:
        if answer.status == 200:
            assert answer.json == {"status": "ok", "name": name, "state": STATE_AFTER[action],
                                   "operation": answer.json.get("operation")}, answer.json
            assert answer.json["operation"], answer.json
            announced[name].add(answer.json["state"])
        else:
            assert explains_itself(name, action, answer), (name, action, answer.json)
    assert statuses.count(200) >= 5, statuses  # the campaign did change states, not only refuse

    for index, name in enumerate(names):
        state = lxc_state(lxcpath, name)
        initial = "RUNNING" if index == 0 else "STOPPED"
        assert state in SETTLED_STATES, (name, state)
        assert state in announced[name] | {initial}, (name, state, announced[name])
        assert not backend.locks.is_held(name), name


def test_same_seed_gives_the_same_campaign():
    names = ["a", "b", "c"]
    assert random_requests(names) == random_requests(names)
    assert {action for _, action, _ in random_requests(names)} == set(STATE_AFTER)
