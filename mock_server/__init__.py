"""A stateful, spec-driven sandbox of the Truedy Batch Calls API."""

__version__ = "0.1.0"
