"""The trust store: which keys may sign releases, and on which days.

It lives in the releases tree (``keys/``) so that an archive carries its own
history of keys.  Statement 0001 names the root key, which archivists pin out
of band; every later statement (a key rotation or revocation) is signed by a
key that is valid on the statement's date, and names the sha256 of the
statement before it, so statements can be neither forged, dropped nor
reordered.  Validity is judged from the statements alone, never from today's
date, so an archive verifies the same way in ten years.

Layout::

    keys/<keyid>.pub               PEM public key of every key ever trusted
    keys/statements/NNNN.json      canonical JSON statements
    keys/statements/NNNN.sig       raw Ed25519 signature (none for 0001)
    keys/allowed_signers           the same windows, for ``ssh-keygen -Y verify``
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from disclosure._internal.sshsig import ssh_public_key_line
from disclosure.canonical import canonical_bytes, sha256_hex
from disclosure.keys import KeyFileError, key_id, public_key_from_pem, public_key_pem, verify_signature
from disclosure.release import write_file_atomic

KEYS_DIR = "keys"
STATEMENTS_DIR = "statements"
ALLOWED_SIGNERS = "allowed_signers"
STATEMENT_FORMAT = 1
SSH_NAMESPACE = "disclosure-release"
ACTIONS = ("root", "rotate", "revoke")


class TrustError(Exception):
    pass


@dataclass
class TrustedKey:
    """One key and its window: valid from ``valid_from`` up to, not including, ``valid_until``."""

    key_id: str
    public_key: Ed25519PublicKey
    valid_from: dt.date
    valid_until: dt.date | None = None
    revoked: bool = False

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)

    @property
    def principal(self) -> str:
        return f"disclosure-{self.key_id[:16]}"


@dataclass(frozen=True)
class Statement:
    sequence: int
    previous: str | None
    date: dt.date
    action: str
    key: str
    signer: str

    def to_bytes(self) -> bytes:
        return canonical_bytes(
            {
                "format": STATEMENT_FORMAT,
                "sequence": self.sequence,
                "previous": self.previous,
                "date": self.date.isoformat(),
                "action": self.action,
                "key": self.key,
                "signer": self.signer,
            }
        )

    @classmethod
    def parse(cls, data: bytes, where: str) -> Statement:
        try:
            obj: Any = json.loads(data)
            if canonical_bytes(obj) != data:
                raise TrustError(f"{where}: not in canonical form")
            if obj.get("format") != STATEMENT_FORMAT or obj.get("action") not in ACTIONS:
                raise TrustError(f"{where}: unknown format or action")
            return cls(
                sequence=int(obj["sequence"]),
                previous=obj["previous"],
                date=dt.date.fromisoformat(obj["date"]),
                action=obj["action"],
                key=str(obj["key"]),
                signer=str(obj["signer"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TrustError(f"{where}: malformed statement ({exc})") from exc


@dataclass
class TrustStore:
    keys: dict[str, TrustedKey]
    root_key_id: str
    head: str  # sha256 of the last statement
    statements: list[Statement]

    @classmethod
    def load(cls, releases_dir: Path) -> TrustStore:
        """Read and check the whole statement chain; raises :class:`TrustError` on any fault."""
        keys_dir = releases_dir / KEYS_DIR
        statements_dir = keys_dir / STATEMENTS_DIR
        if not statements_dir.is_dir():
            raise TrustError(f"no trust store in {keys_dir} (run `disclosure init`)")
        json_files = sorted(statements_dir.glob("*.json"))
        if not json_files:
            raise TrustError(f"{statements_dir}: no statements")
        store: TrustStore | None = None
        expected_files = {ALLOWED_SIGNERS, STATEMENTS_DIR}
        for position, path in enumerate(json_files, start=1):
            where = f"statement {path.name}"
            if path.name != f"{position:04d}.json":
                raise TrustError(f"{where}: expected {position:04d}.json (a statement is missing)")
            data = path.read_bytes()
            statement = Statement.parse(data, where)
            if statement.sequence != position:
                raise TrustError(f"{where}: sequence {statement.sequence}, expected {position}")
            public_key = _read_public_key(keys_dir, statement.key, where)
            expected_files.add(f"{statement.key}.pub")
            if store is None:
                if statement.action != "root" or statement.previous is not None:
                    raise TrustError(f"{where}: the first statement must name the root key")
                if statement.signer != statement.key:
                    raise TrustError(f"{where}: the root statement is signed by its own key")
                if (statements_dir / f"{position:04d}.sig").exists():
                    raise TrustError(f"{where}: the root statement carries no signature")
                store = cls(
                    keys={statement.key: TrustedKey(statement.key, public_key, statement.date)},
                    root_key_id=statement.key,
                    head=sha256_hex(data),
                    statements=[statement],
                )
                continue
            sig_path = statements_dir / f"{position:04d}.sig"
            signature = sig_path.read_bytes() if sig_path.exists() else None
            store._apply(statement, data, public_key, signature, where)
        assert store is not None
        for child in sorted(keys_dir.iterdir()):
            if child.name not in expected_files:
                raise TrustError(f"unexpected file keys/{child.name} (not named by any statement)")
        for child in sorted(statements_dir.iterdir()):
            if child.suffix not in (".json", ".sig") or (
                child.suffix == ".sig" and not child.with_suffix(".json").exists()
            ):
                raise TrustError(f"unexpected file keys/statements/{child.name}")
        return store

    def _apply(
        self,
        statement: Statement,
        data: bytes,
        public_key: Ed25519PublicKey,
        signature: bytes | None,
        where: str,
    ) -> None:
        if statement.previous != self.head:
            raise TrustError(f"{where}: previous hash does not match statement {statement.sequence - 1:04d}")
        last = self.statements[-1]
        if statement.date < last.date:
            raise TrustError(f"{where}: dated {statement.date}, before the statement it follows")
        try:
            signer = self.key_for(statement.signer, statement.date)
        except TrustError as exc:
            raise TrustError(f"{where}: not signed by a trusted key: {exc}") from exc
        if signature is None or not verify_signature(signer.public_key, data, signature):
            raise TrustError(f"{where}: missing or bad signature by {statement.signer[:16]}")
        if statement.action == "rotate":
            if statement.key in self.keys:
                raise TrustError(f"{where}: key {statement.key[:16]} is already in the trust store")
            signer.valid_until = statement.date
            self.keys[statement.key] = TrustedKey(statement.key, public_key, statement.date)
        elif statement.action == "revoke":
            target = self.keys.get(statement.key)
            if target is None:
                raise TrustError(f"{where}: revokes unknown key {statement.key[:16]}")
            if target.valid_until is None or statement.date < target.valid_until:
                target.valid_until = statement.date
            target.revoked = True
        else:
            raise TrustError(f"{where}: only the first statement names a root key")
        self.head = sha256_hex(data)
        self.statements.append(statement)

    def key_for(self, kid: str | None, day: dt.date) -> TrustedKey:
        """The key ``kid`` if it may sign on ``day``; otherwise a TrustError saying why not."""
        key = self.keys.get(kid or "")
        if key is None:
            raise TrustError(f"key {str(kid)[:16]} is not in the trust store")
        if day < key.valid_from:
            raise TrustError(f"key {key.key_id[:16]} is not valid before {key.valid_from}")
        if key.valid_until is not None and day >= key.valid_until:
            verb = "revoked" if key.revoked else "retired"
            raise TrustError(f"key {key.key_id[:16]} was {verb} on {key.valid_until}")
        return key

    def allowed_signers(self) -> str:
        """The ssh-keygen allowed_signers file: one line per key with its validity window."""
        lines = []
        for key in sorted(self.keys.values(), key=lambda k: (k.valid_from, k.key_id)):
            options = [f'namespaces="{SSH_NAMESPACE}"', f'valid-after="{key.valid_from:%Y%m%d}"']
            if key.valid_until is not None:
                # ssh-keygen's window is inclusive: end it the second before ``valid_until``.
                last_day = key.valid_until - dt.timedelta(days=1)
                options.append(f'valid-before="{last_day:%Y%m%d}235959"')
            lines.append(f"{key.principal} {','.join(options)} {ssh_public_key_line(key.public_key)}\n")
        return "".join(lines)


def _read_public_key(keys_dir: Path, kid: str, where: str) -> Ed25519PublicKey:
    path = keys_dir / f"{kid}.pub"
    try:
        public_key = public_key_from_pem(path.read_bytes(), source=f"keys/{kid}.pub")
    except (OSError, KeyFileError) as exc:
        raise TrustError(f"{where}: cannot read keys/{kid}.pub: {exc}") from exc
    if key_id(public_key) != kid:
        raise TrustError(f"keys/{kid}.pub holds a different key ({key_id(public_key)[:16]})")
    return public_key


def init_trust_store(releases_dir: Path, root_key: Ed25519PublicKey, day: dt.date) -> str:
    """Start a releases tree whose trust store holds ``root_key`` from ``day``; returns its key id."""
    keys_dir = releases_dir / KEYS_DIR
    if keys_dir.exists():
        raise TrustError(f"{keys_dir} exists: the releases tree already has a trust store")
    (keys_dir / STATEMENTS_DIR).mkdir(parents=True)
    kid = key_id(root_key)
    write_file_atomic(keys_dir / f"{kid}.pub", public_key_pem(root_key))
    statement = Statement(1, None, day, "root", kid, kid)
    write_file_atomic(keys_dir / STATEMENTS_DIR / "0001.json", statement.to_bytes())
    _write_allowed_signers(releases_dir)
    return kid


def _append(
    releases_dir: Path,
    action: str,
    subject: str,
    signer: Ed25519PrivateKey,
    day: dt.date,
    new_key: Ed25519PublicKey | None = None,
) -> Path:
    """Check, then write one signed statement; the .sig lands before the .json that makes it count."""
    store = TrustStore.load(releases_dir)
    statement = Statement(
        sequence=len(store.statements) + 1,
        previous=store.head,
        date=day,
        action=action,
        key=subject,
        signer=key_id(signer.public_key()),
    )
    data = statement.to_bytes()
    signature = signer.sign(data)
    public = new_key if new_key is not None else getattr(store.keys.get(subject), "public_key", None)
    if public is None:
        raise TrustError(f"key {subject[:16]} is not in the trust store")
    # Apply it to the loaded store exactly as the loader will: refused here means nothing is written.
    store._apply(statement, data, public, signature, f"new statement {statement.sequence:04d}")
    statements_dir = releases_dir / KEYS_DIR / STATEMENTS_DIR
    name = f"{statement.sequence:04d}"
    if new_key is not None:
        write_file_atomic(releases_dir / KEYS_DIR / f"{subject}.pub", public_key_pem(new_key))
    write_file_atomic(statements_dir / f"{name}.sig", signature)
    write_file_atomic(statements_dir / f"{name}.json", data)
    _write_allowed_signers(releases_dir)
    return statements_dir / f"{name}.json"


def rotate_key(
    releases_dir: Path, new_key: Ed25519PublicKey, old_key: Ed25519PrivateKey, day: dt.date
) -> Path:
    """``new_key`` signs from ``day``; ``old_key`` (which signs this statement) stops on ``day``."""
    return _append(releases_dir, "rotate", key_id(new_key), old_key, day, new_key=new_key)


def revoke_key(releases_dir: Path, kid: str, signer: Ed25519PrivateKey, day: dt.date) -> Path:
    """Signatures by ``kid`` on releases dated ``day`` or later are refused from now on."""
    return _append(releases_dir, "revoke", kid, signer, day)


def _write_allowed_signers(releases_dir: Path) -> None:
    text = TrustStore.load(releases_dir).allowed_signers()
    write_file_atomic(releases_dir / KEYS_DIR / ALLOWED_SIGNERS, text.encode("ascii"))
