"""Lock holders and run nodes: this process by name, and whether a named one has died."""

from __future__ import annotations

import functools
import hashlib
import os
import socket
from pathlib import Path


def node_name() -> str:
    """This process as a lock holder and run node: host/space:pid (see `process_space`)."""
    return f"{socket.gethostname()}/{process_space()}:{os.getpid()}"


@functools.cache
def process_space() -> str:
    """Where a pid names the same process as here: this kernel boot and pid namespace, hashed.
    Two containers with one host name (host networking) each have their own pid 1; "-": no
    /proc to tell (not Linux), where the host name alone says it."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        space = os.readlink("/proc/self/ns/pid")
    except OSError:
        return "-"
    return hashlib.sha256(f"{boot} {space}".encode()).hexdigest()[:8]


def holder_is_dead(holder: str) -> bool:
    """True when a holder in this process space names a process that no longer exists (a
    holder elsewhere, or named without its space, is left to its lease's expiry)."""
    place, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if place != node_name().partition(":")[0] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
