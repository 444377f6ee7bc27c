"""The reminder use cases: planning in step with each duty, the tick that sends what is due, the mails it
composes and the weekly digest. Import from the submodules: planning, sending, composing, digest.

Services import engine.domain only; they reach the database and the mail server through the ports.
"""
