"""`--state-file`: the SQLite journal that lets the sandbox survive `kill -9` and resume."""

from mock_server.persistence.middleware import JournalMiddleware, Persistence, StateFileMismatch

__all__ = ["JournalMiddleware", "Persistence", "StateFileMismatch"]
