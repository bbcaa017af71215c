"""``ejournal`` as the tests run it to seed a demo school they only read or drive
(``python -m tests.tools.cheap_ejournal demo …``, from the repository's root): the same CLI,
with new password hashes at the test suite's lower scrypt cost (``tests/conftest.py``,
``_cheap_password_hashing``) instead of the production cost's ≈ 0.4 s of CPU for each of the
demo's 20 accounts. A hash carries its cost, so a server verifies these as any other and
stores them again at the production cost on the first sign-in (``passwords.needs_rehash``)."""

from __future__ import annotations

from domain import passwords
from ejournal.cli import main

passwords.SCRYPT_N = 2**10

if __name__ == "__main__":
    main()
