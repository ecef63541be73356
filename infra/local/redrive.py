"""Move dead-lettered messages back to their queue: `make redrive QUEUE=notifications [MAX=n] [DRY=1]`.

    python -m infra.local.redrive notifications --dry-run   # list what is in notifications-dlq, and why
    python -m infra.local.redrive notifications --max 10    # move (at most) 10 back

Works on whatever AWS_ENDPOINT_URL / credentials point at (the emulator locally, AWS with an
operator's credentials), for every tenant's messages - the staff HTTP view is the per-tenant one.
Fix the cause first: a message that still fails comes back to the DLQ after MAX_RECEIVE_COUNT tries.
"""
from __future__ import annotations

import argparse
import sys

from chalicelib.system import dead_letters


def _line(letter: dead_letters.DeadLetter) -> str:
    row = letter.public()
    return (f"  {row['message_id']}  {row['event_type'] or '-'}  tenant={row['tenant_id'] or '-'}  "
            f"received={row['receive_count']}  sent={row['sent_at'] or '-'}  "
            f"failure={row['first_failure'] or 'not recorded'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue", help="short name, e.g. notifications (its DLQ is <queue>-dlq)")
    parser.add_argument("--max", type=int, default=None, help="move at most this many")
    parser.add_argument("--dry-run", action="store_true", help="only list what would move")
    args = parser.parse_args(argv)
    known = dead_letters.known_queues()
    try:
        dead_letters.counts(args.queue)
    except Exception as exc:  # noqa: BLE001 - a clear message instead of a botocore traceback
        print(f"redrive: no queue {args.queue!r} with a DLQ here ({type(exc).__name__}); declared: {', '.join(known)}",
              file=sys.stderr)
        return 2
    letters = dead_letters.redrive(args.queue, limit=args.max, dry_run=args.dry_run)
    print(f"{args.queue}-dlq: {'would move' if args.dry_run else 'moved'} {len(letters)} message(s)")
    for letter in letters:
        print(_line(letter))
    return 0


if __name__ == "__main__":
    sys.exit(main())
