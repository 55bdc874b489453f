"""Django settings, read from the environment. Every variable is documented in README.md."""

from __future__ import annotations

import os
import tempfile
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "openpoam"


DATA_DIR = Path(os.environ.get("OPENPOAM_DATA_DIR") or _default_data_dir()).expanduser()

try:
    # The folder holds the database, the secret key and evidence: readable by its owner only.
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
except OSError as exc:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"cannot use {DATA_DIR} as the data folder ({exc.strerror}); "
                               "set OPENPOAM_DATA_DIR to a folder you can write") from None


def _secret_key() -> str:
    """SECRET_KEY from the environment (or *_FILE), else one generated once, mode 0600."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if os.environ.get("SECRET_KEY_FILE"):
        return Path(os.environ["SECRET_KEY_FILE"]).read_text().strip()
    path = DATA_DIR / "secret_key"
    if not path.exists():
        _write_once(path, secrets.token_urlsafe(50))
    return path.read_text().strip()


def _write_once(path: Path, text: str) -> None:
    """Create ``path`` (mode 0600) holding ``text``, unless another process got there first.

    Two commands started together on a fresh folder must agree on one key: the file is
    written whole under a private name and linked into place, which fails if it exists, so
    nobody ever reads a half-written key.
    """
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("OPENPOAM_DEBUG")
ALLOWED_HOSTS = [h.strip() for h in
                 os.environ.get("OPENPOAM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
                 if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("OPENPOAM_CSRF_TRUSTED_ORIGINS", "").split(",")
                        if o.strip()]

INSTALLED_APPS = [
    "openpoam.accounts.admin_site.MfaAdminConfig",  # django.contrib.admin behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "openpoam.tracker",
    "openpoam.reviews",
    "openpoam.accounts",
    "openpoam.web",
    "ninja",  # serves the API docs' scripts and styles from here, not a CDN
    "openpoam.api",
    "django_tasks",
    "django_tasks_db",
    "openpoam.jobs",
]

# Background jobs (imports, long exports, scheduled work): the Django tasks API (DEP 14) with
# its database backend, on SQLite as on PostgreSQL (workers claim rows with SKIP LOCKED); run
# by `openpoam worker` (openpoam/jobs). No broker to install.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running job whose worker has not been heard from for this long is handed to another.
JOB_LEASE_SECONDS = int(os.environ.get("OPENPOAM_JOB_LEASE_SECONDS", 120))
# Finished jobs (and their kept dry runs and export files) are removed after this many days.
JOB_KEEP_DAYS = int(os.environ.get("OPENPOAM_JOB_KEEP_DAYS", 14))
# /healthz fails when the evidence folder's disk has less free space than this.
HEALTH_MIN_FREE_BYTES = int(float(os.environ.get("OPENPOAM_HEALTH_MIN_FREE_MB", 512)) * 1024 * 1024)
# Where the scheduler refreshes the CISA KEV catalog from (a URL or a file); empty: the
# shipped copy stays (an offline laptop).
KEV_SOURCE = os.environ.get("OPENPOAM_KEV_SOURCE", "").strip()

MIDDLEWARE = [
    # First: X-Forwarded-* believed only from OPENPOAM_TRUSTED_PROXIES (openpoam/proxies.py).
    "openpoam.proxies.ProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "openpoam.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "openpoam.tracker.textguard.NulFieldMiddleware",  # before any view reads a field
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "openpoam.accounts.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "openpoam.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "openpoam.urls"
WSGI_APPLICATION = "openpoam.wsgi.application"

TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
        "openpoam.web.context_processors.notifications",
    ]},
}]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "openpoam.sqlite3")}
    if config["ENGINE"].endswith("sqlite3"):
        # WAL lets readers work while an import writes; the busy timeout makes a
        # second writer wait instead of failing with "database is locked".
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                            "PRAGMA foreign_keys=ON;",
        }
        # Tests use a file too, never SQLite's shared-cache memory database: there a worker
        # thread and the live server lock whole tables and fail at once ("database table is
        # locked") instead of waiting, which no deployment ever does. One file per test
        # process, so runs side by side never share one.
        config["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(),
                                               f"openpoam-test-{os.getpid()}.sqlite3")}
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (OWASP's first choice); the others only read hashes made before.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("OPENPOAM_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # WhiteNoise serves from the package; this stays empty
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in lockout: this many failures within OPENPOAM_LOCKOUT_MINUTES lock the account name
# (or, at the higher count, the client address) for that many minutes.
OPENPOAM_LOCKOUT_FAILURES = int(os.environ.get("OPENPOAM_LOCKOUT_FAILURES", 5))
OPENPOAM_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("OPENPOAM_LOCKOUT_ADDRESS_FAILURES", 30))
OPENPOAM_LOCKOUT_MINUTES = int(os.environ.get("OPENPOAM_LOCKOUT_MINUTES", 15))
OTP_TOTP_ISSUER = "OpenPOAM"
# Set-password links for invited members are valid this long.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Evidence files live outside the database, under the data folder; never served inline.
EVIDENCE_DIR = Path(os.environ.get("OPENPOAM_EVIDENCE_DIR") or DATA_DIR / "evidence")
EVIDENCE_MAX_BYTES = int(os.environ.get("OPENPOAM_EVIDENCE_MAX_BYTES", 50 * 1024 * 1024))
# Uploads and imports are refused (nothing half-written) once the evidence store's disk would
# fall below this much free space; a full disk (ENOSPC) is refused the same way.
EVIDENCE_MIN_FREE_BYTES = max(0, int(float(os.environ.get("OPENPOAM_EVIDENCE_MIN_FREE_MB", 100))
                              * 1024 * 1024))
IMPORT_MAX_BYTES = int(os.environ.get("OPENPOAM_IMPORT_MAX_BYTES", 1024 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The audit trail's checkpoint signing key (Ed25519, PEM, mode 0600): outside the database,
# so whoever can write the database cannot sign a checkpoint. Several app servers share one.
SIGNING_KEY_FILE = Path(os.environ.get("OPENPOAM_SIGNING_KEY_FILE")
                        or DATA_DIR / "keys" / "checkpoint-ed25519.pem").expanduser()
# Where `openpoam history checkpoint-daily` (and the scheduler) writes checkpoints.
CHECKPOINT_DIR = os.environ.get("OPENPOAM_CHECKPOINT_DIR", "")
# Requests per API token. Counted in Django's cache: per process unless CACHES names a
# shared one (several app servers behind a proxy need one, e.g. the database cache).
API_RATE_LIMIT = os.environ.get("OPENPOAM_API_RATE_LIMIT", "600/min")
# A shared cache for several app servers: OPENPOAM_CACHE_URL=redis://host:6379/0 (Django's
# own Redis backend). Without it each process keeps its own (`check-deploy` warns when
# OPENPOAM_APP_SERVERS says there is more than one).
if os.environ.get("OPENPOAM_CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["OPENPOAM_CACHE_URL"]}}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# FedRAMP CR26 reports are validated against this release of FedRAMP's report schemas (the
# releases shipped are in openpoam/formats/cr26/validation.py: SCHEMA_VERSIONS).
CR26_SCHEMA_VERSION = os.environ.get("OPENPOAM_CR26_SCHEMA_VERSION", "0.1.1").strip()

# Quality checks and reminders: an open item unchanged for longer than this is stale.
OPENPOAM_STALE_DAYS = int(os.environ.get("OPENPOAM_STALE_DAYS", 30))

# Outgoing e-mail (invitations, reminder digests). Without OPENPOAM_EMAIL_HOST nothing is sent: messages
# are written to the console, so a laptop install never tries to reach a mail server.
if os.environ.get("OPENPOAM_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["OPENPOAM_EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("OPENPOAM_EMAIL_PORT", 587))
    EMAIL_HOST_USER = os.environ.get("OPENPOAM_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = (Path(os.environ["OPENPOAM_EMAIL_PASSWORD_FILE"]).read_text().strip()
                           if os.environ.get("OPENPOAM_EMAIL_PASSWORD_FILE")
                           else os.environ.get("OPENPOAM_EMAIL_PASSWORD", ""))
    EMAIL_USE_TLS = _env_bool("OPENPOAM_EMAIL_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = _env_bool("OPENPOAM_EMAIL_SSL", EMAIL_PORT == 465)
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("OPENPOAM_EMAIL_FROM", "openpoam@localhost")
# The address people reach this site at: links in e-mails (notifications, digests) start with it.
OPENPOAM_BASE_URL = os.environ.get("OPENPOAM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Idle timeout: a session ends after this long unused (renewed once a minute while in use,
# by openpoam.accounts.middleware).
SESSION_COOKIE_AGE = int(float(os.environ.get("OPENPOAM_SESSION_IDLE_HOURS", 8)) * 3600)

# Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: comma-separated addresses
# or networks, empty by default (then those headers are ignored from everyone). Read by
# openpoam.proxies.ProxyHeadersMiddleware, which also keeps the TCP peer in
# request.META["OPENPOAM_PEER_ADDR"].
OPENPOAM_TRUSTED_PROXIES = os.environ.get("OPENPOAM_TRUSTED_PROXIES", "")

# OPENPOAM_HTTPS=1 for a deployment behind HTTPS (directly, or a trusted proxy that sets
# X-Forwarded-Proto): secure cookies, HSTS for a year, redirect of plain HTTP.
# `openpoam check-deploy` then passes.
HTTPS = _env_bool("OPENPOAM_HTTPS")
SESSION_COOKIE_SECURE = HTTPS or _env_bool("OPENPOAM_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # No SECURE_PROXY_SSL_HEADER: it would believe X-Forwarded-Proto from anyone. The
    # scheme comes from a trusted proxy only (openpoam.proxies).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OPENPOAM_LOG_LEVEL", "WARNING")},
}

# ---- Single sign-on (openpoam/accounts/services/sso.py; README "Single sign-on") -------------
# OpenID Connect, authorization code with PKCE. With an issuer set, the sign-in page offers the
# provider; its discovery document (ISSUER/.well-known/openid-configuration) names the rest.
OIDC_ISSUER = os.environ.get("OPENPOAM_OIDC_ISSUER", "").strip().rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OPENPOAM_OIDC_CLIENT_ID", "").strip()
OIDC_CLIENT_SECRET = (Path(os.environ["OPENPOAM_OIDC_CLIENT_SECRET_FILE"]).read_text().strip()
                      if os.environ.get("OPENPOAM_OIDC_CLIENT_SECRET_FILE")
                      else os.environ.get("OPENPOAM_OIDC_CLIENT_SECRET", ""))
OIDC_SCOPES = os.environ.get("OPENPOAM_OIDC_SCOPES", "openid email profile").strip()
OIDC_PROVIDER_NAME = os.environ.get("OPENPOAM_OIDC_PROVIDER_NAME", "your organization's sign-in")
OIDC_USERNAME_CLAIM = os.environ.get("OPENPOAM_OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = os.environ.get("OPENPOAM_OIDC_GROUPS_CLAIM", "groups")
# Accounts are created at first sign-in only when this is on; otherwise pre-provisioned.
OIDC_PROVISION = _env_bool("OPENPOAM_OIDC_PROVISION")
# A provider sign-in counts as multifactor when its `amr` holds one of these (RFC 8176) or
# its `acr` is one of these; otherwise the product's own authenticator step follows.
OIDC_MFA_AMR = [v.strip() for v in os.environ.get("OPENPOAM_OIDC_MFA_AMR", "mfa").split(",")
                if v.strip()]
OIDC_MFA_ACR = [v.strip() for v in os.environ.get("OPENPOAM_OIDC_MFA_ACR", "").split(",")
                if v.strip()]
OIDC_TIMEOUT = float(os.environ.get("OPENPOAM_OIDC_TIMEOUT", 10))
# Password sign-in for everyone (on), or only for the break-glass accounts named here.
LOCAL_SIGNIN = _env_bool("OPENPOAM_LOCAL_SIGNIN", True)
BREAK_GLASS_USERS = [u.strip() for u in os.environ.get("OPENPOAM_BREAK_GLASS_USERS", "").split(",")
                     if u.strip()]
# CAC/PIV through the proxy: the request header the proxy sets from the verified client
# certificate (e.g. X-SSL-Client-S-DN), honoured only from OPENPOAM_TRUSTED_PROXIES.
CAC_HEADER = os.environ.get("OPENPOAM_CAC_HEADER", "").strip()
CAC_VERIFY_HEADER = os.environ.get("OPENPOAM_CAC_VERIFY_HEADER", "X-SSL-Client-Verify").strip()
