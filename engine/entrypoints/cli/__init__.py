"""The `banfa` command line: `app` owns the Typer app, each other module registers one group of verbs on it,
and `main` loads them all and runs it. Every verb parses input, calls one service and maps errors to exit
codes.
"""
