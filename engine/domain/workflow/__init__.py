"""The drafting duty as a state machine: `Duty`, its states and transition table, milestones, consultation,
people and their permissions, and the machine work each stage calls for.

Pure; imports engine.domain.intake and engine.domain.drafting (the history documents word) and engine.errors.
"""
