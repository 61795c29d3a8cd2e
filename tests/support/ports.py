from __future__ import annotations

import random
import socket
from pathlib import Path

PORTS_PER_SYSTEM = 4  # emulator, API, site, webhook sink (tools/local/system.py Ports)


def free_port_base() -> int:
    """Four consecutive free loopback ports, below the kernel's ephemeral range.

    A base taken from the ephemeral range (bind to port 0) races the system's own outgoing connections: the
    local runtime's first boto3 calls to the emulator are handed ephemeral ports, and one of them can be the
    very port its API is about to bind ("Address already in use"). Ports below the range are never handed out
    to outgoing connections."""
    low = _ephemeral_range_start()
    for _ in range(200):
        base = random.randrange(10_000, low - PORTS_PER_SYSTEM)
        if all(_is_free(base + offset) for offset in range(PORTS_PER_SYSTEM)):
            return base
    raise RuntimeError("no four consecutive free ports")


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; macOS's range starts higher still (49152)


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
