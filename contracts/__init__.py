"""The contract kit: checks that a server implements the Truedy Batch Calls API as documented, or
Zudu's batch-call API (seed 004) when given `--spec openapi.zudu.json`.

`batchcalls-contract run --base-url URL --api-key KEY` from a shell, `contracts.runner.run(KitConfig(...))`
from Python, or the `contract_*` fixtures of the pytest plugin (`contracts.pytest_plugin`).

Layers (each imports only those above it in this list, and never `mock_server`, except
`inprocess`, which starts the sandbox for tests and the pytest plugin):

- `errors`        two trees: `Finding` (about the API under test) and `KitError` (the kit's own)
- `exchange`, `config`, `results`, `spec`, `curl`   values: one request and its answer, what to run,
                  what was found, the contract (with its documented error codes), reproductions
- `har`, `evolution/`  HAR 1.2 files; `diff OLD NEW`: two OpenAPI documents compared, traffic replayed
- `checks`        `ResponseCheck`, the checks of every API, their Schemathesis registration
- `target`, `client`, `ledger`            the server: probing, the recording client, created resources
- `rules`         the rules suite: `@rule`, `RuleContext`, running rules (which API: none of its business)
- `dialects/`     one `KitDialect` profile per API, in its own folder with its checks and rules:
                  every per-API fact and behaviour; `fixtures`: the ids the profiles' rules need
- `fuzz`          the schema and stateful suites (Schemathesis 4's engine)
- `runner`        one run: probe, plan, suites, cleanup
- `proxy/`        the validation proxy: forwards traffic unchanged, checks every exchange
- `report/`       console summary, JUnit XML, Markdown and HTML
- `cli`, `pytest_plugin`, `inprocess`     the entry points
"""

from __future__ import annotations

__version__ = "0.1.0"
