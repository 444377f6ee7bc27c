"""Banfa's use cases, one function each: entrypoints and flows call these. Services import engine.domain only,
and reach databases, files, mail and Prefect through the ports they are given (engine.domain.ports.Ports).

Services take their ports as keyword-only arguments and return small frozen values or ids. They live in
submodules by subject (intake, documents, notices, workflow, machine, views, board, pages, accounts,
reminders/); import the submodule you need. This package imports nothing itself, so that a verb that only
reads (status, tasks) does not pay for the notice parser or the drafting code.
"""
