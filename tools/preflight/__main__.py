"""`make preflight`: `python -m tools.preflight [-c KEY=VALUE ...] [--assembly DIR] [--lookup-role]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from infra.config import ConfigError, app_context, load_config, overrides_from_context
from tools.preflight.account import requirement_from_assembly
from tools.preflight.core import Clients, Context, context_values
from tools.preflight.runner import CHECKS, qualifier_of, run, synthesized_requirement, with_lookup_role


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preflight",
        description="Read-only checks that the AWS account and cdk.json's config are ready for `cdk deploy` "
        "(docs/deploy.md, 'make preflight'). Exit 1: a check failed; 2: the config is invalid.",
    )
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="as for cdk")
    parser.add_argument("--assembly", type=Path, help="read the bootstrap version the app needs from this assembly")
    parser.add_argument(
        "--lookup-role",
        action="store_true",
        help="read through the CDK bootstrap lookup role (CI: the deploy role may assume it, and read nothing)",
    )
    arguments = parser.parse_args(argv)
    try:
        extra = context_values(arguments.context)
        cdk_context = app_context(extra)
        config = load_config(cdk_context, overrides_from_context(cdk_context))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    assembly = arguments.assembly
    requirement = (lambda: requirement_from_assembly(assembly)) if assembly else synthesized_requirement(extra)
    checks = with_lookup_role(CHECKS, qualifier_of(cdk_context)) if arguments.lookup_role else list(CHECKS)
    print(f"preflight of {config.stack_name} in aws://{config.account}/{config.region} (read-only)")
    return run(Context(config, Clients(), requirement), checks)


if __name__ == "__main__":
    sys.exit(main())
