"""Amtsfluss: the Flask application factory."""

import os
from pathlib import Path

from flask import Flask

# Every slice's tables, so that SQLAlchemy's metadata (and with it Alembic) knows them all.
import app.auth.models
import app.benachrichtigungen.models
import app.bescheide.models
import app.einstellungen
import app.engine.models
import app.intake.models
import app.organisation.models
import app.postfach.models
import app.vertretung.models
import app.vorgaenge.models
import app.vorgaenge.zaehler
import app.werkstatt.models
import app.wiedervorlagen.models  # noqa: F401
from app import (
    benachrichtigungen,
    cli,
    database,
    engine,
    intake,
    scheduler,
    security,
    templating,
    vertretung,
    werkstatt,
    wiedervorlagen,
)
from app.admin.intake import bp as intake_admin_bp
from app.admin.views import bp as admin_bp
from app.aufgaben.views import bp as aufgaben_bp
from app.auth import sitzung
from app.auth.views import bp as auth_bp
from app.bescheide.views import bp as bescheide_bp
from app.config import ENV_PREFIX, ROOT, Config, ConfigurationError, from_environment
from app.engine.extern_views import bp as extern_bp
from app.engine.protokoll_views import bp as protokoll_bp
from app.engine.views import bp as engine_bp
from app.extensions import csrf, db, login_manager, migrate
from app.gesundheit import bp as gesundheit_bp
from app.hilfe import bp as hilfe_bp
from app.intake.views import bp as intake_bp
from app.postfach.views import bp as postfach_bp
from app.uebersicht.views import bp as uebersicht_bp
from app.vorgaenge.views import bp as vorgaenge_bp
from app.werkstatt.views import bp as werkstatt_bp


def create_app(config: dict | None = None) -> Flask:
    """Build the app: defaults, then `instance/config.py`, then environment variables, then `config`."""
    app = Flask(
        __name__,
        instance_path=os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    from_environment(app.config)
    if config:
        app.config.from_mapping(config)
    app.instance_path = app.config.get("INSTANCE_PATH") or app.instance_path
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.setdefault("DATENABLAGE", str(Path(app.instance_path) / "dateien"))
    _check_secret_key(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'amtsfluss.db'}"

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    database.init_app(app)
    security.init_app(app)
    sitzung.init_app(app)  # the session-checking user loader (app.auth.sitzung) and ProxyFix
    templating.init_app(app)
    for blueprint in (
        admin_bp,
        aufgaben_bp,
        auth_bp,
        bescheide_bp,
        engine_bp,
        gesundheit_bp,
        hilfe_bp,
        intake_bp,
        intake_admin_bp,
        postfach_bp,
        uebersicht_bp,
        vorgaenge_bp,
        werkstatt_bp,
    ):
        app.register_blueprint(blueprint)
    app.register_blueprint(extern_bp)  # engine: external-task API
    app.register_blueprint(protokoll_bp)  # engine: instance log page
    # the workbench before the engine: it listens to the engine's start-up deploy
    for slice_ in (cli, intake, werkstatt, engine, wiedervorlagen, benachrichtigungen, vertretung):
        slice_.init_app(app)
    scheduler.init_app(app)
    return app


def _check_secret_key(app: Flask) -> None:
    """Refuse to start without a SECRET_KEY, except in debug and test runs (which get a throwaway key)."""
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing or os.environ.get("FLASK_DEBUG") == "1":
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    raise ConfigurationError(
        "SECRET_KEY ist nicht gesetzt. Setzen Sie die Umgebungsvariable SECRET_KEY oder "
        "SECRET_KEY in instance/config.py."
    )
