"""Composition root: settings, bootstrap (wiring infrastructure into the domain), CLI."""
