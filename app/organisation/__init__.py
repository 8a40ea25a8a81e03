"""Organisationseinheiten: the tenants of an installation."""
