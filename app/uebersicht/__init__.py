"""Übersicht: the dashboard of caseworkers and Leitung — figures over the user's OEs, each a link to its list."""
