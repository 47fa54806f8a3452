"""How often, and after how long, a transient failure is tried again: a text or image service's 429 or 5xx, an
upload's timeout. One rule for both; each keeps its own numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries in all; the pause after try n is first_delay·2^(n−1), capped at `max_delay`, and drawn
    at random from its upper `jitter` part, so clients that failed together do not all come back at once."""

    attempts: int
    first_delay: float
    max_delay: float
    jitter: float = 0.5
    max_retry_after: float = 60.0  # a server asking to wait longer (Retry-After) is given up on instead

    def may_retry(self, attempts: int) -> bool:
        """After `attempts` tries."""
        return attempts < self.attempts

    def delay(self, attempts: int) -> float:
        """The pause after `attempts` tries."""
        cap = min(self.max_delay, self.first_delay * 2 ** max(0, attempts - 1))
        return random.uniform(cap * (1 - self.jitter), cap)
