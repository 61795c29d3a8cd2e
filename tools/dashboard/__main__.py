"""`make dashboard`: build/dashboard/<name>.json (the synthesized body, canonical JSON) and docs/dashboard.svg (its
picture with synthetic data). A config error ends with its message and exit status 2.
"""

from __future__ import annotations

import sys

from tools.dashboard.render import canonical_json, dashboard_bodies, render_svg
from tools.dashboard.synthetic import SyntheticData
from tools.synth import REPO_ROOT, SynthError, synthesize

OUT = REPO_ROOT / "build" / "dashboard"
DOCS_PICTURE = REPO_ROOT / "docs" / "dashboard.svg"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        template = synthesize(OUT / "cdk.out")
    except SynthError as error:
        print(error.message, file=sys.stderr)
        return error.exit_code
    ((name, body),) = dashboard_bodies(template).items()
    (OUT / f"{name}.json").write_text(canonical_json(body))
    DOCS_PICTURE.write_text(render_svg(body, SyntheticData(), f"{name} (synthetic data)"))
    print(f"wrote build/dashboard/{name}.json and docs/dashboard.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
