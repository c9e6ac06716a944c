"""Test support shared by conftest.py and bench/: never imported by the product.

playground.py: a private lxcpath, bridge (dnsmasq, no NAT) and gunicorn for tests and benchmarks.
api.py: users of each group, their tokens, and callers of the API (a pytest plugin).
settings.py: the settings of a test run (a private data dir and lxcpath), also for the servers it starts.
"""
