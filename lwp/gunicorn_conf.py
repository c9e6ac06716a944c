"""gunicorn settings for `bin/lwp-run` and the benchmark (one place, so both serve alike)."""

import importlib
import os

from gunicorn.glogging import Logger

from lwp import tls
from lwp.datadir import PRIVATE_UMASK, use_private_umask
from lwp.log_redaction import RedactTokens

# Master and workers create files 0600 (the SQLite -wal/-shm, sessions): set before the settings
# make the data dir. gunicorn's own `umask` covers only its files (worker heartbeats, sockets).
use_private_umask()
umask = PRIVATE_UMASK

bind = os.environ.get("LWP_BIND", "127.0.0.1:5000")
# Each worker serves many requests at once (uvicorn: HTTP on threads, WebSockets on its event
# loop; lwp/asgi.py); several workers spread them over the CPUs.
workers = int(os.environ.get("LWP_WORKERS", min(8, 2 * (os.cpu_count() or 1) + 1)))
worker_class = "lwp.gunicorn_worker.JsonErrorUvicornWorker"
# The event loop tells the arbiter it is alive whatever its requests do: a worker is killed only
# when its loop is stuck this long. A create or a backup runs on, under liblxc's own deadlines.
timeout = 120
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
    certfile, keyfile = str(_certificate.cert_file), str(_certificate.key_file)  # one context per worker (uvicorn)


class RedactingLogger(Logger):
    """gunicorn's own lines never carry a token (its warnings may quote a request line).

    The access lines are lwp/asgi.py's, made safe there.
    """

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactTokens())


logger_class = RedactingLogger
