"""Documents of the drafting procedure: content (compose, pure), layout (render, python-docx), versions."""
