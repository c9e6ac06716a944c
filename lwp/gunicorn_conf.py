"""gunicorn settings for `bin/lwp-run` and the benchmark (one place, so both serve alike)."""

import os

from gunicorn.glogging import Logger

from lwp.log_redaction import RedactTokens, redact

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


class RedactingLogger(Logger):
    """Log lines never carry a token: in a query string, or in a revocation's path.

    Both logs: gunicorn's own warnings quote a refused request line, query string and all.
    """

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactTokens())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
