"""The annual archive (DESIGN §8): class journals and summary sheets rendered as PDF/A-2b,
signed PAdES B-LTA, captured as ``ArchiveVolume`` records, and verified."""
