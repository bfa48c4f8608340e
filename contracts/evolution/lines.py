"""The line of a JSON pointer in a document's text, for annotations on NEW.

The text is composed (not constructed) by the YAML reader, which reads JSON too and keeps each
node's line; a pointer that names nothing any more (something removed) gets its nearest parent's.
Used only for `--format github`, on a document already read within its bounds.
"""

from __future__ import annotations

import yaml


class LineIndex:
    def __init__(self, source: bytes) -> None:
        self._source = source
        self._root: yaml.Node | None = None
        self._failed = False

    def line(self, pointer: str) -> int | None:
        """1-based line of the value at `pointer` ('' or '/a/b'), or of its nearest existing parent."""
        root = self._compose()
        if root is None:
            return None
        node = root
        for token in (
            [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []
        ):
            child = _child(node, token)
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1

    def _compose(self) -> yaml.Node | None:
        if self._root is None and not self._failed:
            try:
                self._root = yaml.compose(self._source.decode("utf-8-sig"), Loader=yaml.CSafeLoader)
            except (yaml.YAMLError, UnicodeDecodeError):
                self._failed = True
        return self._root


def _child(node: yaml.Node, token: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return value  # type: ignore[no-any-return]
    elif isinstance(node, yaml.SequenceNode) and token.isdigit() and int(token) < len(node.value):
        return node.value[int(token)]  # type: ignore[no-any-return]
    return None
