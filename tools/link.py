"""`make link NAME=acme-2026-12`: makes an application link's code, with the owner's own AWS credentials (or in the
running `make dev` with `--local`), and prints the link to paste into that application (`<site url>/?ref=<code>`).
Only codes made here count under their own name in `make stats` (docs/privacy.md says why).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import urlencode

from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.counter.http import REF_FIELD
from infra.config import ConfigError
from tools.stats import EXIT_USAGE, add_target_arguments, owner_table, utc_today

LINK_CODE: Final = re.compile(catalog.LINK_CODE_PATTERN)


def create_link(client: Any, table_name: str, code: str, *, today: str) -> bool:
    """Writes the code's item (True), or leaves an existing one and its figures as they are (False); either way
    the code is in the registry item (a set: adding a code twice keeps one)."""
    if LINK_CODE.fullmatch(code) is None:
        raise ValueError(
            f"{code!r} is not a code: 1 to 40 of a-z, 0-9 and '-', starting with a letter or digit (e.g. acme-2026-12)"
        )
    try:
        client.put_item(
            TableName=table_name,
            Item={
                catalog.VISITS_PARTITION_KEY: {"S": catalog.LINK_KEY_PREFIX + code},
                catalog.LINK_CREATED_ATTRIBUTE: {"S": today},
            },
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": catalog.VISITS_PARTITION_KEY},
        )
        created = True
    except client.exceptions.ConditionalCheckFailedException:
        created = False
    client.update_item(
        TableName=table_name,
        Key={catalog.VISITS_PARTITION_KEY: {"S": catalog.LINK_REGISTRY_KEY}},
        UpdateExpression="ADD #codes :code",
        ExpressionAttributeNames={"#codes": catalog.LINK_CODES_ATTRIBUTE},
        ExpressionAttributeValues={":code": {"SS": [code]}},
    )
    return created


def link_url(site_url: str, code: str) -> str:
    """The site's address (the stack's SiteUrl output: an origin, no query) with `ref=<code>` as its query."""
    return f"{site_url.rstrip('/')}/?{urlencode({REF_FIELD: code})}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.link", description=__doc__.split("\n\n")[0])
    parser.add_argument("code", nargs="?", default="", help="the code, e.g. acme-2026-12 (make link NAME=...)")
    add_target_arguments(parser)
    arguments = parser.parse_args(argv)
    if not arguments.code:
        print("link: name the code, e.g. make link NAME=acme-2026-12", file=sys.stderr)
        return EXIT_USAGE
    try:
        target = owner_table(arguments.local, arguments.context)
        created = create_link(target.client, target.table_name, arguments.code, today=utc_today())
    except (ConfigError, ValueError, ClientError, BotoCoreError) as error:
        print(f"link: {error}", file=sys.stderr)
        return EXIT_USAGE
    state = "made" if created else "already exists (its figures are kept)"
    print(f"code {arguments.code} {state} in {target.where}; paste this link into the application:")
    print(link_url(target.site_url, arguments.code))
    return 0


if __name__ == "__main__":
    sys.exit(main())
