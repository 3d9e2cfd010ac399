#!/usr/bin/env python3
"""Regenerate the demo releases shipped in data_releases/.

Eight weekly batches made by the sample generator, each with amendments,
credit repairs and withdrawals of what the earlier weeks published, staged,
and signed with throw-away keys (a key rotation half-way, so the demo shows
one).  The private keys live in a temporary directory and are destroyed at
the end: only the public keys and the signed releases are kept.

    .venv/bin/python scripts/make_demo.py --out data_releases
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

from disclosure.keys import generate_private_key
from disclosure.rules import load_rules
from disclosure.sample import write_sample
from disclosure.sign import sign_release
from disclosure.stage import currently_published, stage_files
from disclosure.trust import init_trust_store, rotate_key
from disclosure.verify import verify_releases

# Mondays, skipping the National Day holiday week.
WEEKS = tuple(
    dt.date.fromisoformat(d)
    for d in (
        "2026-09-21", "2026-09-28", "2026-10-12", "2026-10-19",
        "2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16",
    )
)  # fmt: skip
ROTATION = dt.date(2026, 10, 24)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("data_releases"))
    parser.add_argument("--records", type=int, default=150, help="new rows per week")
    parser.add_argument("--force", action="store_true", help="replace an existing tree")
    args = parser.parse_args()
    if args.out.exists():
        if not args.force:
            print(f"{args.out} exists; use --force to replace it", file=sys.stderr)
            return 1
        shutil.rmtree(args.out)
    signing_key = generate_private_key()
    init_trust_store(args.out, signing_key.public_key(), WEEKS[0] - dt.timedelta(days=7))
    rules = load_rules()
    rotated = False
    with tempfile.TemporaryDirectory() as inbox_root:
        for number, week in enumerate(WEEKS, start=1):
            if week > ROTATION and not rotated:
                successor = generate_private_key()
                rotate_key(args.out, successor.public_key(), signing_key, ROTATION)
                signing_key, rotated = successor, True
            releases = verify_releases(args.out)
            published = list(currently_published(releases, week).values())
            inbox = Path(inbox_root) / f"week-{number}"
            files = write_sample(inbox, records=args.records, seed=number, week=week, published=published)
            path, result = stage_files(files, releases_root=args.out, release_date=week, rules=rules)
            if path is None:
                print("\n".join(map(str, result.errors)), file=sys.stderr)
                return 1
            sign_release(path, signing_key, releases_root=args.out)
            print(
                f"{path.name} {week}: {sum(sum(c.values()) for c in result.counts.values())} entries "
                f"{dict(sorted((op, sum(c.values())) for op, c in result.counts.items()))}"
            )
    verify_releases(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
