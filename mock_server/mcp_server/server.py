"""The MCP server (the SDK's low-level `Server`): the control API's operations, `call_api`,
`explain_error_code` and `run_contract_kit` as tools; the OpenAPI documents and the spec notes as
resources. Every tool call is a request to the sandbox with the caller's credentials."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import mcp_types as types
import orjson
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError

from mock_server import __version__
from mock_server.engine.spec import compile_schema
from mock_server.mcp_server import api_tool, kit_tool
from mock_server.mcp_server.catalogue import ControlTool, control_tools
from mock_server.mcp_server.documents import Documents, spec_notes
from mock_server.mcp_server.explain import explain
from mock_server.mcp_server.kit_tool import ContractKit
from mock_server.mcp_server.sandbox_client import Credentials, SandboxClient, ToolFailure, failure_of

Context = ServerRequestContext[Any]
Run = Callable[[Credentials, Mapping[str, Any]], Awaitable[Any]]

EXPLAIN_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "code": {
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]{0,63}$",
            "description": "An error code as answered, e.g. invalid_state or no_contacts.",
        }
    },
    "required": ["code"],
    "additionalProperties": False,
}
EXPLAIN_DESCRIPTION = (
    "What an error code means: the statuses each API's OpenAPI document (`x-error-codes`) lists it "
    "under, the documented rules that name it, an example answer, and the spec notes about it."
)
# resource URI -> (document name, media type, description)
RESOURCES = {
    "batchcalls://openapi.json": ("truedy", "application/json", "Truedy's Batch Calls API (OpenAPI 3.1)"),
    "batchcalls://openapi.zudu.json": ("zudu", "application/json", "Zudu's batch-call API (OpenAPI 3.1)"),
    "batchcalls://openapi.control.json": (
        "control",
        "application/json",
        "The sandbox's control API (/_mock)",
    ),
    "batchcalls://spec-notes.md": (
        "notes",
        "text/markdown",
        "Where the vendor's pages disagree, and the decisions",
    ),
}


@dataclass(frozen=True, slots=True)
class Tool:
    listed: types.Tool
    validator: Any  # the compiled input schema
    run: Run


def _annotations(method: str) -> types.ToolAnnotations:
    return types.ToolAnnotations(
        read_only_hint=method == "GET", idempotent_hint=method in ("GET", "PUT", "DELETE")
    )


def _result(payload: Any) -> types.CallToolResult:
    if isinstance(payload, str):  # a report as Markdown or HTML
        return types.CallToolResult(content=[types.TextContent(text=payload)])
    structured = payload if isinstance(payload, dict) else {"data": payload}
    text = orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured)


def _error(failure: ToolFailure) -> types.CallToolResult:
    structured = {
        "error": {"code": failure.code, "message": failure.message},
        "status": failure.status,
        "answer": failure.body,
    }
    return types.CallToolResult(
        is_error=True,
        content=[types.TextContent(text=f"{failure.code}: {failure.message}")],
        structured_content=structured,
    )


class Toolbox:
    """Every tool and resource of one MCP server, over one sandbox."""

    def __init__(self, sandbox: SandboxClient, control_document: Mapping[str, Any], kit: ContractKit) -> None:
        self.sandbox = sandbox
        self.documents = Documents(sandbox)
        self.kit = kit
        self.tools: dict[str, Tool] = {}
        for operation in control_tools(control_document):
            self._add(
                operation.name,
                operation.description,
                operation.input_schema,
                _annotations(operation.method),
                self._control(operation),
            )
        self._add(api_tool.NAME, api_tool.DESCRIPTION, api_tool.INPUT_SCHEMA, None, self._call_api)
        self._add(
            "explain_error_code", EXPLAIN_DESCRIPTION, EXPLAIN_SCHEMA, _annotations("GET"), self._explain
        )
        self._add(
            kit_tool.NAME,
            kit_tool.DESCRIPTION,
            kit_tool.INPUT_SCHEMA,
            None,
            lambda _credentials, arguments: self.kit.run(arguments),
        )

    def _add(
        self,
        name: str,
        description: str,
        schema: Mapping[str, Any],
        annotations: types.ToolAnnotations | None,
        run: Run,
    ) -> None:
        listed = types.Tool(
            name=name, description=description, input_schema=dict(schema), annotations=annotations
        )
        self.tools[name] = Tool(listed, compile_schema(schema), run)

    def _control(self, operation: ControlTool) -> Run:
        async def run(credentials: Credentials, arguments: Mapping[str, Any]) -> Any:
            path = operation.path
            query: dict[str, Any] = {}
            for name, where in operation.locations.items():
                if where == "path":
                    path = path.replace("{" + name + "}", quote(str(arguments[name]), safe=""))
                elif name in arguments:
                    query[name] = arguments[name]
            answer = await self.sandbox.send(
                credentials.naming(arguments),
                operation.method,
                path,
                query=query,
                body=arguments.get("body"),
                has_body="body" in arguments,
            )
            if answer.status >= 400:
                raise failure_of(answer)
            if not answer.content:
                return {"status": answer.status}
            return answer.json() if answer.is_json else answer.content.decode("utf-8", "replace")

        return run

    async def _call_api(self, credentials: Credentials, arguments: Mapping[str, Any]) -> Any:
        return await api_tool.call_api(self.sandbox, credentials, arguments)

    async def _explain(self, credentials: Credentials, arguments: Mapping[str, Any]) -> Any:
        return explain(str(arguments["code"]), await self.documents.served(credentials), spec_notes())

    async def call(
        self, name: str, arguments: Mapping[str, Any], credentials: Credentials
    ) -> types.CallToolResult:
        tool = self.tools.get(name)
        if tool is None:
            raise MCPError(types.INVALID_PARAMS, f"no tool named '{name}': list the tools")
        try:
            problems = [
                f"{'.'.join(map(str, e.instance_path)) or 'arguments'}: {e.message}"
                for e in tool.validator.iter_errors(dict(arguments))
            ]
        except (ValueError, RecursionError):  # the validator's recursion limit: no tool's input nests
            problems = ["arguments: they nest too deeply (no tool's input nests)"]
        if problems:
            return _error(ToolFailure("invalid_arguments", "; ".join(problems[:10])))
        try:
            return _result(await tool.run(credentials, arguments))
        except ToolFailure as failure:
            return _error(failure)

    async def read(self, uri: str, credentials: Credentials) -> types.ReadResourceResult:
        if uri not in RESOURCES:
            raise MCPError(types.INVALID_PARAMS, f"no resource at {uri}: list the resources")
        name, media_type, _ = RESOURCES[uri]
        try:
            text = (
                spec_notes() if name == "notes" else (await self.documents.source(name, credentials)).decode()
            )
        except ToolFailure as failure:
            raise MCPError(types.INVALID_PARAMS, f"{uri}: {failure.message}") from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=media_type, text=text)]
        )


def forwarded_credentials(ctx: Context) -> Credentials:
    """Over HTTP: the credentials (and Host and Origin) the MCP request came with."""
    request: Any = ctx.request
    return Credentials.forwarded(request.headers if request is not None else {})


def build_server(
    toolbox: Toolbox, credentials_of: Callable[[Context], Credentials], instructions: str
) -> Server[Any]:
    """The SDK's server over `toolbox`; `credentials_of` says who each request acts as."""

    async def list_tools(ctx: Context, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool.listed for tool in toolbox.tools.values()])

    async def call_tool(ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await toolbox.call(params.name, params.arguments or {}, credentials_of(ctx))

    async def list_resources(
        ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=uri, name=uri.removeprefix("batchcalls://"), mime_type=media, description=text
                )
                for uri, (_, media, text) in RESOURCES.items()
            ]
        )

    async def read_resource(
        ctx: Context, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await toolbox.read(str(params.uri), credentials_of(ctx))

    return Server(
        "batchcalls-sandbox",
        version=__version__,
        instructions=instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
