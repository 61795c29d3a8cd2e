from __future__ import annotations

import socket


def free_port_base() -> int:
    """Four consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 60000:
            continue
        if all(_is_free(base + offset) for offset in range(4)):
            return base
    raise RuntimeError("no four consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
