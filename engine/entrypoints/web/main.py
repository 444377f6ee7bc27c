"""The portal as uvicorn loads it in each worker process: `engine.entrypoints.web.main:app` (a factory), with
the settings from the BANFA_* variables that `banfa serve` exported."""

from __future__ import annotations

from fastapi import FastAPI

from engine.config import Settings
from engine.entrypoints.web.app import create_app


def app() -> FastAPI:
    return create_app(Settings())
