"""Vorgangsliste: views, filters in the URL, keyset pagination, status counts, unread marker, search."""

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.vorgaenge import aktionen
from app.vorgaenge.status import Status
from tests import factories


def _benutzer(login="sabine"):
    """The Benutzer with this login."""
    from sqlalchemy import select

    from app.auth.models import Benutzer

    return db.session.scalars(select(Benutzer).where(Benutzer.login == login)).one()


def test_views_meine_and_nicht_zugewiesen_show_only_their_vorgaenge(app, client, auth, ordnungsamt):
    """ "Meine Vorgänge" lists mine, "Nicht zugewiesen" the unassigned ones, "Alle" both."""
    sabine = _benutzer()
    meiner = factories.vorgang(ordnungsamt, antragsteller_name="Meine Antragstellerin")
    offener = factories.vorgang(ordnungsamt, antragsteller_name="Offener Antragsteller")
    aktionen.zuweisen(meiner, sabine, sabine)
    db.session.commit()
    auth.login()
    meine = client.get("/?ansicht=meine").get_data(as_text=True)
    assert meiner.nummer in meine and offener.nummer not in meine
    nicht = client.get("/?ansicht=nicht_zugewiesen").get_data(as_text=True)
    assert offener.nummer in nicht and meiner.nummer not in nicht
    alle = client.get("/").get_data(as_text=True)
    assert meiner.nummer in alle and offener.nummer in alle
    assert "kein Aktenzeichen zugeordnet" in alle
    assert '<abbr title="Sabine Berger">SB</abbr>' in alle


def test_filters_status_form_caseworker_and_date_range_live_in_the_url(app, client, auth, ordnungsamt):
    """Each filter narrows the list and survives in the links (bookmarkable)."""
    sabine = _benutzer()
    alt = factories.vorgang(
        ordnungsamt,
        formular_name="Hundesteuer-Anmeldung",
        formular_id="hundesteuer",
        eingangsdatum=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
    )
    neu = factories.vorgang(
        ordnungsamt, formular_name="Gewerbeanmeldung", eingangsdatum=datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
    )
    aktionen.annehmen(neu, sabine)
    db.session.commit()
    auth.login()

    def nummern(url):
        seite = client.get(url).get_data(as_text=True)
        return {v.nummer for v in (alt, neu) if v.nummer in seite}

    assert nummern("/?status=angenommen") == {neu.nummer}
    assert nummern("/?formular=hundesteuer") == {alt.nummer}
    assert nummern(f"/?bearbeiter={sabine.id}") == {neu.nummer}
    assert nummern("/?von=2026-03-01") == {neu.nummer}
    assert nummern("/?bis=2026-01-31") == {alt.nummer}
    assert nummern("/?von=01.01.2026&bis=31.01.2026") == {alt.nummer}
    seite = client.get("/?status=angenommen&ansicht=meine").get_data(as_text=True)
    assert "status=angenommen" in seite and "ansicht=meine" in seite  # links keep the filter


def test_invalid_date_filter_shows_a_linked_error_instead_of_failing(app, client, auth, ordnungsamt):
    """A typo in a date is a field error with a link to the field, not a 500."""
    auth.login()
    antwort = client.get("/?von=32.13.2026")
    seite = antwort.get_data(as_text=True)
    assert antwort.status_code == 200
    assert 'href="#filter-von"' in seite and 'aria-invalid="true"' in seite


def test_keyset_pagination_walks_forward_and_back_without_gaps_or_duplicates(app, client, auth, ordnungsamt):
    """Next/previous links use cursors; walking the pages sees every Vorgang exactly once."""
    app.config["PAGE_SIZE"] = 2
    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    alle = [factories.vorgang(ordnungsamt, eingangsdatum=start + timedelta(hours=i // 2)) for i in range(5)]
    db.session.commit()
    auth.login()
    import re

    gesehen, seiten, url = [], [], "/"
    while url:
        seite = client.get(url).get_data(as_text=True)
        nummern = [v.nummer for v in alle if v.nummer in seite]
        gesehen += nummern
        seiten.append((url, nummern))
        treffer = re.search(r'href="([^"]+)" rel="next"', seite)
        url = treffer.group(1).replace("&amp;", "&") if treffer else None
    assert sorted(gesehen) == sorted(v.nummer for v in alle)
    assert len(seiten) == 3
    letzte = client.get(seiten[-1][0]).get_data(as_text=True)
    zurueck = re.search(r'href="([^"]+)" rel="prev"', letzte).group(1).replace("&amp;", "&")
    vorherige = client.get(zurueck).get_data(as_text=True)
    assert [v.nummer for v in alle if v.nummer in vorherige] == seiten[1][1]
    # newest first: the first page holds the two latest
    assert set(seiten[0][1]) == {alle[4].nummer, alle[3].nummer} or alle[4].nummer in seiten[0][1]


def test_status_counts_and_unread_message_marker(app, client, auth, ordnungsamt):
    """The side navigation counts per status; an unread applicant message is marked in text, not colour only."""
    sabine = _benutzer()
    a = factories.vorgang(ordnungsamt)
    factories.vorgang(ordnungsamt)
    aktionen.annehmen(a, sabine)
    aktionen.nachricht_als_ungelesen_markieren(a)
    db.session.commit()
    auth.login()
    seite = client.get("/").get_data(as_text=True)
    assert 'Neu\n      <span class="anzahl">1</span>' in seite
    assert 'Angenommen\n      <span class="anzahl">1</span>' in seite
    assert seite.count("ungelesene Nachricht</span>") == 1
    client.get(f"/vorgang/{a.nummer}")  # opening the Vorgang reads the message
    assert "ungelesene Nachricht</span>" not in client.get("/").get_data(as_text=True)


def test_search_finds_by_number_aktenzeichen_applicant_form_and_form_data(app, client, auth, ordnungsamt):
    """One search field; full-text on SQLite FTS5 and PostgreSQL (German), always within the user's OEs."""
    sabine = _benutzer()
    bauamt = factories.oe("Bauamt", "197009", "31006")
    daten = [{"name": "hund", "label": "Hunderasse", "typ": "string", "wert": "Labrador Retriever", "kinder": []}]
    ziel = factories.vorgang(
        ordnungsamt, formular_name="Hundesteuer-Anmeldung", antragsteller_name="Jürgen Weiß", formulardaten=daten
    )
    anderer = factories.vorgang(ordnungsamt, formular_name="Gewerbeanmeldung", antragsteller_name="Olga Nowak")
    fremder = factories.vorgang(
        bauamt, formular_name="Hundesteuer-Anmeldung", antragsteller_name="Jürgen Weiß", formulardaten=daten
    )
    db.session.commit()
    aktionen.aktenzeichen_setzen(ziel, sabine, "OA-2026/4711")
    db.session.commit()
    auth.login()
    for begriff in (
        ziel.nummer,
        ziel.nummer.lower(),
        "OA-2026/4711",
        "Weiß",
        "weiss jürgen",
        "Hundesteuer",
        "Labrador",
        "labra",
    ):
        seite = client.get("/", query_string={"q": begriff}).get_data(as_text=True)
        assert ziel.nummer in seite, begriff
        assert anderer.nummer not in seite, begriff
        assert fremder.nummer not in seite, begriff
    assert "Keine Vorgänge gefunden" in client.get("/?q=Zebra").get_data(as_text=True)
    assert "Keine Vorgänge gefunden" in client.get("/", query_string={"q": '") OR * -- :*'}).get_data(as_text=True)


def test_search_index_follows_changes_of_a_vorgang(app, client, auth, ordnungsamt):
    """Changing searchable fields re-indexes the Vorgang in the same transaction."""
    v = factories.vorgang(ordnungsamt, antragsteller_name="Lukas Brandt")
    db.session.commit()
    v.antragsteller_name = "Sophie Müller-Lüdenscheidt"
    db.session.commit()
    auth.login()
    assert v.nummer in client.get("/?q=Lüdenscheidt").get_data(as_text=True)
    assert v.nummer not in client.get("/?q=Brandt").get_data(as_text=True)


def test_sorting_by_applicant(app, client, auth, ordnungsamt):
    """Sorting is a URL parameter; the header shows the sort state to assistive technology."""
    b = factories.vorgang(ordnungsamt, antragsteller_name="Berta Zander")
    a = factories.vorgang(ordnungsamt, antragsteller_name="Anton Abel")
    db.session.commit()
    auth.login()
    seite = client.get("/?sortierung=antragsteller").get_data(as_text=True)
    assert seite.index(a.nummer) < seite.index(b.nummer)
    assert 'aria-sort="ascending"' in seite
    assert Status.NEU.value in seite


def test_search_results_page_newest_first_without_gaps(app, client, auth, ordnungsamt):
    """Search hits come newest first and page by cursor like the list; other OEs' hits never count."""
    import re

    app.config["PAGE_SIZE"] = 2
    bauamt = factories.oe("Bauamt", "197009", "31006")
    treffer = [factories.vorgang(ordnungsamt, antragsteller_name="Greta Lindqvist") for _ in range(5)]
    for _ in range(3):
        factories.vorgang(bauamt, antragsteller_name="Greta Lindqvist")
    db.session.commit()
    auth.login()
    gesehen, url = [], "/?q=lindq"
    while url:
        seite = client.get(url).get_data(as_text=True)
        gesehen += [v.nummer for v in reversed(treffer) if v.nummer in seite]
        weiter = re.search(r'href="([^"]+)" rel="next"', seite)
        url = weiter.group(1).replace("&amp;", "&") if weiter else None
    assert gesehen == [v.nummer for v in reversed(treffer)]


def test_detail_page_names_the_kind_of_applicant_in_german(app, client, auth, ordnungsamt):
    """The record says "Natürliche Person", not the stored key."""
    v = factories.vorgang(ordnungsamt, antragsteller={"art": "person", "vorname": "Anna", "nachname": "Schäfer"})
    db.session.commit()
    auth.login()
    seite = client.get(f"/vorgang/{v.nummer}").get_data(as_text=True)
    assert "Natürliche Person" in seite
