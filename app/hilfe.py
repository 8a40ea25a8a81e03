"""The help page: how the app is used, in German."""

from flask import Blueprint, render_template

bp = Blueprint("hilfe", __name__)


@bp.get("/hilfe")
def index():
    """Show the help page."""
    return render_template("hilfe/index.html")
