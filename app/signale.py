"""Signals through which a lower slice tells the higher ones what happened (blinker, as Flask uses).

A slice sends; slices above it connect receivers in their `init_app`. Receivers run in the sender's
transaction, so what they write commits or rolls back with it.
"""

from blinker import Namespace

_signale = Namespace()

#: A Vorgang was verworfen (sender: the Vorgang; kwargs: benutzer, grund).
vorgang_verworfen = _signale.signal("vorgang-verworfen")

#: A scheduler tick finished in this process (sender: the Flask app); the health check watches it.
scheduler_getickt = _signale.signal("scheduler-getickt")

#: An applicant's reply arrived on an open Vorgang (sender: the Vorgang; kwargs: nachricht); the procedure may wait.
antwort_eingegangen = _signale.signal("antwort-eingegangen")

#: A Vorgang was created (sender: the Vorgang); e.g. the Postfach sends the Eingangsbestätigung.
vorgang_angelegt = _signale.signal("vorgang-angelegt")

#: A Vorgang's status changed (sender: the Vorgang; kwargs: vorher, nachher as Status, benutzer).
vorgang_status_geaendert = _signale.signal("vorgang-status-geaendert")
#: A Vorgang got another Bearbeiter or none (sender: the Vorgang; kwargs: vorher, nachher as Benutzer or None,
#: benutzer who did it).
vorgang_zugewiesen = _signale.signal("vorgang-zugewiesen")
#: A procedure step became ready (sender: the Vorgang; kwargs: aufgabe = the open-task row, benutzer).
aufgabe_bereit = _signale.signal("aufgabe-bereit")
#: The applicant sent a message on a Vorgang (sender: the Vorgang).
nachricht_eingegangen = _signale.signal("nachricht-eingegangen")
#: A Bescheid needs the procedure's variables of a Vorgang (sender: the Vorgang); receivers return a dict of them.
verfahrensdaten_erbeten = _signale.signal("verfahrensdaten-erbeten")
#: A shipped procedure the database did not have was deployed at start-up (sender: its key; kwargs: datei, von).
verfahren_mitgeliefert = _signale.signal("verfahren-mitgeliefert")
