"""Fixtures of the scheduler tests: the real SMTP server and a Vorgang, shared with the Wiedervorlagen tests."""

from tests.wiedervorlagen.conftest import akte, smtp  # noqa: F401  (fixtures)
