"""The ``disclosure`` command: a thin layer over the package's steps.

Every subcommand parses its arguments, calls one library function and turns
its result or exception into output and an exit code (0 ok, 1 refused, 2 usage).
The interface is fixed: users and scripts depend on it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from disclosure import __version__
from disclosure.model import Kind

DEFAULT_RELEASES = Path("data_releases")
TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today where the credit office is, whatever the machine's zone."""
    return dt.datetime.now(TIMEZONE).date()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from exc


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


# --- keys and trust -------------------------------------------------------------------------------


def cmd_keygen(args: argparse.Namespace) -> int:
    from disclosure.keys import (
        DEFAULT_KDF_ROUNDS,
        KeyFileError,
        generate_private_key,
        read_passphrase,
        write_key_pair,
    )

    try:
        passphrase = read_passphrase(confirm=True)
        kid = write_key_pair(
            args.out, generate_private_key(), passphrase, args.kdf_rounds or DEFAULT_KDF_ROUNDS
        )
    except KeyFileError as exc:
        return _fail(str(exc))
    print(f"private key: {args.out} (mode 0600, encrypted; keep it offline)", file=sys.stderr)
    print(f"public key:  {args.out}.pub", file=sys.stderr)
    print(kid)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from disclosure.keys import KeyFileError, load_public_key
    from disclosure.trust import TrustError, init_trust_store

    try:
        kid = init_trust_store(args.releases, load_public_key(args.pubkey), args.date or today())
    except (KeyFileError, TrustError) as exc:
        return _fail(str(exc))
    print(f"trust store created in {args.releases / 'keys'}; root key:", file=sys.stderr)
    print(kid)
    return 0


def cmd_trust_rotate(args: argparse.Namespace) -> int:
    from disclosure.keys import KeyFileError, load_private_key, load_public_key, read_passphrase
    from disclosure.trust import TrustError, rotate_key

    try:
        new = load_public_key(args.new)
        old = load_private_key(args.key, read_passphrase())
        statement = rotate_key(args.releases, new, old, args.date or today())
    except (KeyFileError, TrustError) as exc:
        return _fail(str(exc))
    print(statement)
    return 0


def cmd_trust_revoke(args: argparse.Namespace) -> int:
    from disclosure.keys import KeyFileError, load_private_key, read_passphrase
    from disclosure.trust import TrustError, revoke_key

    try:
        signer = load_private_key(args.key, read_passphrase())
        statement = revoke_key(args.releases, args.keyid, signer, args.date)
    except (KeyFileError, TrustError) as exc:
        return _fail(str(exc))
    print(statement)
    return 0


def cmd_trust_export(args: argparse.Namespace) -> int:
    from disclosure.trust import TrustError, TrustStore

    try:
        sys.stdout.write(TrustStore.load(args.releases).allowed_signers())
    except TrustError as exc:
        return _fail(str(exc))
    return 0


# --- the weekly batch ------------------------------------------------------------------------------


def cmd_sample(args: argparse.Namespace) -> int:
    from disclosure.sample import write_sample
    from disclosure.stage import currently_published
    from disclosure.verify import VerificationError, verify_releases

    week = args.week or today()
    published = []
    if args.releases is not None:
        try:
            releases = verify_releases(args.releases)
        except VerificationError as exc:
            return _fail(f"releases do not verify:\n{exc}")
        published = list(currently_published(releases, week).values())
    try:
        paths = write_sample(
            args.out, records=args.records, seed=args.seed, week=week, published=published, since=args.since
        )
    except ValueError as exc:
        return _fail(str(exc))
    for path in paths:
        print(path)
    return 0


def cmd_stage(args: argparse.Namespace) -> int:
    from disclosure.rules import load_rules
    from disclosure.stage import StagingError, stage_files
    from disclosure.verify import VerificationError

    try:
        path, result = stage_files(
            args.files,
            releases_root=args.releases,
            release_date=args.date or today(),
            rules=load_rules(args.rules),
        )
    except VerificationError as exc:
        return _fail(f"the releases tree does not verify; nothing staged:\n{exc}")
    except StagingError as exc:
        return _fail(str(exc))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if path is None:
        for error in result.errors:
            print(error, file=sys.stderr)
        return _fail(f"{len(result.errors)} error(s); nothing was written")
    counts = ", ".join(f"{op} {sum(k.values())}" for op, k in sorted(result.counts.items()))
    print(
        f"staged {len(result.entries)} entries ({counts}); {result.skipped} rows not published by rule",
        file=sys.stderr,
    )
    print(path)
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from disclosure.keys import KeyFileError, load_private_key, read_passphrase
    from disclosure.sign import SigningError, sign_release
    from disclosure.verify import VerificationError

    releases = args.releases or args.release_dir.resolve().parent
    try:
        kid = sign_release(
            args.release_dir, load_private_key(args.key, read_passphrase()), releases_root=releases
        )
    except (KeyFileError, SigningError) as exc:
        return _fail(str(exc))
    except VerificationError as exc:
        return _fail(f"refused to sign:\n{exc}")
    print(f"signed {args.release_dir} with key {kid}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from disclosure.verify import check_releases

    result = check_releases(args.releases)
    for fault in result.faults:
        print(f"FAIL {fault}", file=sys.stderr)
    if result.faults:
        return 1
    entries = sum(len(r.manifest.entries) for r in result.releases)
    print(f"OK: {len(result.releases)} releases, {entries} entries, signatures, hashes and chain verified")
    if args.site is not None:
        from disclosure.build import verify_site

        site_faults = verify_site(args.releases, args.site)
        for site_fault in site_faults:
            print(f"FAIL {site_fault}", file=sys.stderr)
        if site_faults:
            return 1
        print(f"OK: site {args.site} matches the signed releases")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from disclosure.build import BuildError, build_site
    from disclosure.verify import VerificationError

    try:
        report = build_site(
            args.releases,
            args.as_of or today(),
            args.out,
            progress=sys.stderr.isatty(),
            incremental=not args.full,
            background_cleanup=True,
            exits_after=True,
        )
    except VerificationError as exc:
        return _fail(f"refused to build: the releases do not verify:\n{exc}")
    except BuildError as exc:
        return _fail(f"build failed; {args.out} is unchanged:\n{exc}")
    print(report)
    return 0


# --- the office's tools ---------------------------------------------------------------------------


def _print_json(value: object) -> None:
    import json

    print(json.dumps(value, ensure_ascii=False, indent=2))


def cmd_preview(args: argparse.Namespace) -> int:
    from disclosure.office import preview_release
    from disclosure.release import Release, ReleaseFormatError
    from disclosure.verify import check_releases

    root = args.releases or args.release_dir.resolve().parent
    result = check_releases(root, allow_unsigned_tip=True)
    if result.faults:
        return _fail("the releases tree does not verify:\n" + "\n".join(map(str, result.faults)))
    try:
        staged = Release.open(args.release_dir)
    except ReleaseFormatError as exc:
        return _fail(str(exc))
    earlier = [r for r in result.releases if r.path.resolve() != args.release_dir.resolve()]
    preview = preview_release(earlier, staged, args.as_of)
    signed = "已签名" if (args.release_dir / "manifest.sig").exists() else "未签名：签名前不会发布到网站"
    print(f"版本 {staged.path.name}（{staged.published}，{signed}）")
    labels = {"publish": "新增", "amend": "变更", "repair": "信用修复", "withdraw": "撤销"}
    kinds = {k.value: k.label for k in Kind}
    for (op, kind, department), count in sorted(preview.changes.items()):
        print(f"  {labels[op]:<4} {kinds[kind]:<4} {department}：{count}")
    print("合计：" + "，".join(f"{labels[op]} {n}" for op, n in sorted(preview.totals().items())))
    for warning in preview.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_due(args: argparse.Namespace) -> int:
    from disclosure.office import due_entries
    from disclosure.verify import VerificationError, verify_releases

    try:
        releases = verify_releases(args.releases)
    except VerificationError as exc:
        return _fail(f"the releases do not verify:\n{exc}")
    due = due_entries(releases, args.as_of or today(), args.within)
    if args.json:
        _print_json([d.to_json() for d in due])
        return 0
    for d in due:
        print(f"{d.until}  {d.kind.label:<4}  {d.id}  {d.subject}  （{d.department}）")
    print(f"{len(due)} 条记录将在 {args.within} 天内到期", file=sys.stderr)
    return 0


def cmd_report_timeliness(args: argparse.Namespace) -> int:
    from disclosure.office import timeliness_report
    from disclosure.verify import VerificationError, verify_releases

    try:
        releases = verify_releases(args.releases)
    except VerificationError as exc:
        return _fail(f"the releases do not verify:\n{exc}")
    report = timeliness_report(releases, getattr(args, "from"), args.to)
    if args.json:
        _print_json([d.to_json() for d in report])
        return 0
    print(f"{'部门':<24}公示  超期")
    for d in report:
        print(f"{d.department:<24}{d.total:>4}  {d.late:>4}")
    return 0


# --- parser ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="disclosure", description="信用信息公示：签名发布与静态站点")
    parser.add_argument("--version", action="version", version=f"disclosure {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        func: Callable[[argparse.Namespace], int],
        help_: str,
        into: argparse._SubParsersAction[argparse.ArgumentParser] = sub,
    ) -> argparse.ArgumentParser:
        p = into.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    def releases_option(p: argparse.ArgumentParser, default: Path | None = DEFAULT_RELEASES) -> None:
        p.add_argument(
            "--releases",
            type=Path,
            default=default,
            metavar="DIR",
            help=f"releases tree (default: {default})",
        )

    p = command(
        "keygen", cmd_keygen, "generate an Ed25519 signing key (passphrase from $DISCLOSURE_PASSPHRASE)"
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="PATH", help="private key path; PATH.pub is the public key"
    )
    p.add_argument("--kdf-rounds", type=int, default=None, help="bcrypt KDF rounds (default: about 0.5 s)")

    p = command("init", cmd_init, "start a releases tree whose trust store holds one key")
    releases_option(p)
    p.add_argument("--pubkey", type=Path, required=True, metavar="PATH.pub")
    p.add_argument("--date", type=_date, default=None, help="validity start of the key (default: today)")

    trust = command("trust", lambda a: 2, "key rotation and revocation")
    trust_sub = trust.add_subparsers(dest="trust_command", required=True, metavar="ACTION")
    p = command("rotate", cmd_trust_rotate, "introduce a new key, signed with the key it replaces", trust_sub)
    releases_option(p)
    p.add_argument("--new", type=Path, required=True, metavar="NEW.pub")
    p.add_argument("--key", type=Path, required=True, metavar="OLD", help="the current private key")
    p.add_argument("--date", type=_date, default=None, help="rotation date (default: today)")
    p = command(
        "revoke",
        cmd_trust_revoke,
        "revoke a key: its signatures dated on or after DATE are refused",
        trust_sub,
    )
    p.add_argument("keyid")
    releases_option(p)
    p.add_argument("--key", type=Path, required=True, metavar="SIGNER", help="a trusted private key")
    p.add_argument("--date", type=_date, required=True)
    p = command("export", cmd_trust_export, "print the trust store as an ssh allowed_signers file", trust_sub)
    releases_option(p)

    p = command("sample", cmd_sample, "write a realistic weekly batch of department spreadsheets")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument("--records", type=int, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--week", type=_date, default=None, metavar="YYYY-MM-DD", help="release date (default: today)"
    )
    p.add_argument(
        "--since",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="an archive: decision dates spread over the working days from this date to the week",
    )
    releases_option(p, default=None)

    p = command("stage", cmd_stage, "validate department files into the next (unsigned) release")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    releases_option(p)
    p.add_argument("--date", type=_date, default=None, help="release date (default: today, Asia/Shanghai)")
    p.add_argument("--rules", type=Path, default=None, help="rules file (default: the packaged rules.toml)")

    p = command("sign", cmd_sign, "sign a staged release")
    p.add_argument("release_dir", type=Path, metavar="RELEASE_DIR")
    p.add_argument("--key", type=Path, required=True, metavar="PATH")
    releases_option(p, default=None)

    p = command("verify", cmd_verify, "verify trust store, signatures, hashes, chain (and a built site)")
    releases_option(p)
    p.add_argument("--site", type=Path, default=None, metavar="BUILD", help="also check a built site")

    p = command("preview", cmd_preview, "show what a staged release would change, with warnings")
    p.add_argument("release_dir", type=Path, metavar="RELEASE_DIR")
    releases_option(p, default=None)
    p.add_argument("--as-of", type=_date, default=None, help="compare with the site as of this date")

    p = command("due", cmd_due, "entries whose publicity ends soon")
    releases_option(p)
    p.add_argument("--as-of", type=_date, default=None, help="default: today")
    p.add_argument("--within", type=int, default=30, metavar="DAYS", help="window in days (default 30)")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    report = command("report", lambda a: 2, "reports for the credit office")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    p = command(
        "timeliness",
        cmd_report_timeliness,
        "per department: published and late (> 7 working days)",
        report_sub,
    )
    releases_option(p)
    p.add_argument("--from", type=_date, default=None, metavar="D", help="first release date counted")
    p.add_argument("--to", type=_date, default=None, metavar="D", help="last release date counted")
    p.add_argument("--json", action="store_true", help="print a JSON list")

    p = command("build", cmd_build, "build the public site from verified releases")
    releases_option(p)
    p.add_argument("--as-of", type=_date, default=None, help="as-of date (default: today, Asia/Shanghai)")
    p.add_argument("--out", type=Path, default=Path("build"), metavar="DIR")
    p.add_argument(
        "--full", action="store_true", help="render every page again instead of reusing unchanged ones"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


def run() -> None:
    """The ``disclosure`` command: ``main``, then exit at once (``os._exit``, the output flushed).

    Why not the interpreter's own exit: it frees every object one by one, and the GC walks them
    first (4.5 s after a daily build at 10^5 records until session 6 froze them), for memory the
    exit frees anyway.  The build leaves its data alive for this (``build_site(exits_after=True)``).
    Every child process has ended by then, and the background deletion is a process of its own.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run()
