"""`serve --workers N` on Linux: each worker listens on a socket of its own, one SO_REUSEPORT group.

uvicorn's workers all accept on one shared socket, so connections opened together land on the
worker that wakes first (measured: 16 keep-alive connections, all on one of two workers, so a
reverse proxy's upstream pool got one core). Here each worker binds its own socket to the
address with SO_REUSEPORT, and the kernel spreads new connections over the workers' sockets.
"""

from __future__ import annotations

import errno
import logging
import pickle
import socket
import sys
import time
from dataclasses import dataclass

from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

# BSD and macOS have SO_REUSEPORT too, but there the last socket bound takes every connection.
# The worker class is swapped in through uvicorn's supervisor module (0.54's layout); any other
# layout falls back to uvicorn's own shared socket.
SUPPORTED = (
    sys.platform.startswith("linux")
    and hasattr(socket, "SO_REUSEPORT")
    and isinstance(getattr(multiprocess, "Process", None), type)
    and isinstance(getattr(multiprocess.Process, "server", None), property)
)

logger = logging.getLogger("uvicorn.error")


class PortTaken(OSError):
    """Another `paperfeed serve` holds the port."""


@dataclass(frozen=True)
class Reservation:
    """What the supervisor holds while its workers serve: the port, and the right to it."""

    group: socket.socket  # bound with SO_REUSEPORT, never listening: no connection waits on it
    claim: socket.socket  # an abstract Unix socket named after the port: one server per port

    def close(self) -> None:
        """Let the port go (the workers' own sockets close with them)."""
        self.group.close()
        self.claim.close()


def reserve(host: str, port: int) -> Reservation:
    """Hold host:port for this server's workers; PortTaken or OSError when it cannot be had.

    SO_REUSEPORT lets any process of the same user join the group, a second `paperfeed serve`
    too; the claim refuses that one, so two servers never silently share a port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    claim = _claim(_address(host, port, family), port)
    group = socket.socket(family, socket.SOCK_STREAM)
    try:
        _join_group(group)
        group.bind((host, port))
    except OSError:
        group.close()
        claim.close()
        raise
    return Reservation(group, claim)


_CLAIM = "paperfeed-serve-port-{port}@"  # + the address, or "*" for every address


def _address(host: str, port: int, family: socket.AddressFamily) -> str:
    """The address a host names ("*" for every address): `localhost` and 127.0.0.1 are one."""
    found = socket.getaddrinfo(host or None, port, family, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    address = str(found[0][4][0])
    return "*" if address in ("0.0.0.0", "::") else address


def _claim(address: str, port: int) -> socket.socket:
    """One server per address and port (servers on other addresses of the port are welcome); a
    server on every address ("*") shares the port with none. Linux's abstract names vanish
    with us; each server looks after naming itself, so two that start together both see the
    other and neither silently joins the other's group."""
    prefix = _CLAIM.format(port=port)
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0{prefix}{address}")
        others = _claimed(prefix) - {address}
        if others and (address == "*" or "*" in others):
            raise OSError(errno.EADDRINUSE, f"a server on {', '.join(sorted(others))}")
    except OSError as exc:
        claim.close()
        raise PortTaken(exc.errno, "another paperfeed serve holds the port") from exc
    return claim


def _claimed(prefix: str) -> set[str]:
    """The addresses claimed under `prefix` (Linux lists abstract names, "@name", here)."""
    with open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
        names = (line.split()[-1] for line in table if line.strip())
        return {name[len(prefix) + 1 :] for name in names if name.startswith("@" + prefix)}


def _join_group(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def run(config: Config, reservation: Reservation) -> None:
    """uvicorn's supervisor (restarts, healthchecks, signals) over workers with own sockets."""
    original = multiprocess.Process
    # Multiprocess builds (and rebuilds) each worker through this module-level name.
    setattr(multiprocess, "Process", _WorkerProcess)  # noqa: B010
    supervisor = multiprocess.Multiprocess(config, sockets=[reservation.group])
    try:
        supervisor.run()
    except KeyboardInterrupt:
        pass  # as uvicorn.run: the supervisor has already stopped its workers
    finally:
        setattr(multiprocess, "Process", original)  # noqa: B010
    if any(w.process.exitcode == STARTUP_FAILURE for w in supervisor.processes):
        # A worker that cannot start (a half-installed upgrade's import error) stopped the
        # supervisor: fail, so that systemd's Restart=on-failure tries again after its pause.
        raise SystemExit(STARTUP_FAILURE)


class _WorkerProcess(multiprocess.Process):
    """A worker process whose server listens on its own socket (the class travels by pickle)."""

    def is_alive(self, timeout: float = 5) -> bool:
        """uvicorn's check, but a worker that dies while it is asked is found dead at once:
        uvicorn waited out the whole healthcheck time (120 s), its SIGTERM unread meanwhile."""
        deadline = time.monotonic() + timeout
        try:
            self.parent_conn.send(b"ping")
            while self.process.is_alive():
                if self.parent_conn.poll(max(0.0, min(0.5, deadline - time.monotonic()))):
                    self.parent_conn.recv()
                    return True
                if time.monotonic() >= deadline:
                    return False
        except (OSError, EOFError, pickle.UnpicklingError):
            return False
        return False

    def target(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve; failing before serving (an import error) ends with uvicorn's startup-failure
        status, which stops the supervisor instead of restarting this worker forever."""
        try:
            super().target(sockets)
        except Exception as exc:
            if self._server is not None and self._server.started:
                raise
            logger.error("a worker cannot start: %s: %s", type(exc).__name__, exc)
            sys.exit(STARTUP_FAILURE)

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = _OwnSocketServer(config=self.config)
        return self._server


class _OwnSocketServer(Server):
    """Replaces the supervisor's socket with one bound here, in the same SO_REUSEPORT group."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets:
            try:
                sockets[:] = [_own_socket(inherited) for inherited in sockets]
            except OSError as exc:
                logger.error("cannot listen: %s", exc)
                sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of restarting us
        await super().startup(sockets=sockets)  # `shutdown` closes the same list's sockets


def _own_socket(inherited: socket.socket) -> socket.socket:
    """A fresh socket on the inherited socket's address, in its group; the inherited one closed."""
    fresh = socket.socket(inherited.family, socket.SOCK_STREAM)
    try:
        _join_group(fresh)
        if inherited.family == socket.AF_INET6:
            v6only = inherited.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
            fresh.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
        fresh.bind(inherited.getsockname())
    except OSError:
        fresh.close()
        raise
    inherited.close()
    return fresh
