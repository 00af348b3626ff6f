"""Rapport's SQLite database backend: Django's, with a faster datetime reader (see base)."""
