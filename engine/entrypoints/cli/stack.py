"""Say which of Banfa's parts `banfa up` starts on this machine, and refuse settings the parts cannot share.

All four parts on one machine is the embedded default. Started apart (`--role`), each machine reaches the same
Banfa database and document store, so both must live in PostgreSQL; parts without the Prefect server find it at
BANFA_PREFECT_API_URL; and a Prefect server that listens beyond loopback must have an auth string.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from engine.config import Settings
from engine.entrypoints.prefect.local import is_loopback
from engine.errors import PlacementRefused


class Part(enum.StrEnum):
    SERVER = "server"
    WORKER = "worker"
    SCHEDULER = "scheduler"
    PORTAL = "portal"


ALL = frozenset(Part)
NAMES = {Part.SERVER: "Prefect 服务", Part.WORKER: "工作进程", Part.SCHEDULER: "调度器", Part.PORTAL: "门户"}


def named(parts: frozenset[Part]) -> str:
    return "、".join(NAMES[p] for p in Part if p in parts)


def refuse_misplaced(settings: Settings, parts: frozenset[Part]) -> None:
    """Raise PlacementRefused when these parts cannot run here, apart from the others, with these settings."""
    what = named(parts)
    if parts != ALL and parts - {Part.SERVER}:
        if settings.document_store == "file":
            raise PlacementRefused(
                what, "其他部分在别的机器或进程组运行时，文稿须存入数据库：请设置 BANFA_DOCUMENT_STORE=sql"
            )
        url = settings.database_url.get_secret_value() if settings.database_url else "sqlite://"
        if sa.make_url(url).get_backend_name() != "postgresql":
            raise PlacementRefused(
                what,
                "其他部分在别的机器或进程组运行时，须共用一个 PostgreSQL 数据库：请设置 BANFA_DATABASE_URL",
            )
    if Part.SERVER not in parts and settings.prefect_api_url is None:
        raise PlacementRefused(
            what, "本机不运行 Prefect 服务：请设置 BANFA_PREFECT_API_URL，如 http://10.0.0.1:4200/api"
        )
    if (
        Part.SERVER in parts
        and not is_loopback(settings.prefect_host)
        and settings.prefect_auth_string is None
    ):
        raise PlacementRefused(
            what,
            f"Prefect 服务监听 {settings.prefect_host}，超出本机回环地址，"
            "须设置 BANFA_PREFECT_AUTH_STRING（用户名:口令）保护其接口",
        )
    if Part.WORKER in parts and settings.workers < 1:
        raise PlacementRefused(what, f"工作进程数须至少为 1：{settings.workers}")
