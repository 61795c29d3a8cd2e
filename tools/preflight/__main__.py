"""`make preflight`: `python -m tools.preflight [-c KEY=VALUE ...] [--lookup-role]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from infra.config import ConfigError, app_context, load_config, overrides_from_context
from tools.preflight.core import Clients, Context, Result, Status, error_summary, format_result
from tools.preflight.runner import run
from tools.synth import add_context_option


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.preflight",
        description="Read-only checks that the AWS account and cdk.json's config are ready for `cdk deploy` "
        "(docs/deploy.md, 'make preflight'). Exit 1: a check failed; 2: the config is invalid.",
    )
    add_context_option(parser)
    parser.add_argument(
        "--lookup-role",
        action="store_true",
        help="read through the CDK bootstrap lookup role (CI: the deploy role may assume it, and read nothing)",
    )
    arguments = parser.parse_args(argv)
    try:
        cdk_context = app_context(dict(arguments.context))
        config = load_config(cdk_context, overrides_from_context(cdk_context))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return 2
    print(f"preflight of {config.stack_name} in aws://{config.account}/{config.region} (read-only)")
    clients = Clients()
    if arguments.lookup_role:
        try:
            clients = clients.through_lookup_role(config, cdk_context)
        except (ClientError, BotoCoreError) as error:
            message = f"cannot assume the CDK bootstrap lookup role ({error_summary(error)}): not bootstrapped?"
            fix = f"npx cdk bootstrap aws://{config.account}/{config.region}"
            print(format_result(Result(Status.FAIL, message, fix, title="lookup role")))
            return 1
    return run(Context(config, clients))


if __name__ == "__main__":
    sys.exit(main())
