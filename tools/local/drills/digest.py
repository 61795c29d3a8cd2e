"""`make digest`: the weekly digest of the week so far, sent now by the running local system (`make dev`) to every
channel. `make notes` (`--notes`): the notes' hourly run, now (a note only when there is something to tell).

Both ask the running system's console (`POST /api/digest`, `/api/notes`), which invokes the function with the
schedule's own event, so nothing here starts a second system. Exit status 1 when a channel failed or no local
system answers.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

from tools.local.emulator import LOOPBACK
from tools.local.system import Ports

REQUEST_TIMEOUT_SECONDS = 120.0
"""The notifier's worst case with every channel's retries is about two minutes (infra/notifier.py)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make digest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-base", type=int, help="the --port-base the running `make dev` was given")
    parser.add_argument("--notes", action="store_true", help="run the notes' hourly run now, not the digest")
    args = parser.parse_args(argv)
    verb, job, sent = ("make notes", "notes", "note") if args.notes else ("make digest", "digest", "digest")
    ports = Ports.from_base(args.port_base) if args.port_base else Ports()
    console = f"http://{LOOPBACK}:{ports.console}"
    request = urllib.request.Request(f"{console}/api/{job}", method="POST", data=b"")  # noqa: S310 (http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            result = json.loads(response.read())
    except urllib.error.HTTPError as error:
        result = json.loads(error.read() or b"{}")
    except OSError:
        print(f"{verb}: no local system answers at {console}; start it with `make dev`", file=sys.stderr)
        return 1
    if not result.get("ok"):
        print(f"{verb}: the {job} run was not delivered: {result.get('error')}", file=sys.stderr)
        return 1
    if result.get(sent) is None:
        print("Notes: nothing to tell since the run before (no first open of a link, no download)")
        return 0
    print(f"{'Note' if args.notes else 'Weekly digest'} {result[sent]} sent:")
    for channel, reference in result["deliveries"].items():
        print(f"  {channel:8} {reference}")
    print(f"See it in the outbox: {console}/outbox")
    return 0


if __name__ == "__main__":
    sys.exit(main())
