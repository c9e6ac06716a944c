"""gunicorn settings for `bin/lwp-run` and the benchmark (one place, so both serve alike)."""

import importlib
import os

from gunicorn.glogging import Logger

from lwp import tls
from lwp.datadir import PRIVATE_UMASK, use_private_umask
from lwp.log_redaction import RedactTokens, redact, safe_path

# Master and workers create files 0600 (the SQLite -wal/-shm, sessions): set before the settings
# make the data dir. gunicorn's own `umask` covers only its files (worker heartbeats, sockets).
use_private_umask()
umask = PRIVATE_UMASK

bind = os.environ.get("LWP_BIND", "127.0.0.1:5000")
# Sync workers: each request has the process to itself, which the forked liblxc calls
# rely on; several workers serve the dashboard's polling while one runs a long create.
workers = int(os.environ.get("LWP_WORKERS", min(8, 2 * (os.cpu_count() or 1) + 1)))
worker_class = "lwp.gunicorn_worker.JsonErrorSyncWorker"  # gunicorn's sync worker, JSON errors
# A create may run a template for up to LWP_CREATE_TIMEOUT seconds; the worker must outlive it.
timeout = int(os.environ.get("LWP_CREATE_TIMEOUT", "900")) + 120
graceful_timeout = 10
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("LWP_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn (27) opens a control socket at ~/.gunicorn/gunicorn.ctl, one path for every server run
# by root on this host: LWP needs none, so there is nothing there to reach or to collide on.
control_socket_disable = True

# HTTPS exactly when the settings say so (settings.SERVE_HTTPS: one rule for the app and the server).
_settings = importlib.import_module(os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lwp.settings"))
if _settings.SERVE_HTTPS:
    _certificate = tls.server_certificate(_settings)  # bin/lwp-run's `ensuretls` already checked it
    certfile, keyfile = str(_certificate.cert_file), str(_certificate.key_file)

_ssl_contexts = {}


def ssl_context(config, default_ssl_context_factory):
    """One TLS context per worker: gunicorn would build one per connection (1.6 ms each, most of
    it loading the system CA store, which a server that asks for no client certificate never uses)."""
    pid = os.getpid()
    if pid not in _ssl_contexts:
        _ssl_contexts[pid] = default_ssl_context_factory()
    return _ssl_contexts[pid]


# The path without its query string, and no Referer: either may carry a token, in any spelling.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
_SECRET_HEADER_ATOMS = {"{referer}i", "{private-token}i", "{authorization}i", "{cookie}i"}


class RedactingLogger(Logger):
    """Log lines never carry a token: no query string, no Referer, no revocation's path.

    Both logs: gunicorn's own warnings quote a refused request line, query string and all.
    """

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactTokens())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = safe_path(atoms.get("U") or "")
        # Even a custom --access-logformat finds no query string, Referer or token in its atoms.
        atoms.update(U=path, q="", f="-", r=f"{atoms.get('m')} {path} {atoms.get('H')}")
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()
                if key.lower() not in _SECRET_HEADER_ATOMS}


logger_class = RedactingLogger
