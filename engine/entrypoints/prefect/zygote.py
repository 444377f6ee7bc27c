"""A warm process that forks one child per flow run, so that a run does not pay for importing Prefect and Banfa.

`banfa up` starts it beside the worker (`python -m engine.entrypoints.prefect.zygote SOCKET MODULE:FLOW`), and
engine.entrypoints.prefect.launch talks to it. The zygote imports the flow's module by the deployment's
entrypoint string, as Prefect itself does, and everything it needs, starts no thread, then waits on a Unix
socket. For each launcher it forks; the child takes the launcher's environment, folder and standard streams,
refreshes Prefect's settings from that environment, and runs `prefect.engine` as a process worker would,
reporting its exit status back. A thread in the child watches the socket: when the launcher is gone, the child
kills itself.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import runpy
import signal
import socket
import struct
import sys
import threading
import warnings
from pathlib import Path


def _preload(entrypoint: str) -> None:
    """Import Prefect's flow engine and the flow's module, named as a deployment names it (`module:function`),
    let the module load what every run needs (its `warm()`, when it has one), then freeze the heap.

    Frozen, the objects loaded so far are left alone by the children's garbage collector, so the pages that
    hold them stay shared instead of being copied into every child (a run touched 18,000 pages otherwise).
    """
    import prefect.flow_engine  # noqa: F401  # not prefect.engine: the child runs it as __main__

    module = importlib.import_module(entrypoint.partition(":")[0])
    warm = getattr(module, "warm", None)
    if callable(warm):
        warm()
    gc.freeze()


def _reap(_signum: int, _frame: object) -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def _receive(conn: socket.socket) -> tuple[dict[str, object], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
    (size,) = struct.unpack("!I", data)
    raw = b""
    while len(raw) < size:
        chunk = conn.recv(size - len(raw))
        if not chunk:
            raise ConnectionError("the launcher went away")
        raw += chunk
    return json.loads(raw), list(fds)


def _watch(conn: socket.socket) -> None:
    """Die with the launcher: it never writes after its request, so a read returns only at its end."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    os.kill(os.getpid(), signal.SIGKILL)


def _child(listener: socket.socket, conn: socket.socket, request: dict[str, object], fds: list[int]) -> None:
    listener.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn.sendall(f"{os.getpid()}\n".encode())  # before any status, so the launcher reads them in order
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.environ["BANFA_WORKER_PGID"] = str(request["pgid"])
    os.chdir(str(request["cwd"]))
    import prefect.context

    prefect.context.refresh_global_settings_context()
    threading.Thread(target=_watch, args=(conn,), daemon=True).start()
    argv = request.get("argv")
    sys.argv = ["prefect.engine", *(str(a) for a in argv)] if isinstance(argv, list) else ["prefect.engine"]
    code = 1
    # prefect.engine is imported already (by prefect itself); running it as __main__ again is what
    # `python -m prefect.engine` does too, so runpy's warning about it says nothing here.
    warnings.filterwarnings("ignore", message=".*found in sys.modules after import of package.*")
    try:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        with contextlib.suppress(OSError):
            conn.sendall(f"{code}\n".encode())
        os._exit(code)


def serve(path: Path, entrypoint: str) -> None:
    _preload(entrypoint)
    if threading.active_count() != 1:
        raise RuntimeError("the zygote must not run threads before it forks")
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"banfa zygote ready on {path}", flush=True)
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except InterruptedError:
                continue
            try:
                request, fds = _receive(conn)
            except (OSError, ValueError, struct.error):
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                _child(listener, conn, request, fds)
            for fd in fds:
                os.close(fd)
            conn.close()
    finally:
        listener.close()
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2])
