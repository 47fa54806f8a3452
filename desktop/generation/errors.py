"""What can go wrong while writing or painting, in words a writer can act on. No message ever holds a key."""

from __future__ import annotations


class ProviderError(Exception):
    """A text or image service failed. `retryable` says whether trying again later may help."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class KeyRejected(ProviderError):
    """401/403: the key is wrong, expired or lacks access."""


class ModelNotFound(ProviderError):
    """The service has no model of the configured name."""


class RateLimited(ProviderError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message, retryable=True)
        self.retry_after = retry_after


class ServiceFailed(ProviderError):
    """A 5xx answer: the service itself broke; trying again often helps."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, retryable=True)
        self.status = status


class ProviderTimeout(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class ProviderUnreachable(ProviderError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class BadResponse(ProviderError):
    """The service answered, but not with something Storyforge can use."""


class SceneParseError(BadResponse):
    """The text service's answer held no scene that could be read."""


class ImageRejected(BadResponse):
    """The image bytes failed the checks (type, decoding, size)."""


class ImageFolderError(Exception):
    """The image could not be written into the image folder."""

    def __init__(self, message: str, disk_full: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.disk_full = disk_full

    def __str__(self) -> str:
        return self.message


def scrub(text: str, *secrets: str) -> str:
    """`text` with every secret value replaced, for messages that quote a server's own words."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text
