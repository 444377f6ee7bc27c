"""The pure core: the procedure, its values and its rules, with no I/O, no clock and no framework.

Everything here takes `now` and `today` as arguments and imports only the standard library, small pure
libraries (chinesecalendar, pypinyin, defusedxml) and `engine.errors`. The Protocols that adapters implement
are in `ports`.
"""
