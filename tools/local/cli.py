"""What the local system's commands (`make dev`, `make drill`) share: the `--config` option, and starting the
system so that a taken port or a config error ends with its message and exit status 2, never a traceback."""

from __future__ import annotations

import argparse
import sys

from infra.config import CONFIG_ERROR_EXIT
from tools.local.emulator import PortInUseError
from tools.local.system import LocalSystem
from tools.synth import SynthError, config_override


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        type=config_override,
        metavar="KEY=VALUE",
        help="override a config key for this run, as `cdk synth -c config.KEY=VALUE` would "
        "(e.g. alarm_thresholds.api_requests_per_5_minutes=30)",
    )


def start_or_explain(system: LocalSystem) -> dict[str, str] | int:
    """The system's URLs, or the exit status after printing why it cannot start (no traceback)."""
    try:
        return system.start()
    except PortInUseError as error:
        print(f"error: {error}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    except SynthError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
