"""The school's PAdES signers (head of school, optionally the class teacher), the timestamp
authority and the trust anchors, from the settings: used by the annual archive and to sign
destruction certificates."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from ejournal import pki
from ejournal.settings import ArchiveSettings
from retention.archive.detached import DetachedSigner, SignsDetached
from retention.archive.gost import GostSigner
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


def detached_signer(settings: ArchiveSettings) -> SignsDetached | None:
    """Who writes ``FILE.sig`` beside each volume and act: the external-signer hook
    (``EJOURNAL_DETACHED_SIGNER``, e.g. CryptoPro ``cryptcp``) when set, else OpenSSL's GOST
    engine when a GOST certificate is configured (``keys demo --gost``), else nobody."""
    if settings.detached_signer:
        return DetachedSigner(settings.detached_signer)
    if settings.gost_certificate.exists():
        return GostSigner(
            settings.gost_certificate, settings.gost_key, settings.gost_passphrase_file
        )
    return None


def gost_roots(settings: ArchiveSettings) -> tuple[Path, ...]:
    """The configured GOST trust roots that exist (``archive verify`` checks ``FILE.sig``
    against them)."""
    return tuple(_existing(settings.gost_roots))


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


def renew_demo_pki(
    settings: ArchiveSettings, school: str, now: datetime, *, fresh_crl: bool = False
) -> list[str]:
    """For the demo PKI (its root key beside it): publish the next CRL when the current one
    ends within the refresh margin (or always, with ``fresh_crl``: a refresh needs
    revocation data issued after the signatures it renews, as a real CA's current CRL is),
    and give the demo TSA a new certificate when its own ends within the margin — what a
    real CA and TSA do on their own schedule. Nothing for a real PKI (no root key).
    Returns what was renewed, in words."""
    folder = settings.pki_dir
    if settings.tsa_url or not pki.has_root_key(folder):
        return []
    margin = timedelta(days=settings.refresh_margin_days)
    done = []
    for path in _existing(settings.crl_files):
        ends = pki.crl_next_update(path)
        stale = fresh_crl or ends is None or ends - margin <= now
        if path == folder / pki.ROOT_CRL and stale:
            pki.issue_crl(folder, now)
            done.append(f"new CRL {path}")
    ends = pki.tsa_not_after(folder)
    if ends is None or ends - margin <= now:
        pki.renew_tsa(folder, school, now)
        done.append(f"new TSA certificate {folder / 'tsa.p12'}")
    return done


def renewal_setup(
    settings: ArchiveSettings, now: datetime | None = None
) -> tuple[TimeStamper, ValidationContext, str]:
    """The timestamp authority and the validation context (trust roots, current CRLs,
    fetching when allowed) for ``archive refresh``; ``now`` fixes the demo TSA's time (the
    tests' clock) and the context's moment."""
    roots = load_certificates(_existing(settings.trust_roots))
    if not roots:
        raise SigningError("no trust root; run `ejournal keys demo` for a demo PKI")
    crls = load_crls(_existing(settings.crl_files))
    context = ValidationContext(
        trust_roots=list(roots),
        crls=list(crls),
        allow_fetching=settings.fetch_revocation,
        moment=now,
    )
    if settings.tsa_url:
        return http_timestamper(settings.tsa_url), context, settings.tsa_url
    demo = settings.pki_dir / "tsa.p12"
    stamper = local_timestamper(demo, settings.pki_dir / "tsa.pass", now)
    return stamper, context, f"in-process demo TSA ({demo})"
