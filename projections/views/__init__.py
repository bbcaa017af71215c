"""One module per view: its tables and the handlers that keep them from events (and the
small queries that read only its own tables). ``projections.all_views.ALL`` lists them
in the order they are processed; queries across views are in ``projections.queries``."""
