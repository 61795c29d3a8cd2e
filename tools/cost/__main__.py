"""`make cost`: the monthly cost of the stack the current config synthesizes (cdk.json, or the CDK CLI's context),
as text or (`--json`) one JSON object, at the list prices of the config's region or of `--region` (flagged when
not the config's); a region the price file lacks is refused (exit 2); docs/cost.md."""

from __future__ import annotations

import argparse
import json
import sys

from infra.config import ConfigError, app_context, load_config, overrides_from_context
from tools.cost.model import VisitMix, model_for
from tools.cost.prices import UnpricedRegionError, load_prices
from tools.cost.report import as_json, text
from tools.synth import SynthError, default_template

USAGE_ERROR_EXIT = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument(
        "--region",
        metavar="REGION",
        help="price at REGION's list prices, flagged when it is not the config's (default: the config's region)",
    )
    parser.add_argument(
        "--counter-ms", type=float, metavar="N", help="the counter's warm billed duration in ms (default: assumed)"
    )
    mix = VisitMix()
    parser.add_argument(
        "--link-share",
        type=_share,
        default=mix.link_view_share,
        metavar="S",
        help=f"share of views through an application link, 0 to 1 (default: assumed, {mix.link_view_share:g})",
    )
    parser.add_argument(
        "--downloads-per-visit",
        type=_downloads,
        default=mix.downloads_per_visit,
        metavar="D",
        help=f"résumé downloads per view, 0 or more (default: assumed, {mix.downloads_per_visit:g})",
    )
    args = parser.parse_args(argv)
    mix = VisitMix(link_view_share=args.link_share, downloads_per_visit=args.downloads_per_visit)
    try:
        context = app_context()
        config = load_config(context, overrides_from_context(context))
        prices = load_prices(config.region, priced_at=args.region)  # an unpriced region is refused before the synth
        model = model_for(default_template(), config, prices, counter_billed_ms=args.counter_ms, mix=mix)
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        return USAGE_ERROR_EXIT
    except SynthError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    except UnpricedRegionError as error:
        print(f"cost: {error}", file=sys.stderr)
        return USAGE_ERROR_EXIT
    print(json.dumps(as_json(model), indent=2) if args.json else text(model), end="\n" if args.json else "")
    return 0


def _share(text: str) -> float:
    value = _downloads(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"a share is 0 to 1: {text}")
    return value


def _downloads(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text}") from None
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"0 or more: {text}")
    return value


if __name__ == "__main__":
    sys.exit(main())
