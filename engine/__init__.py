"""Banfa (办法): a workflow engine for drafting the implementation rules a division-of-labour notice assigns.

One floor per layer (DESIGN.md, "Layout"): `domain` (pure), `services` (use cases) and `adapters` (databases,
files, mail, Prefect) beside each other, `bootstrap` wiring them from `config`, and `entrypoints` (CLI,
scheduler, demo, Prefect plumbing) on top. `errors` holds the one error tree every layer raises from.
"""
