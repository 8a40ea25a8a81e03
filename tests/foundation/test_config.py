"""Configuration from the environment: `AMTSFLUSS_` variables (JSON values) and the two usual unprefixed names."""

from app import create_app


def test_environment_variables_override_the_defaults_with_their_types(monkeypatch, tmp_path):
    """`AMTSFLUSS_<KEY>` sets any config key, numbers and booleans typed; DATABASE_URL and SECRET_KEY work as is."""
    monkeypatch.setenv("SECRET_KEY", "aus-der-umgebung")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'umgebung.db'}")
    monkeypatch.setenv("AMTSFLUSS_SMTP_PORT", "587")
    monkeypatch.setenv("AMTSFLUSS_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("AMTSFLUSS_MAIL_SENDER", "poststelle@amt.example")
    monkeypatch.setenv("AMTSFLUSS_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SECRET_KEY"] == "aus-der-umgebung"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'umgebung.db'}"
    assert app.config["SMTP_PORT"] == 587
    assert app.config["SCHEDULER_ENABLED"] is False
    assert app.config["MAIL_SENDER"] == "poststelle@amt.example"
    assert app.instance_path == str(tmp_path)


def test_the_prefixed_name_wins_over_the_alias_and_the_factory_argument_over_both(monkeypatch, tmp_path):
    """Order: defaults, instance/config.py, DATABASE_URL/SECRET_KEY, AMTSFLUSS_ variables, `create_app(config)`."""
    monkeypatch.setenv("SECRET_KEY", "alias")
    monkeypatch.setenv("AMTSFLUSS_SECRET_KEY", "mit-praefix")
    monkeypatch.setenv("AMTSFLUSS_PAGE_SIZE", "20")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://", "PAGE_SIZE": 10})
    assert app.config["SECRET_KEY"] == "mit-praefix"
    assert app.config["PAGE_SIZE"] == 10
