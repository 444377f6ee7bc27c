"""The portal: server-rendered pages (FastAPI + Jinja2) over the same services as the CLI, in Chinese.

`app.create_app(settings)` builds it; `banfa serve` runs it under uvicorn and `banfa up` starts it with the rest.
Every page and action calls one service; every refusal is the service's (the error groups map to 404, 403,
409 and 422 in `errors.py`). Sessions live in signed cookies (`sessions.py`).
"""
