"""Contract evolution: which changes between two OpenAPI documents break clients, from the documents
and from recorded traffic (`batchcalls-contract diff OLD NEW [--traffic FILE.har]`).

Works on any OpenAPI 3.0 or 3.1 document, JSON or YAML, files or URLs; imports nothing of the
sandbox and, of the kit, only its error tree, `spec.HTTP_METHODS`, `exchange.parse_json` and `har`.

- `source`, `parse`, `document`   bounded reading: bytes of a file or URL, JSON/YAML, `$ref`s
- `facts`, `rules`, `walk`        what a schema allows (3.0 and 3.1 alike); the rule table; shared state
- `operations`, `schemas`, `security`, `compare`   the comparison
- `json_schema`, `validation`, `traffic`           the replay of recorded traffic
- `result`, `formats/`, `lines`, `command`         the verdict, the outputs, the subcommand
"""
