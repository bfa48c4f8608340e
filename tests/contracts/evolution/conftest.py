"""The `changes` fixture: compare two small documents (tests/diff/documents.py builds them)."""

from diff.documents import changes

__all__ = ["changes"]
