"""`make dev`: the whole system locally. Ctrl-C stops it (within 5 s; SIGTERM too).

Exit status 0 after a stop; 2, with the message only, for a taken port or a config error (`--config`, cdk.json,
or `CDK_CONTEXT_JSON` as the CDK CLI passes `-c` flags).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from tools.local.cli import add_config_option, start_or_explain
from tools.local.system import LocalSystem, Ports

DEFAULT_STATE_DIR = Path(".local-state")
SIGNAL_POLL_SECONDS = 0.1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dev", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port-base",
        type=int,
        help="use ports N (AWS emulator), N+1 (API), N+2 (site), N+3 (console) (make dev PORT_BASE=N)",
    )
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="where the local state lives")
    parser.add_argument("--reset", action="store_true", help="start from an empty state")
    parser.add_argument(
        "--period-scale", type=float, default=1.0, help="scale alarm periods (e.g. 0.02 turns 5 minutes into 6 s)"
    )
    add_config_option(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")  # loops.py reports here
    # NOTE: the handler only records the signal, and the main thread polls: a handler runs between two bytecodes,
    # possibly inside threading code holding a lock (Event.set there deadlocks, docs/local.md).
    # https://docs.python.org/3/library/signal.html#note-on-signal-handlers-and-exceptions
    stop_signals: list[int] = []
    signal.signal(signal.SIGINT, lambda number, _frame: stop_signals.append(number))
    signal.signal(signal.SIGTERM, lambda number, _frame: stop_signals.append(number))
    overrides = dict(args.config)
    ports = Ports.from_base(args.port_base) if args.port_base else Ports()
    system = LocalSystem(
        ports, args.state_dir, reset=args.reset, period_scale=args.period_scale, config_overrides=overrides
    )
    started = time.monotonic()
    urls = start_or_explain(system)
    if isinstance(urls, int):
        return urls
    print(f"Local resume backend is up in {time.monotonic() - started:.1f} s (no AWS account used):")
    for name, url in urls.items():
        print(f"  {name:13} {url}")
    if args.period_scale != 1:
        print(f"  alarm periods are scaled by {args.period_scale:g}")
    for key, value in overrides.items():
        print(f"  config override: {key} = {value}")
    print("Press Ctrl-C to stop.", flush=True)
    while not stop_signals:
        time.sleep(SIGNAL_POLL_SECONDS)
    system.stop()
    print("stopped", flush=True)
    return 0


def exit_now(status: int) -> None:
    """Ends the process once its output is out: the state is saved by then, and tearing down the interpreter took
    1.5 s more on a busy machine, past the 5 s `make dev` promises after Ctrl-C."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)


if __name__ == "__main__":
    exit_now(main())
