"""Truedy's documented rules (openapi.json, the seeds, BEHAVIOR.md), one module per theme.

Every module here is the profile's (`rule_modules` names the package): a new module needs no other
edit. `support` holds what the scenarios share.
"""
