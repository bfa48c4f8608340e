"""Two separate trees: what the kit finds wrong with the API, and what goes wrong with the kit.

A `Finding` is a statement about the API under test (exit 1). A `KitError` means the kit could not
check the API at all or not completely: bad options, a missing file, a target that is not there or
does not speak the API (exit 2). Neither tree ever reaches the user as a traceback.
"""

from __future__ import annotations


class Finding(AssertionError):
    """The API under test breaks the contract.

    An `AssertionError` so that Schemathesis records one raised by a custom check as a failure.
    """


class ResponseCheckFailure(Finding):
    """A response breaks a rule that holds for every response (envelope, request id, counters)."""


class RuleViolation(Finding):
    """A documented rule of the API answered differently than documented."""


class SeedDisagreement(Finding):
    """The server follows one source document where the sources disagree: a warning, not a failure."""

    def __init__(self, message: str, cites: str) -> None:
        super().__init__(message)
        self.cites = cites


class KitError(Exception):
    """The kit could not do its job. Its message is one sentence meant for the user."""


class UsageError(KitError):
    """Bad options, or a file given on the command line that cannot be used."""


class SpecError(UsageError):
    """The OpenAPI document cannot be read or is not one the kit can test against."""


class FixturesError(UsageError):
    """The fixtures file cannot be read or has the wrong shape."""


class TargetError(KitError):
    """The target cannot be reached, or does not answer like the Batch Calls API."""


class TargetUnreachable(TargetError):
    """Nothing accepts connections at the target's address."""


class TargetNotHttp(TargetError):
    """Something listens at the target's address, but it does not answer HTTP."""


class TargetTimeout(TargetError):
    """The target accepted the connection but did not answer in time."""


class TargetNotApi(TargetError):
    """The target answers HTTP, but not as the Batch Calls API (HTML, 404 at the base path, …)."""


class TargetRejectedKey(TargetError):
    """The target refused the API key given to the kit."""


def internal_error(error: Exception, consequence: str) -> str:
    """The sentence for a bug of the kit (not a problem of the target), and what it cost the run."""
    return f"internal error of the kit ({type(error).__name__}: {error}); {consequence}"
