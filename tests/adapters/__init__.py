"""Adapter tests: plain pytest, no Flask app, no database."""
