"""Prefect flows: thin, each task calls one engine service (DESIGN.md, "Prefect").

The drafting flows arrive with the workflow issues; this package exists so the layout and the layer contract
hold from the start.
"""
