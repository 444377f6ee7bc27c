"""A PostgreSQL 15 cluster of a test's own, in a temporary folder on a free port, that the test may restart.

Never the shared server at 127.0.0.1:5432: a test that stops or crashes the database must own it. `initdb`
makes the cluster (trust authentication; fsync off, since nothing here needs to survive the machine, but
synchronous commit on, so that a crash of the server loses no committed transaction), `pg_ctl`
starts it on 127.0.0.1 with its socket in the same folder, and the end stops it and removes the folder.
PostgreSQL refuses to run as root, so as root the binaries run as the `postgres` OS user, which owns the folder.
Without the binaries (or, as root, without that user) the test is skipped and says why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.mailbox import free_port

BINARIES = Path(os.environ.get("BANFA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"  # who runs the server when the tests run as root


class PrivatePostgres:
    """One cluster in `folder`, listening on 127.0.0.1:`port`; `restart` and `crash` take it down and up."""

    def __init__(self, folder: Path, port: int, *, as_user: str | None) -> None:
        self.folder = folder
        self.port = port
        self.as_user = as_user
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(BINARIES / args[0]), *args[1:]]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            tail = self.log.read_text("utf-8", "replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr}\n{tail}")

    def initdb(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
            " -c fsync=off"  # the OS keeps what was written; synchronous_commit stays on, so a commit is in the WAL
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` rolls back what is in flight and shuts down cleanly; `immediate` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self, *, crash: bool = False, down_for: float = 0.0) -> None:
        """Take the server down (cleanly, or as a crash that recovery must repair), wait, and start it again."""
        self.stop("immediate" if crash else "fast")
        time.sleep(down_for)
        self.start()

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Create, start and finally remove a private cluster; skip the test when PostgreSQL 15 is not installed."""
    for binary in ("initdb", "pg_ctl", "postgres"):
        if not (BINARIES / binary).is_file():
            pytest.skip(f"PostgreSQL binaries not found: {BINARIES / binary} (set BANFA_TEST_PG_BIN)")
    as_user: str | None = None
    if os.geteuid() == 0:  # initdb and postgres refuse root
        if shutil.which("runuser") is None:
            pytest.skip("running as root, and runuser is missing to run PostgreSQL as another user")
        try:
            owner = pwd.getpwnam(OS_USER)
        except KeyError:
            pytest.skip(f"running as root, and there is no OS user {OS_USER!r} to run PostgreSQL as")
        as_user = OS_USER
    folder = Path(tempfile.mkdtemp(prefix="banfa-pg-"))
    if as_user is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    cluster = PrivatePostgres(folder, free_port(), as_user=as_user)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        try:
            if cluster.running():
                cluster.stop("immediate")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
