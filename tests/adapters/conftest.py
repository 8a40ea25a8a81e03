"""Fixtures for the adapter tests: plain pytest, no Flask, no database; samples from tests/fixtures."""

import pytest

from tests.fixtures import fitconnect_metadaten, myform_baumfaellung


@pytest.fixture(scope="session")
def myform_xml() -> bytes:
    """The intelliForm myForm XML sample (primary data attachment of a deposit)."""
    return myform_baumfaellung()


@pytest.fixture(scope="session")
def fitconnect_metadaten_roh() -> bytes:
    """The decrypted FIT-Connect metadata sample."""
    return fitconnect_metadaten()


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    """A tiny but well-formed PDF."""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] "
        b"/Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
