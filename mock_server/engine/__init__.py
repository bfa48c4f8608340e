"""The spec-driven engine: reads an OpenAPI document once and serves any dialect from it."""
