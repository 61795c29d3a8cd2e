"""`make stats`: where the resume's readers come from (views, unique visitors, downloads and sources by day, and
each application link's opens), read from the visits table with the owner's own AWS credentials, or from the
running `make dev` with `--local`. No public endpoint serves these figures (docs/privacy.md).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from functions.common import catalog
from functions.digest.readers import DayReaders, LinkOpens, VisitsReader
from functions.digest.render import link_text, sources_text
from infra.config import ConfigError, app_context, load_config, overrides_from_context
from tools.synth import add_context_option

EXIT_USAGE: Final = 2
DEFAULT_DAYS: Final = 7
LOCAL_STATE_DIR: Final = Path(".local-state")


@dataclass(frozen=True)
class OwnerTable:
    """The visits table, reached with the owner's credentials, and the site's address (for `make link`)."""

    client: Any
    table_name: str
    site_url: str
    where: str
    """For the first line of the output: the stack and its region, or the local system."""


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """--local and -c, as `make verify` takes them."""
    add_context_option(parser)
    parser.add_argument(
        "--local",
        nargs="?",
        const=LOCAL_STATE_DIR,
        type=Path,
        metavar="STATE_DIR",
        help="the running `make dev` (its state folder, default .local-state) instead of the deployed stack",
    )


def owner_table(local: Path | None, context: Sequence[tuple[str, str]]) -> OwnerTable:
    """The table and site of the deployed stack (its outputs), or of the running local system. Raises ValueError,
    ConfigError, ClientError or BotoCoreError when neither can be read."""
    extra = dict(context)
    if local is not None:
        from tools.verify import read_local_deployment

        deployment, clients = read_local_deployment(local, extra)
        outputs, client, where = deployment.outputs, clients("dynamodb"), f"the local system ({local})"
    else:
        cdk_context = app_context(extra)
        config = load_config(cdk_context, overrides_from_context(cdk_context))
        session = boto3.Session(region_name=config.region)
        stack = session.client("cloudformation").describe_stacks(StackName=config.stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        client, where = session.client("dynamodb"), f"{config.stack_name} in {config.region}"
    missing = [name for name in (catalog.TABLE_NAME_OUTPUT, catalog.SITE_URL_OUTPUT) if name not in outputs]
    if missing:
        raise ValueError(f"the stack has no {' or '.join(missing)} output: deploy it first")
    return OwnerTable(client, outputs[catalog.TABLE_NAME_OUTPUT], outputs[catalog.SITE_URL_OUTPUT], where)


@dataclass(frozen=True)
class Stats:
    today: date
    days: tuple[DayReaders, ...]
    """Newest first; today first, days without an item as zeros."""
    links: tuple[LinkOpens, ...]


def read_stats(client: Any, table_name: str, *, today: str, days: int) -> Stats:
    """Today's figures and the `days - 1` days before, and every application link, read by key as the digest reads
    them: the links are the registry's codes (`make link` lists each one) and OTHER_LINK_CODE."""
    visits = VisitsReader(client, table_name)
    first = date.fromisoformat(today)
    totals = visits.item(catalog.VISITS_ITEM_KEY, consistent=True)
    figures = visits.days([first - timedelta(days=back) for back in range(days)], totals)
    links = list(visits.links([*visits.link_codes(), catalog.OTHER_LINK_CODE]))
    # The owner's codes, last opened first (never opened after), the bucket of unknown codes at the end.
    links.sort(key=lambda link: link.last_opened, reverse=True)
    links.sort(key=lambda link: link.code == catalog.OTHER_LINK_CODE)
    return Stats(first, figures, tuple(links))


def _sources_line(sources: Mapping[str, int]) -> str:
    return sources_text(sources) or "-"


def render(stats: Stats) -> str:
    lines = ["Readers by UTC day (views, unique visitors, downloads; sources by unique visitor), newest first:"]
    for figures in stats.days:
        label = "today     " if figures.day == stats.today else figures.day.isoformat()
        lines.append(
            f"  {label}  {figures.views:>5} views  {figures.unique_visitors:>4} unique  {figures.downloads:>3} "
            f"downloads  sources: {_sources_line(figures.sources)}"
        )
    total = sum((Counter(figures.sources) for figures in stats.days), Counter[str]())
    lines.append(f"Sources over these {len(stats.days)} days: {_sources_line(total)}")
    lines.append(f"Downloads over these {len(stats.days)} days: {sum(figures.downloads for figures in stats.days)}")
    lines.append("Application links (make link):")
    if not stats.links:
        lines.append("  none yet: `make link NAME=<code>` makes one")
    lines += [f"  {link_text(link)}" for link in stats.links]
    return "\n".join(lines)


def utc_today() -> str:
    return datetime.now(UTC).date().isoformat()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.stats", description=__doc__.split("\n\n")[0])
    add_target_arguments(parser)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"days to show (default {DEFAULT_DAYS})")
    arguments = parser.parse_args(argv)
    if arguments.days < 1:
        parser.error("--days must be at least 1")
    try:
        target = owner_table(arguments.local, arguments.context)
        stats = read_stats(target.client, target.table_name, today=utc_today(), days=arguments.days)
    except (ConfigError, ValueError, ClientError, BotoCoreError) as error:
        print(f"stats cannot read the visits table: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"stats of {target.where}, table {target.table_name}")
    print(render(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
