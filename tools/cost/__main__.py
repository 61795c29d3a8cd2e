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
    _mix_option(
        parser, "--link-share", "S", mix.link_view_share, "share of views through an application link, 0 to 1", 1
    )
    _mix_option(parser, "--downloads-per-visit", "D", mix.downloads_per_visit, "résumé downloads per view, 0 or more")
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


def _mix_option(
    parser: argparse.ArgumentParser, flag: str, metavar: str, default: float, what: str, at_most: float | None = None
) -> None:
    """An option of the visit mix: a number from 0 (to `at_most`), the assumed mix's figure by default."""

    def value(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text}") from None
        if not number >= 0:  # NaN too
            raise argparse.ArgumentTypeError(f"0 or more: {text}")
        if at_most is not None and number > at_most:
            raise argparse.ArgumentTypeError(f"a share is 0 to {at_most:g}: {text}")
        return number

    parser.add_argument(
        flag, type=value, default=default, metavar=metavar, help=f"{what} (default: assumed, {default:g})"
    )


if __name__ == "__main__":
    sys.exit(main())
