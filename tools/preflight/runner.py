"""The preflight's checks in order and the run: one line per check, exit 1 when one failed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Final

from tools.preflight import account, existing, placeholders, resources, ses
from tools.preflight.core import Check, Context, Result, Status, exit_status, report, run_check

CHECKS: Final[tuple[Check, ...]] = (
    *placeholders.CHECKS,
    *account.CHECKS,
    *resources.CHECKS,
    *ses.CHECKS,
    *existing.CHECKS,
)
CREDENTIALS: Final = account.CHECKS[0]
"""The gate: the other AWS checks say nothing true with credentials of another account, none, or no AWS."""


def run(context: Context, checks: Sequence[Check] = CHECKS, out: Callable[[str], None] = print) -> int:
    """Runs every check, printing each line as it is known; 1 when any check failed, else 0."""

    def results() -> Iterator[Result]:
        for check in checks:
            result = run_check(check, context)
            yield result
            if check is CREDENTIALS and result.status is Status.FAIL:
                out("      (the other checks need credentials of config.account: fix this one first)")
                return

    return exit_status(report("preflight", results(), out))
