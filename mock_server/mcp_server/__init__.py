"""The sandbox as an MCP server: its tools and resources for a coding assistant.

Every tool is a client of the sandbox's HTTP interface (the control API, the public APIs), so what
an assistant may do is exactly what the same credentials may do over HTTP. Two transports:
`batchcalls-mock mcp` (stdio, `command.py`) and `/_mock/mcp` on a running sandbox (`endpoint.py`).
"""
