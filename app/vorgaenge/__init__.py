"""Vorgänge: the cases, their status, Historie, Anhänge and Kommentare."""
