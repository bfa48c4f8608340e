"""A stateful, spec-driven sandbox of the Truedy Batch Calls API."""

from mock_server import native

__version__ = "0.1.0"

native.install()  # the request path compiled, when its build matches the sources (mock_server/native.py)
