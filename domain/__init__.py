"""The journal's domain: aggregates, events, rules and application commands.

Imports only the standard library and ``eventsourcing`` (enforced by import-linter).
"""
