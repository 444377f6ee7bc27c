"""Where the tests find the repository's files and, when present, ../shared."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
SEED = ROOT / "documents" / "notices" / "shenfuban-2007-129.txt"
SHARED = ROOT.parent / "shared"
