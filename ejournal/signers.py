"""The school's PAdES signers (head of school, optionally the class teacher), the timestamp
authority and the trust anchors, from the settings: used by the annual archive and to sign
destruction certificates."""

from __future__ import annotations

from pathlib import Path

from ejournal.settings import ArchiveSettings
from retention.archive.signing import (
    Pkcs11Token,
    SignerKey,
    SigningError,
    SigningSetup,
    http_timestamper,
    load_certificates,
    load_crls,
    load_pkcs11,
    load_pkcs12,
    local_timestamper,
)


def configured(settings: ArchiveSettings) -> bool:
    """True when a signing key is configured (a PKCS#12 file exists or a PKCS#11 module)."""
    return bool(settings.pkcs11_library) or settings.head_pkcs12.exists()


def _existing(paths: tuple[Path, ...]) -> list[Path]:
    return [p for p in paths if p.exists()]


def trust_roots(settings: ArchiveSettings) -> tuple[object, ...]:
    """The configured trust roots; ``SigningError`` when none can be read."""
    found = _existing(settings.trust_roots)
    if not found:
        shown = ", ".join(map(str, settings.trust_roots))
        raise SigningError(f"no trust root ({shown}); run `ejournal keys demo` for a demo PKI")
    return load_certificates(found)


def signing_setup(settings: ArchiveSettings) -> SigningSetup:
    """Signers in order (class teacher first when asked), the TSA, roots and CRLs."""
    if not configured(settings):
        raise SigningError(
            f"no signing key {settings.head_pkcs12} (EJOURNAL_SIGNER_PKCS12); "
            "run `ejournal keys demo` for a throwaway demo PKI"
        )
    keys: list[SignerKey] = []
    for role in settings.signers:
        if role == "head" and settings.pkcs11_library:
            token = Pkcs11Token(
                Path(settings.pkcs11_library),
                settings.pkcs11_token,
                settings.pkcs11_key,
                settings.pkcs11_cert,
                settings.pkcs11_pin_file,
            )
            keys.append(load_pkcs11(role, token))
        elif role == "head":
            keys.append(load_pkcs12(role, settings.head_pkcs12, settings.head_passphrase_file))
        else:
            keys.append(
                load_pkcs12(
                    role, settings.class_teacher_pkcs12, settings.class_teacher_passphrase_file
                )
            )
    if settings.tsa_url:
        timestamper, tsa = http_timestamper(settings.tsa_url), settings.tsa_url
    else:
        demo = settings.pki_dir / "tsa.p12"
        timestamper = local_timestamper(demo, settings.pki_dir / "tsa.pass")
        tsa = f"in-process demo TSA ({demo})"
    return SigningSetup(
        signers=tuple(keys),
        timestamper=timestamper,
        trust_roots=load_certificates(_existing(settings.trust_roots)),
        crls=load_crls(_existing(settings.crl_files)),
        fetch_revocation=settings.fetch_revocation,
        timestamper_name=tsa,
    )
