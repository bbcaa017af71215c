"""The class teacher's and deputy head's area: the classes one may open, a class's journal
across subjects, attendance and filling-completeness reports (with XLSX exports), the
approval queue for corrections, closing and re-opening terms, the pedagogical council's
decisions on a class's pupils.

Pages read views; every form goes through a schema, then one application command.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("classes", __name__, url_prefix="/classes")

# The route modules register themselves on ``bp``.
from web.classes import approvals, council, reports, terms  # noqa: E402

__all__ = ["approvals", "bp", "council", "reports", "terms"]
