"""Build the adapters Banfa runs on from its settings: the registry, the calendar, the catalogue paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.catalogue import load_calendar, load_registry
from engine.config import Settings
from engine.departments import Registry
from engine.workdays import WorkCalendar


@dataclass(frozen=True)
class Rules:
    """The data people edit, loaded once per command."""

    directory: Path
    registry: Registry
    calendar: WorkCalendar

    def catalogue_path(self, notice_id: str) -> Path:
        return self.directory / "notices" / f"{notice_id}.toml"

    def catalogue_paths(self) -> list[Path]:
        return sorted((self.directory / "notices").glob("*.toml"))


def load_rules(settings: Settings) -> Rules:
    directory = settings.rules
    return Rules(
        directory, load_registry(directory, demo_contacts=settings.demo_contacts), load_calendar(directory)
    )
