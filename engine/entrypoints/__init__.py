"""Entrypoints: the only code that reads the clock or the settings, and maps errors to exit codes or statuses.

cli/ (Typer + Rich), scheduler (APScheduler), demo (the 2007 replay), prefect/ (the local server and
Banfa's worker). They import bootstrap, config, services and adapters; nothing imports them but `__main__`.
"""
