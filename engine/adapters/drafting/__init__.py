"""Documents as files: `render` lays content out as a GB/T 9704 Word file (the only importer of python-docx),
`file_store` keeps versions in a folder. Imports engine.domain.
"""
