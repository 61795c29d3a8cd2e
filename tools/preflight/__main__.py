"""`make preflight`: `python -m tools.preflight [-c KEY=VALUE ...] [--assembly DIR] [--lookup-role]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.config import ConfigError, app_context, load_config, overrides_from_context
from tools.preflight.core import Clients, Context
from tools.preflight.runner import (
    CHECKS,
    assembly_requirement,
    qualifier_of,
    run,
    synthesized_requirement,
    with_lookup_role,
)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preflight",
        description="Read-only checks that the AWS account and cdk.json's config are ready for `cdk deploy` "
        "(docs/deploy.md, 'make preflight'). Exit 1: a check failed; 2: the config is invalid.",
    )
    parser.add_argument(
        "-c",
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context value, as for cdk (e.g. -c config.account=123456789012)",
    )
    parser.add_argument(
        "--assembly",
        type=Path,
        help="read the bootstrap version the app needs from this cloud assembly instead of synthesizing the app",
    )
    parser.add_argument(
        "--lookup-role",
        action="store_true",
        help="read through the CDK bootstrap lookup role (CI: the deploy role may assume it, and read nothing)",
    )
    return parser.parse_args(argv)


def _context_values(pairs: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ConfigError(f"-c {pair!r}: expected KEY=VALUE")
        values[key] = value
    return values


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parse(argv)
    try:
        extra = _context_values(arguments.context)
        cdk_context = app_context(extra)
        config = load_config(cdk_context, overrides_from_context(cdk_context))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    requirement = assembly_requirement(arguments.assembly) if arguments.assembly else synthesized_requirement(extra)
    checks = with_lookup_role(CHECKS, qualifier_of(cdk_context)) if arguments.lookup_role else list(CHECKS)
    print(f"preflight of {config.stack_name} in aws://{config.account}/{config.region} (read-only)")
    return run(Context(config, Clients(), requirement), checks)


if __name__ == "__main__":
    sys.exit(main())
