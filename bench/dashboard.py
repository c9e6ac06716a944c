"""How long the dashboard takes to render with many containers (a script, not a test).

Creates N busybox containers (default 200; a quarter of them running) in a private
lxcpath on a private bridge, then renders the dashboard page and its htmx fragment
through Django's test client as a superuser, and prints median and p95 in ms.
Everything it made is removed at the end, also on Ctrl-C.

    .venv/bin/python bench/dashboard.py [--containers 200] [--running 50] [--rounds 30]
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUN_DIR = tempfile.mkdtemp(prefix="lwp-bench-")
os.environ.update(LWP_TEST_RUN_DIR=RUN_DIR, LWP_DATA_DIR=os.path.join(RUN_DIR, "data"),
                  LWP_LXC_PATH=os.path.join(RUN_DIR, "lxc"), DJANGO_SETTINGS_MODULE="testing.settings")


def timed(client, url, rounds):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)], len(response.content)


def make_containers(backend, bridge, count, running):
    # One container made by the template, the rest copied from it: the same config, much faster.
    from testing import playground  # noqa: PLC0415

    first = playground.unique_name("bench")
    backend.create(first, template="busybox")
    backend.update_settings(first, {"network_link": bridge.name})
    names = [first]
    for _ in range(count - 1):
        name = playground.unique_name("bench")
        backend.clone(first, name)
        names.append(name)
        if len(names) % 50 == 0:
            print(f"  {len(names)} containers", flush=True)
    for name in names[:running]:
        backend.start(name)
    return names


def print_profile(render):
    import cProfile  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    profiler = cProfile.Profile()
    profiler.runcall(render)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


@contextlib.contextmanager
def django_workspace():
    """Django on the private run dir: migrated, with a superuser and a private bridge, as
    (superuser, bridge); the containers, the bridge and the run dir go at the end."""
    import django  # noqa: PLC0415

    django.setup()
    from django.conf import settings  # noqa: PLC0415
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.test.utils import setup_test_environment  # noqa: PLC0415

    from testing import playground  # noqa: PLC0415

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    os.makedirs(settings.LWP_LXC_PATH, exist_ok=True)
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)  # whitenoise warns when it is missing
    call_command("migrate", verbosity=0)
    admin = get_user_model().objects.create_superuser("bench", password="bench-pw")
    bridge = playground.PrivateBridge(RUN_DIR).up()
    try:
        yield admin, bridge
    finally:
        print("cleaning up ...", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        playground.destroy_all(settings.LWP_LXC_PATH)
        bridge.down()
        shutil.rmtree(RUN_DIR, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=200)
    parser.add_argument("--running", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="print where one page render spends its time")
    args = parser.parse_args()

    with django_workspace() as (admin, bridge):
        from django.conf import settings  # noqa: PLC0415
        from django.test import Client  # noqa: PLC0415

        from containers.engines import get_engine  # noqa: PLC0415

        backend = get_engine()
        started = time.perf_counter()
        print(f"creating {args.containers} containers ({args.running} running) in {settings.LWP_LXC_PATH}")
        make_containers(backend, bridge, args.containers, args.running)
        print(f"  done in {time.perf_counter() - started:.0f} s")
        from containers import services  # noqa: PLC0415

        listing = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            services.list_containers(user=admin, details=True)
            listing.append((time.perf_counter() - started) * 1000)
        print(f"{'of which the liblxc listing':36} median {statistics.median(listing):7.1f} ms")
        client = Client()
        client.force_login(admin)
        client.get("/")  # warm up: templates compiled, URL resolvers built
        for label, url in (("dashboard page /", "/"), ("htmx fragment /dashboard/table/", "/dashboard/table/"),
                           ("filtered fragment ?state=running", "/dashboard/table/?state=running")):
            median, p95, size = timed(client, url, args.rounds)
            print(f"{label:36} median {median:7.1f} ms   p95 {p95:7.1f} ms   ({size // 1024} KiB, "
                  f"{args.rounds} rounds)")
        if args.profile:
            print_profile(lambda: client.get("/"))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
