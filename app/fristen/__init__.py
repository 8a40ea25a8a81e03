"""Fristen: the legal processing deadline of a Vorgang's procedure (e.g. three months, then a deemed approval)."""
