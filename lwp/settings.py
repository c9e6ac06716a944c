"""LWP settings, read from environment variables (see README "Configuration").

A bad value stops start-up with ImproperlyConfigured naming the variable.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured

from containers.vocabulary import MAX_STOP_TIMEOUT
from lwp.addresses import is_loopback
from lwp.datadir import DIR_MODE, FILE_MODE, make_private, make_sqlite_private
from lwp.flags import parse_flag
from tokens.lengths import TOKEN_FLOOR, TOKEN_MAX_LENGTH, TOKEN_STRONG_LENGTH

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name, default):
    return os.environ.get(name, default)


def envbool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return parse_flag(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)") from None


def envint(name, default, *, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ImproperlyConfigured(f"{name}={value} is outside {minimum}..{maximum}")
    return value


def envlist(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def persistent_secret(path):
    """A random secret generated on first use and kept in the data dir (mode 600)."""
    try:
        value = path.read_text().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def database_from_url(url):
    """DATABASE_URL: sqlite:///ABSOLUTE/PATH or postgres[ql]://user:pass@host:port/name.

    No host means PostgreSQL's default Unix socket; `?host=/socket/dir` names another (libpq's form).
    """
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} has a bad port") from None
        query = parse_qs(parts.query, keep_blank_values=True)
        if set(query) - {"host"}:  # silently dropping e.g. sslmode=require would be worse
            raise ImproperlyConfigured(f"DATABASE_URL={url!r}: only the `host` parameter is supported")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": query.get("host", [parts.hostname or ""])[-1],
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported (sqlite, postgres)")


def parse_bind(value):
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ImproperlyConfigured(f"LWP_BIND={value!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def parse_trusted_proxies(value):
    """LWP_FORWARDED_ALLOW_IPS: "*" or comma-separated addresses/networks."""
    if value.strip() == "*":
        return "*"
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in value.split(",") if item.strip()]
    except ValueError:
        raise ImproperlyConfigured(f"LWP_FORWARDED_ALLOW_IPS={value!r} is not a list of addresses") from None


DATA_DIR = Path(envstr("LWP_DATA_DIR", str(BASE_DIR / "data"))).resolve()
try:
    # 0700, every file 0600 (it holds session keys and secrets); fixes an older install's 0755/0644.
    make_private(DATA_DIR)
except OSError as exc:
    raise ImproperlyConfigured(f"LWP_DATA_DIR={DATA_DIR}: cannot make it a private dir ({exc.strerror})") from None

SECRET_KEY = envstr("LWP_SECRET_KEY", "") or persistent_secret(DATA_DIR / "secret_key")
# Tokens are stored as HMAC digests keyed with this pepper, kept apart from SECRET_KEY.
LWP_TOKEN_PEPPER = envstr("LWP_TOKEN_PEPPER", "") or persistent_secret(DATA_DIR / "token_pepper")
# The shortest token a caller may choose (POST /api/v1/tokens, createtoken --token). Lower than 16
# for scripts that mint their own short tokens, as LXC-Web-Panel allowed; those are marked weak.
LWP_TOKEN_MIN_LENGTH = envint("LWP_TOKEN_MIN_LENGTH", TOKEN_STRONG_LENGTH, minimum=TOKEN_FLOOR,
                              maximum=TOKEN_MAX_LENGTH)

DEBUG = envbool("LWP_DEBUG", False)
LWP_BIND = envstr("LWP_BIND", "127.0.0.1:5000")
BIND_HOST, BIND_PORT = parse_bind(LWP_BIND)
# HTTPS: on whenever the panel listens beyond loopback, unless LWP_TLS=off (behind a reverse
# proxy). The certificate is LWP_TLS_CERT/LWP_TLS_KEY, or one generated once into the data dir.
LWP_TLS = envstr("LWP_TLS", "auto").strip().lower()
if LWP_TLS not in ("auto", "on", "off"):
    raise ImproperlyConfigured(f"LWP_TLS={LWP_TLS!r} is not auto, on or off")
LWP_TLS_CERT = envstr("LWP_TLS_CERT", "") or None
LWP_TLS_KEY = envstr("LWP_TLS_KEY", "") or None
if bool(LWP_TLS_CERT) != bool(LWP_TLS_KEY):
    raise ImproperlyConfigured("LWP_TLS_CERT and LWP_TLS_KEY go together: set both or neither")
SERVE_HTTPS = LWP_TLS == "on" or (LWP_TLS == "auto" and not is_loopback(BIND_HOST))
ALLOWED_HOSTS = envlist("LWP_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", BIND_HOST])
CSRF_TRUSTED_ORIGINS = envlist("LWP_CSRF_TRUSTED_ORIGINS", [])

# liblxc: None means liblxc's own default lxcpath (lxc.lxcpath, usually /var/lib/lxc).
LWP_LXC_PATH = envstr("LWP_LXC_PATH", "") or None
LWP_TEMPLATES_DIR = envstr("LWP_TEMPLATES_DIR", "/usr/share/lxc/templates")
# Templates the panel offers at all (comma-separated); None: the vetted ones this host has.
# Templates LWP does not vet (local, oci, ...) are offered to superusers only.
LWP_TEMPLATES = envlist("LWP_TEMPLATES", None)
LWP_LOCK_DIR = Path(envstr("LWP_LOCK_DIR", str(DATA_DIR / "locks")))
# Seconds a request waits for another operation on the same container before "busy".
LWP_LOCK_WAIT = envint("LWP_LOCK_WAIT", 5, minimum=0, maximum=600)
# Seconds a template (create) or a clone may run before it is killed and undone.
LWP_CREATE_TIMEOUT = envint("LWP_CREATE_TIMEOUT", 900, minimum=5, maximum=86400)
# Seconds a backup or a restore may run before it is killed and undone; the largest archive
# (the sum of its files' sizes) a restore or an import accepts, in bytes.
LWP_BACKUP_TIMEOUT = envint("LWP_BACKUP_TIMEOUT", 4 * 3600, minimum=60, maximum=7 * 86400)
LWP_BACKUP_MAX_BYTES = envint("LWP_BACKUP_MAX_BYTES", 1 << 40, minimum=1 << 20)
# Long operations (create, clone, destroy) run in the worker (manage.py lwpworker), queued in
# the database. A synchronous request gives up (503) when no worker took its job within this.
# LWP_JOB_QUEUE names the queue: only two LWP instances sharing one database need different ones.
LWP_JOB_QUEUE = envstr("LWP_JOB_QUEUE", "lwp")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": [LWP_JOB_QUEUE]}}
LWP_WORKER_WAIT = envint("LWP_WORKER_WAIT", 10, minimum=1, maximum=3600)
# bin/lwp-run (lwp/supervisor.py) runs this many workers beside gunicorn; 0 when they run
# elsewhere on the same database. On stop, a worker gets LWP_STOP_GRACE seconds to finish its
# job before it is killed (the job is then undone).
LWP_JOB_WORKERS = envint("LWP_JOB_WORKERS", 2, minimum=0, maximum=64)
LWP_STOP_GRACE = envint("LWP_STOP_GRACE", 30, minimum=0, maximum=3600)
# Requests one web worker serves at once, each on a thread of its own (lwp/asgi.py); beyond, a 503
# at once. Each thread keeps a database connection: PostgreSQL needs LWP_WORKERS times this.
LWP_WORKER_THREADS = envint("LWP_WORKER_THREADS", 10, minimum=1, maximum=256)
# Audit events (and finished operations) older than this many days are pruned by the worker.
LWP_AUDIT_DAYS = envint("LWP_AUDIT_DAYS", 365, minimum=1, maximum=100 * 365)
LWP_STOP_TIMEOUT = envint("LWP_STOP_TIMEOUT", 30, minimum=0, maximum=MAX_STOP_TIMEOUT)
# Seconds a console session (containers/console.py) may go without the user typing before it is ended.
LWP_CONSOLE_IDLE = envint("LWP_CONSOLE_IDLE", 900, minimum=10, maximum=7 * 24 * 3600)
# Console sessions one user may hold open at once, across every server process.
LWP_CONSOLE_SESSIONS = envint("LWP_CONSOLE_SESSIONS", 4, minimum=1, maximum=1000)
# Backups: archives of whole root filesystems, as private as the data dir (0700, files 0600).
LWP_BACKUP_DIR = Path(envstr("LWP_BACKUP_DIR", str(DATA_DIR / "backups"))).resolve()
try:
    make_private(LWP_BACKUP_DIR)
except OSError as exc:
    raise ImproperlyConfigured(f"LWP_BACKUP_DIR={LWP_BACKUP_DIR}: cannot make it a private dir ({exc.strerror})") from None
# The largest archive an import may upload (bytes); a larger one is refused before it is stored.
LWP_UPLOAD_MAX_BYTES = envint("LWP_UPLOAD_MAX_BYTES", 16 << 30, minimum=1 << 20)
# Metrics history (metrics/): the worker samples every LWP_METRICS_INTERVAL seconds into
# fixed-size RRD files, one per container and one for the host, in the data dir's metrics/.
LWP_METRICS_INTERVAL = envint("LWP_METRICS_INTERVAL", 10, minimum=1, maximum=300)
LWP_METRICS_DIR = DATA_DIR / "metrics"
try:
    make_private(LWP_METRICS_DIR)
except OSError as exc:
    raise ImproperlyConfigured(f"{LWP_METRICS_DIR}: cannot make it a private dir ({exc.strerror})") from None

INSTALLED_APPS = [
    # First, so that its createsuperuser and changepassword (Django's, plus an audit event) take
    # the place of django.contrib.auth's: the first app that has a command wins.
    "operations",
    # django.contrib.admin on a site that records every admin change in the audit log.
    "operations.apps.AuditedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "containers",
    "backups",
    "tokens",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "lwp.api.middleware.ApiJsonErrorsMiddleware",  # JSON, never an HTML error page, under /api/
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "operations.middleware.RefusedWritesMiddleware",  # a write refused on a page: an audit event
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lock-out into its answer
]

ROOT_URLCONF = "lwp.urls"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lwp.sqlite3'}"))
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several gunicorn workers and the job workers share the file: wait for the write lock instead
    # of failing. IMMEDIATE: a transaction takes the write lock when it begins, so it waits for it
    # (a read that later upgrades to a write would fail at once with "database is locked").
    # synchronous=NORMAL, as SQLite advises for WAL: a commit does not wait for the disk (a power
    # cut may lose the last commits, never the file's consistency); every change writes an
    # operation and an audit event, and a start must stay as quick as before they were kept.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                                       "transaction_mode": "IMMEDIATE"}
    make_sqlite_private(DATABASES["default"]["NAME"])  # also when DATABASE_URL puts it elsewhere

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's own, then LXC-Web-Panel's unsalted SHA-512 (accounts `manage.py importlwp` brings
# over): an old hash still signs in, and Django rehashes it with the first one at that sign-in.
LWP_LEGACY_HASHERS = ["tokens.hashers.LWPSHA512PasswordHasher"]
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, *LWP_LEGACY_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envstr("LWP_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Django's storage chmods what it writes (default 0644), whatever the umask: collectstatic's copies too.
FILE_UPLOAD_PERMISSIONS = FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = DIR_MODE
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# The app serves its own static files (vendored htmx, styles) even before collectstatic has run.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# ----- Credentials: brute-force throttle (django-axes), cookies, headers -----
# Failed sign-ins (panel, admin) and failed API tokens count per client address, and per
# account for sign-ins; at the limit that address or account is refused (429) until the
# cool-off has passed since its last failure. `manage.py axes_reset` lifts every lock-out.
LWP_LOGIN_FAILURE_LIMIT = envint("LWP_LOGIN_FAILURE_LIMIT", 10, minimum=1, maximum=1_000_000)
LWP_LOGIN_COOLOFF_MINUTES = envint("LWP_LOGIN_COOLOFF_MINUTES", 15, minimum=1, maximum=7 * 24 * 60)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = LWP_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LWP_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = "tokens.throttle.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "tokens.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "tokens.views.locked_out"
# A sign-in must not wipe its address's failures (an attacker with one account could), and
# refused attempts during a lock-out do not prolong it: it ends by itself.
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures are recorded without their query or form data (a token may hide in any spelling);
# axes' log lines mask the typed user name (people type passwords there).
AXES_HANDLER = "tokens.throttle.AttemptsWithoutData"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "private_token", "token", "next"]
# Client addresses behind a proxy: X-Forwarded-For counts only when the peer is one of these
# (gunicorn's forwarded_allow_ips, same variable); otherwise REMOTE_ADDR, never a header.
LWP_TRUSTED_PROXIES = parse_trusted_proxies(envstr("LWP_FORWARDED_ALLOW_IPS", "127.0.0.1"))

# Messages stay on the server (a cookie would carry their text to the browser and back).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SERVE_HTTPS
# HSTS only where the server speaks HTTPS (browsers ignore it over a certificate they distrust).
SECURE_HSTS_SECONDS = envint("LWP_HSTS_SECONDS", 365 * 24 * 3600, minimum=0) if SERVE_HTTPS else 0
# Everything the panel loads is its own (vendored htmx, lwp.js, lwp.css): no inline script or
# style, no other origin. The API docs page widens style-src for Swagger UI (lwp.api.index).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": [],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "lwp.api.exception_handler.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LWP API",
    "DESCRIPTION": "LXC web panel REST API, compatible with LXC-Web-Panel's API v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Each route works with and without its trailing slash; the schema lists its documented form.
    "PREPROCESSING_HOOKS": ["lwp.api.routing.drop_twin_routes"],
    # Bodies with an "action" field (the power actions, a snapshot's) and a "status" field (an
    # operation's, a backup's) each get an enum of their own.
    "ENUM_NAME_OVERRIDES": {"ActionEnum": "containers.vocabulary.POWER_ACTIONS",
                            "SnapshotActionEnum": "containers.vocabulary.SNAPSHOT_ACTIONS",
                            "StatusEnum": "operations.models.Status", "BackupStatusEnum": "backups.models.Backup.Status",
                            "FrequencyEnum": "backups.models.BackupSchedule.Frequency"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"redact_tokens": {"()": "lwp.log_redaction.RedactTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # axes: each failure and lock-out at WARNING; its INFO lines (every sign-in, clean-ups) are chatter.
    "loggers": {"django.server": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
