"""The documents of the procedure as plain content: compose (duty and history to content), numbering, the
text of an uploaded draft, and the versions a store keeps.

Pure; the layout to Word is the render adapter (engine.adapters.drafting.render), the only importer of
python-docx.
"""
