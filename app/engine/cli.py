"""`flask --app wsgi processes deploy [PATH]`: validate and deploy BPMN procedures."""

from pathlib import Path

import click


@click.group("processes")
def processes() -> None:
    """BPMN-Verfahren verwalten."""


@processes.command("deploy")
@click.argument("pfad", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--von", default="CLI", help="Wer deployt (erscheint in der Versionsliste).")
def deploy(pfad: Path | None, von: str) -> None:
    """Prüft und deployt BPMN-Dateien (Standard: processes/). Ungültige Modelle: alle Fehler, Exit-Code 1."""
    from flask import current_app

    from app import ROOT
    from app.engine.registry import deploy_pfad

    ergebnisse, fehler = deploy_pfad(pfad or current_app.config.get("PROCESSES_PATH") or ROOT / "processes", von=von)
    for e in ergebnisse:
        zustand = "neu deployt" if e.neu else "unverändert"
        click.echo(f"{e.key}: Version {e.version} ({zustand}) – {e.datei}")
    if fehler:
        click.echo(f"{len(fehler)} Fehler:", err=True)
        for f in fehler:
            click.echo(f"  {f}", err=True)
        raise SystemExit(1)
