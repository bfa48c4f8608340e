"""Test-only code, kept out of the production path: loaded only when `serve --defect` names one."""
