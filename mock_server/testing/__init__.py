"""Test-only code, kept out of the production path: the deliberate defects (loaded only when
`serve --defect` names one) and `journal.RequestJournal`, for clients' own test suites."""
