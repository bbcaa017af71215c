"""A stand-in for an external GOST signer (CryptoPro ``cryptcp``) in the hook's tests:
``fake_detached_signer.py IN OUT`` writes OUT as a "signature" of IN — a fixed header and
the SHA-256 of IN — so a test can check it was made from the file it was given.
``--fail`` exits 3 without writing anything. ``--signf DIR IN`` names its output as
``cryptcp -signf -dir DIR IN`` does: ``DIR/NAME.sgn``."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HEADER = b"FAKE-GOST-CMS\n"


def main(argv: list[str]) -> int:
    if "--fail" in argv:
        print("token not present", file=sys.stderr)
        return 3
    if argv[0] == "--signf":
        folder, source = Path(argv[1]), Path(argv[2])
        target = folder / f"{source.name}.sgn"
    else:
        source, target = Path(argv[0]), Path(argv[1])
    Path(target).write_bytes(HEADER + hashlib.sha256(source.read_bytes()).hexdigest().encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
