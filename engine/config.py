"""Hold Banfa's settings: one pydantic-settings class, read from BANFA_* variables when asked, never at import."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def bundled_rules_dir() -> Path:
    """Find the default rules: the checkout's rules/ beside the package, else the copy shipped inside it.

    An editable install (`make run`, `make test`) reads and writes the repository's own rules/, which people
    review in git; an installed wheel reads the copy packaged as `engine.bundled_rules`.
    """
    checkout = Path(__file__).resolve().parent.parent / "rules"
    if (checkout / "departments.toml").is_file():
        return checkout
    # rules/ has no __init__.py, so the packaged copy is a namespace package: ask for its folder.
    spec = importlib.util.find_spec("engine.bundled_rules")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise RuntimeError("the packaged default rules (engine.bundled_rules) are missing from this install")
    return Path(locations[0])


class Settings(BaseSettings):
    """Banfa's settings. `data_dir` holds the database, generated documents and the outbox."""

    model_config = SettingsConfigDict(env_prefix="BANFA_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Path("var")
    rules_dir: Path | None = None
    demo_contacts: bool = False

    def resolved(self) -> Settings:
        """Return a copy with absolute paths, so that nothing later depends on the current folder."""
        return self.model_copy(
            update={
                "data_dir": self.data_dir.expanduser().resolve(),
                "rules_dir": (self.rules_dir or bundled_rules_dir()).expanduser().resolve(),
            }
        )

    @property
    def rules(self) -> Path:
        return self.rules_dir or bundled_rules_dir()
