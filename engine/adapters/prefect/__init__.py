"""Prefect as the Dispatcher port: dispatch a duty's machine work to the deployment and find lost runs.

Imports engine.domain and Prefect; only bootstrap loads it, and only when a Prefect server is configured.
"""
