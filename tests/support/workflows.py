"""Build a real workflow (database, document store, templates, rules) for service and reliability tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from engine.adapters.sql.migrate import migrate
from engine.bootstrap import Workflow, load_rules, open_workflow
from engine.config import Settings
from engine.domain.intake.specs import Catalogue
from engine.services.accounts import add_user
from engine.services.notices import ingest_notice

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE = (
    "sfb2007-129-02-02-1-caizheng"  # 市财政局 leads; 市贸工局 is co-department, coordinator and consultee
)


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


def settings_for(database_url: str, data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=SecretStr(database_url), demo_contacts=True).resolved()


def seed_catalogue(settings: Settings) -> Catalogue:
    return next(c for c in load_rules(settings).catalogues() if c.notice.id == "sfb2007-129")


def workflow_with_people(database_url: str, data_dir: Path) -> tuple[Workflow, Settings]:
    """A migrated database with the seed ingested and one account per role the tests act as."""
    settings = settings_for(database_url, data_dir)
    workflow = open_workflow(settings)
    migrate(workflow.db_engine)
    ports = workflow.ports
    add_user("admin", "管理员", "maogong", ("admin",), now=at("2007-09-01"), ports=ports)
    add_user("office", "统筹协调员", "maogong", ("coordinator",), now=at("2007-09-01"), ports=ports)
    add_user("zhang", "张承办", "caizheng", ("officer",), now=at("2007-09-01"), ports=ports)
    add_user("wang", "王承办", "gongan", ("officer",), now=at("2007-09-01"), ports=ports)
    add_user("li", "李联络", "maogong", ("consultee",), now=at("2007-09-01"), ports=ports)
    add_user("zhao", "赵联络", "renshi", ("consultee",), now=at("2007-09-01"), ports=ports)
    add_user("fa", "法制办审核员", "fazhiban", ("reviewer",), now=at("2007-09-01"), ports=ports)
    ingest_notice(seed_catalogue(settings), actor="admin", now=at("2007-09-11", 9), ports=ports)
    return workflow, settings
