"""The administrator's area: accounts, the school year and terms, classes and groups, course
journals, pupils and guardians, enrolment and the CSV import of a class list.

Pages read views; every form goes through a schema, then one application command.
"""

from __future__ import annotations

from web.admin import accounts, imports, pupils, school, tokens
from web.admin.base import bp

__all__ = ["accounts", "bp", "imports", "pupils", "school", "tokens"]
