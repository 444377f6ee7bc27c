"""Reminders as values: the policy, the planner (a duty to dated reminder rows) and what a mail says.

Pure; imports engine.domain.workflow and engine.errors. Sending is engine.services.reminders.
"""
