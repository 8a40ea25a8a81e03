"""Default configuration; `instance/config.py` and environment variables (README, "Configuration") override it."""

import os
from pathlib import Path

from flask import Config as FlaskConfig

#: The project root (where `processes/`, `templates/` and `migrations/` live).
ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """Raised at start-up when the configuration is unusable, e.g. no SECRET_KEY in production."""


class Config:
    """Settings every deployment starts from. Values are safe defaults for development."""

    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # default: SQLite file in the instance folder
    # pre-ping: a dropped connection is replaced, not a 500; hide_parameters: SQL parameters (personal data) stay
    # out of logs and error messages.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 50 * 1024 * 1024
    # Login throttling (docs/berechtigungen.md): after this many failures in the window, further attempts are
    # refused — for one account from one address, for one account from anywhere, and for one address (an office
    # behind one NAT shares it, so that limit is far higher).
    LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS = 5
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 20
    LOGIN_MAX_FAILURES_PER_ADDRESS = 200
    LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (werkzeug ProxyFix); 0 = none.
    PROXY_COUNT = 0
    # A login session ends after this long without a request, and after this long in any case.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 10
    # Password policy: minimum length (plus: not common, not login or name, not one repeated character).
    PASSWORD_MIN_LENGTH = 12
    # Seconds without a scheduler tick after which GET /gesundheit answers 503 (only where the scheduler runs).
    HEALTH_SCHEDULER_MAX_SECONDS = 300
    # Argon2id parameters: a profile of argon2-cffi (`argon2.profiles`); hashes are upgraded at the next login.
    ARGON2_PROFILE = "RFC_9106_LOW_MEMORY"
    # Fallback Vorgangsnummer prefix when an OE has none.
    VORGANGSNUMMER_PREFIX = "31005"
    # Background scheduler in the web process (off in tests unless a test enables it).
    SCHEDULER_ENABLED = True
    # Seconds between two scheduler ticks (Wiedervorlagen, BPMN timers, mail outbox); see docs/scheduler.md.
    SCHEDULER_TICK_SECONDS = 30
    SCHEDULER_BATCH = 200  # rows claimed per transaction
    SCHEDULER_BUDGET_SECONDS = 25  # a handler stops taking new batches after this long; the next tick goes on
    SCHEDULER_ERINNERUNG_UHRZEIT = "07:00"  # local time at which a date-only Wiedervorlage fires
    SCHEDULER_DIGEST_UHRZEIT = "06:30"  # local time from which the daily digest goes out
    SCHEDULER_MAIL_MAX_VERSUCHE = 5  # then the mail is "fehlgeschlagen" and shown on /admin/mails
    SCHEDULER_MAIL_BACKOFF_SECONDS = 60  # wait before retry n: this × 2^(n-1)
    SCHEDULER_MAIL_LEASE_SECONDS = 300  # a claimed mail not recorded by then (crash) is tried again
    # Outgoing e-mail. MAIL_TRANSPORT "null" discards mails (benchmarks, development) and must be set explicitly.
    MAIL_TRANSPORT = "smtp"
    SMTP_HOST = ""
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_TIMEOUT = 10
    MAIL_SENDER = "amtsfluss@localhost"
    BASE_URL = "http://127.0.0.1:5000"
    # Deploy processes/*.bpmn on start.
    DEPLOY_PROCESSES_ON_START = True
    # Folder of the BPMN procedures and the routing file (None: processes/ and processes/routing.toml).
    PROCESSES_PATH: str | None = None
    PROCESS_ROUTING_FILE: str | None = None
    PAGE_SIZE = 50
    # Intake (docs/intake.md): largest delivery and attachment, seconds a duplicate waits for the first
    # delivery's Vorgang, age after which a pending Eingang is picked up by the scheduler.
    INTAKE_MAX_BYTES = 50 * 1024 * 1024
    INTAKE_MAX_ANHANG_BYTES = 50 * 1024 * 1024
    INTAKE_AUSSTEHEND_NACH_SEKUNDEN = 60
    # Intake hardening (docs/intake.md): Retry-After of 202/503 answers, processing attempts and first back-off,
    # longest Content-Type header.
    INTAKE_RETRY_AFTER_SEKUNDEN = 5
    INTAKE_MAX_VERSUCHE = 5
    INTAKE_WIEDERHOLEN_NACH_SEKUNDEN = 60
    INTAKE_MAX_CONTENT_TYPE_ZEICHEN = 200
    # Largest form: fields, nesting levels, characters of one value (a delivery beyond is answered 400).
    INTAKE_MAX_FELDER = 10_000
    INTAKE_MAX_TIEFE = 32
    INTAKE_MAX_WERT_ZEICHEN = 100_000
    # Seconds a routing decision (OE for a set of routing keys) is reused; changes in the same process apply at once.
    INTAKE_ROUTING_CACHE_SEKUNDEN = 2.0


#: Prefix of the environment variables that set config keys: `AMTSFLUSS_SMTP_PORT=587` sets SMTP_PORT. Values are
#: read as JSON where they parse (`true`, `25`), else as text (Flask's `Config.from_prefixed_env`).
ENV_PREFIX = "AMTSFLUSS"

#: The two usual unprefixed variables of twelve-factor deployments, mapped to their config keys.
ENV_ALIASES = {"SECRET_KEY": "SECRET_KEY", "DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def from_environment(config: FlaskConfig) -> None:
    """Override `config` from the environment: the aliases first, then every `AMTSFLUSS_` variable."""
    config.from_mapping({key: os.environ[name] for name, key in ENV_ALIASES.items() if os.environ.get(name)})
    config.from_prefixed_env(ENV_PREFIX)
