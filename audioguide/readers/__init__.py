"""Readers: a document's text (plain, Markdown, reStructuredText or HTML) as headings and block text.

Each format has a module with one `parse_*` function returning `Parsed`; `article.py` cuts what
they find into sections. The block-text convention they share is described in `blocks.py`.
"""
