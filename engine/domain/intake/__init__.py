"""Reading a notice: text to `Notice` to `DutySpec`, and the reviewed catalogue as plain data.

Pure; imports only engine.domain (departments, workdays, textform) and engine.errors.
"""
