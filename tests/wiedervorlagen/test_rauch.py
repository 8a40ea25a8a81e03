"""Smoke: the pages of the slice render for a caseworker."""

from datetime import date

from app.extensions import db
from app.wiedervorlagen.service import wiedervorlage_anlegen


def test_caseworker_sees_wiedervorlagen_pages(app, client, auth, akte):
    """List, Vorgang section, create form, notifications and settings render."""
    wiedervorlage_anlegen(akte, "Unterlagen prüfen", date(2026, 12, 1))
    db.session.commit()
    auth.login()
    for url in ("/wiedervorlagen", f"/wiedervorlagen/neu/{akte.nummer}", "/benachrichtigungen", "/einstellungen"):
        antwort = client.get(url)
        assert antwort.status_code == 200, url
    assert "Unterlagen prüfen" in client.get("/wiedervorlagen?person=alle").get_data(as_text=True)
    detail = client.get(f"/vorgang/{akte.nummer}").get_data(as_text=True)
    assert 'id="wiedervorlagen"' in detail and "Unterlagen prüfen" in detail
    assert f"/wiedervorlagen/neu/{akte.nummer}" in detail
