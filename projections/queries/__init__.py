"""Queries over the views' tables: functions ``query(reader, ...)`` that read one or more
views (``projections.views``) and define no tables of their own."""
