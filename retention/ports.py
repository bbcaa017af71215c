"""What the retention engine needs from the composition root: the keyring (to shred),
the views' purge, the ledger's checkpoint, folders, and optional hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Shredder(Protocol):
    """Destroys series keys (crypto-shredding)."""

    def key_id(self, series: str) -> str | None:
        """The id of a series' data key (None when the series never had one)."""
        ...

    def destroy(self, series: Sequence[str], certificate_id: str) -> list[str]:
        """Destroy the keys of ``series`` at once; return the series whose keys were live
        (a key destroyed already, or never made, is skipped)."""
        ...


#: Signs a certificate's PDF and returns the signed bytes (the annual archive's PAdES
#: signer plugs in here; without one the PDF is written unsigned).
PdfSigner = Callable[[bytes], bytes]
#: Writes a detached signature ``FILE.sig`` beside a written file (the GOST route or the
#: external-signer hook) and returns its path; None when no detached signer is configured.
SignBeside = Callable[[Path], Path | None]


@dataclass
class Infrastructure:
    """The engine's ports, built by ``ejournal.bootstrap``."""

    shredder: Shredder
    #: Deletes the view rows of destroyed series (rebuilding the views from the log, in
    #: which their events now read as Redacted) and makes deleted bytes unrecoverable
    #: where the backend allows.
    purge: Callable[[], None]
    #: Signs a ledger checkpoint now; returns it as a mapping (size, root, time, key_id).
    checkpoint: Callable[[], dict[str, Any]]
    archive_dir: Path
    certificates_dir: Path
    school: str
    #: Where the web pages write transfer packages (the CLI names its own folder).
    transfers_dir: Path = Path("var/transfers")
    signer: PdfSigner | None = None
    sign_beside: SignBeside | None = None
    #: What a transfer package carries besides the records, by path inside the bag's
    #: ``data/``: the ledger's public key, the trust roots and revocation lists.
    transfer_extras: Callable[[], dict[str, bytes]] | None = None
