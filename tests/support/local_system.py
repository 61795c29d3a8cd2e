"""The real local system (`make dev`) in the test process, as a module-scoped fixture for the layers that run it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from stack_model.assembly import stack_template
from tests.support.ports import free_port_base
from tools.local import system as local_system_module
from tools.local.system import LocalSystem, Ports
from tools.synth import synthesize

_assemblies: dict[str, Path] = {}
"""The cloud assembly synthesized for each context (as JSON) in this test process."""


@pytest.fixture(scope="module")
def one_synth_per_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The local systems of this process synthesize the app once per context: a synth (a CDK app run in a child
    process, 5-10 s) is deterministic for one context, and the modules that each start a system with the same
    config would otherwise synthesize the same assembly again. Each system still gets the whole assembly in its own
    state folder and reads its template from there; a context that fails to synthesize is never kept."""

    def synthesize_once(outdir: Path, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        key = json.dumps(context, sort_keys=True)
        if key not in _assemblies:
            assembly = tmp_path_factory.mktemp("assembly")
            synthesize(assembly, context)
            _assemblies[key] = assembly
        shutil.copytree(_assemblies[key], outdir, dirs_exist_ok=True)
        return stack_template(outdir)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local_system_module, "synthesize", synthesize_once)
        yield


@pytest.fixture(scope="module")
def local_system(tmp_path_factory: pytest.TempPathFactory, one_synth_per_context: None) -> Iterator[LocalSystem]:
    """The real local system (`make dev`) in this process, for one test module. Alarm periods are scaled so
    alarms fire in seconds, and the stage throttle raised so 200 concurrent visits do not take 10 s at the deployed
    20 requests/s. It leaves this process's environment as it found it: the Lambdas it runs see theirs only
    while they run (tools/local/lambda_runtime/runtime.py)."""
    system = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("local")),
        period_scale=0.02,
        config_overrides={"api_throttle_rate_per_second": "1000", "api_throttle_burst_requests": "1000"},
    )
    system.start()
    yield system
    system.stop()
