"""Prefect flows, and nothing else: thin, each task calls one engine service (DESIGN.md, "Prefect").

The deployment's entrypoint is `flows.drafting:advance_duty`. Banfa's worker, which runs it, lives in
engine.entrypoints.prefect and loads this package by that string, as Prefect does.
"""
