"""Settings for the test suite: a private data dir and lxcpath per test run.

Live servers started by tests inherit these through the environment.
"""

import os
import tempfile

if "LWP_TEST_RUN_DIR" not in os.environ:
    os.environ["LWP_TEST_RUN_DIR"] = tempfile.mkdtemp(prefix="lwp-test-")
_run_dir = os.environ["LWP_TEST_RUN_DIR"]
os.environ.setdefault("LWP_DATA_DIR", os.path.join(_run_dir, "data"))
os.environ.setdefault("LWP_LXC_PATH", os.path.join(_run_dir, "lxc"))
os.environ.setdefault("LWP_LOCK_WAIT", "2")
# busybox halts in a second or two; under load a graceful stop may take longer, and tests
# that stop several containers in a row must stay bounded.
os.environ.setdefault("LWP_STOP_TIMEOUT", "10")
# The campaigns send thousands of bad tokens from one address: a lock-out would end them early.
# The throttle's own tests set a small limit (tokens/tests/test_throttle.py).
os.environ.setdefault("LWP_LOGIN_FAILURE_LIMIT", "1000000")

from lwp.settings import *  # noqa: E402,F403

# Fast users in tests; LXC-Web-Panel's hasher stays behind it, as in production.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *LWP_LEGACY_HASHERS]  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory: live servers started by tests (gunicorn) open the same database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_run_dir, "test.sqlite3")}
# On PostgreSQL (DATABASE_URL, see bin/lwp-test) pytest-django creates test_<NAME> and drops it
# at the end; live servers (testing.playground.LiveServer) open that same database.

# In-process tests run each queued job inside the request that queues it (django-tasks'
# ImmediateBackend): the code path is the worker's, without a process to start. Live servers
# (testing.playground.LiveServer) use the database queue with a real worker beside them.
if os.environ.get("LWP_TEST_TASKS", "immediate") == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                         "QUEUES": [LWP_JOB_QUEUE]}}  # noqa: F405
