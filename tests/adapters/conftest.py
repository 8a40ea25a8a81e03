"""Fixtures for the adapter tests: plain pytest, no Flask, no database.

The shared samples live beside the repository (``<repo>/../shared/samples``); a missing folder fails the
tests loudly instead of skipping them.
"""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def samples() -> Path:
    """Path of the shared samples folder; fails (not skips) when it is missing."""
    pfad = SHARED / "samples"
    if not pfad.is_dir():
        pytest.fail(f"Gemeinsame Beispieldaten fehlen: {pfad} (erwartet neben dem Repository in ../shared)")
    return pfad


@pytest.fixture(scope="session")
def myform_xml(samples: Path) -> bytes:
    """The shared intelliForm myForm XML (primary data attachment of a real deposit)."""
    pfad = samples / "intelliform" / "myForm-support-request.xml"
    if not pfad.is_file():
        pytest.fail(f"Beispiel fehlt: {pfad}")
    return pfad.read_bytes()


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    """A tiny but well-formed PDF."""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
        b"/Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
