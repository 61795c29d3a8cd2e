"""One botocore data loader for the whole test process.

Every new botocore session parses AWS's JSON service models again (endpoints, partitions, each service's API):
about 100 ms of JSON decoding per session, and the tests make sessions by the hundred (moto resets boto3's default
session on every `mock_aws`, the counter makes its own per container, the local runtime one per container). Within
one session botocore already hands every client the same parsed documents; sharing the loader across sessions
extends that to the process. Sessions, clients, credentials, endpoints and each handler's module state stay per test
and per container: only AWS's published model files are read once.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session

_shared_loader = functools.cache(botocore.loaders.create_loader)
"""One loader per data path (AWS_DATA_PATH still applies: another path gets its own loader)."""


def share_one_loader() -> None:
    """Makes every botocore session created from now on in this process use the shared loader."""
    botocore.session.create_loader = _shared_loader
