"""Build the adapters Banfa runs on from its settings: the registry, the calendar, the catalogue paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.catalogue import load_calendar, load_catalogue, load_registry
from engine.config import Settings
from engine.departments import Registry
from engine.drafting.render import Renderer, renderer
from engine.drafting.wording import JinjaWording, wording
from engine.duties import Catalogue
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

    def catalogues(self) -> list[Catalogue]:
        """Load and validate every committed catalogue."""
        return [load_catalogue(p, self.registry, self.calendar) for p in self.catalogue_paths()]


@dataclass(frozen=True)
class Templates:
    """The Word templates and the document wording, parsed once per process."""

    directory: Path
    wording: JinjaWording
    renderer: Renderer


def load_templates(settings: Settings) -> Templates:
    directory = settings.templates
    return Templates(directory, wording(directory / "text"), renderer(directory))


def load_rules(settings: Settings) -> Rules:
    directory = settings.rules
    return Rules(
        directory, load_registry(directory, demo_contacts=settings.demo_contacts), load_calendar(directory)
    )
