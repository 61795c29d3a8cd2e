"""`make dashboard`: build/dashboard/<name>.json (the synthesized body, canonical JSON) and <name>.svg (its picture
with synthetic data), and docs/dashboard.svg refreshed. A config error ends with its message and exit status 2.
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
    for name, body in dashboard_bodies(template).items():
        (OUT / f"{name}.json").write_text(canonical_json(body))
        picture = render_svg(body, SyntheticData(), f"{name} (synthetic data)")
        (OUT / f"{name}.svg").write_text(picture)
        DOCS_PICTURE.write_text(picture)
        print(f"wrote build/dashboard/{name}.json, build/dashboard/{name}.svg and docs/dashboard.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
