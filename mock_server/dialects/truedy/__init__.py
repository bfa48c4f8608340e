"""Truedy public API v1: Bearer keys, {data, meta} envelopes, ErrorResponse and HTTPValidationError."""
