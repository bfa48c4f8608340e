"""Test-only code, kept out of the production path: the deliberate defects (loaded only when
`serve --defect` names one), and for clients' own test suites `journal.RequestJournal`,
`client_sandbox.ClientSandbox` with its `webhook_receiver`, and the pytest plugin that hands one
out as the `batchcalls_sandbox` fixture; for the project's benchmarks and tests, `asgi_exchange`
(one request through an app in process, as a server runs it)."""
