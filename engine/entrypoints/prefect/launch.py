"""The command a process worker runs for each flow run: hand the run to the warm zygote, or start it cold.

A process worker starts a new Python for every flow run, and importing Prefect and Banfa costs that process
about 1.6 s before the flow does anything. `banfa up` therefore also starts
`engine.entrypoints.prefect.zygote`, a process that has imported both and forks a child per run. This launcher
is what the worker starts: it imports nothing heavy, passes its environment, folder and standard streams to
the zygote over a Unix socket, forwards SIGINT and SIGTERM to the child, and exits with the child's status.
When BANFA_ZYGOTE is unset or nobody answers there, it becomes `python -m prefect.engine`, exactly what a
stock process worker runs.

If this launcher dies (the worker was killed), the child notices the closed socket and kills itself, so a
killed worker never leaves a flow run behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys

ZYGOTE = "BANFA_ZYGOTE"


def _cold() -> None:
    os.execv(sys.executable, [sys.executable, "-m", "prefect.engine", *sys.argv[1:]])


def _connect(path: str) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    return sock


def main() -> None:
    path = os.environ.get(ZYGOTE)
    sock = _connect(path) if path else None
    if sock is None:
        _cold()
        return
    request = json.dumps(
        {"env": dict(os.environ), "cwd": os.getcwd(), "argv": sys.argv[1:], "pgid": os.getpgid(0)}
    ).encode()
    socket.send_fds(sock, [struct.pack("!I", len(request)) + request], [0, 1, 2])
    reader = sock.makefile("rb")
    pid = int(reader.readline() or b"0")
    if pid <= 0:
        sys.stderr.write("banfa: the zygote did not start the flow run\n")
        sys.exit(1)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda number, _frame: os.kill(pid, number))
    status = reader.readline()
    # No status: the child was killed before it could report (SIGKILL); say so the way a shell would.
    sys.exit(int(status) if status.strip() else 128 + signal.SIGKILL)


if __name__ == "__main__":
    main()
