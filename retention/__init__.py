"""Records register, retention schedules and disposition (issue 6)."""
