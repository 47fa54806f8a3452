"""The writer's search text as a prefix full-text query over the stories' `search` column."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def prefix_tsquery(text: str) -> str | None:
    """'dragon lib' -> 'dragon:* & lib:*'; None when there is nothing to search for.

    Only word characters pass, so nothing the writer types can break the query syntax.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return None
    return " & ".join(f"{word}:*" for word in words[:12])
