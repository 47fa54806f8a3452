"""An exception in a writer's words: what failed and what to do. The exception itself stays for the details."""

from __future__ import annotations

import errno
import re

from desktop.logs import SECRET_MASK

_RAW = re.compile(r"^\s*(\[Errno\s*-?\d+\]|\w+(Error|Exception)\b|invalid DSN|Traceback)")
UNEXPECTED = "Something unexpected went wrong inside Storyforge — try again; if it happens again, copy the details."


def plain_words(error: BaseException) -> str:
    """The message our code wrote for the writer is kept; anything else gets a sentence chosen by its kind."""
    text = SECRET_MASK.mask(str(error).strip())
    module = type(error).__module__
    ours = module.startswith("desktop.") or (module == "builtins" and text[:1].isupper())
    if ours and text and not looks_raw(text) and not isinstance(error, OSError):
        return text
    if isinstance(error, OSError):
        return _os_words(error)
    if isinstance(error, MemoryError):
        return "The computer ran out of memory — close other programs, then try again."
    name = type(error).__name__
    if "Timeout" in name:
        return _os_words(TimeoutError())
    if "Connect" in name:
        return _os_words(ConnectionError())
    return UNEXPECTED


def words_without_the_file(error: OSError) -> str:
    """`plain_words` for a failed write whose caller names the place itself: an export writes a temporary file
    first, and that file's name means nothing to the writer."""
    return plain_words(OSError(error.errno, error.strerror)) if error.errno else plain_words(error)


def looks_raw(text: str) -> bool:
    """Text written for a programmer: "[Errno 2] …", "ValueError: …", "invalid DSN: …"."""
    return bool(_RAW.match(text))


def _os_words(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    if isinstance(error, TimeoutError) or error.errno == errno.ETIMEDOUT:
        return "It took too long and was given up — check your network or the server, then try again."
    if isinstance(error, ConnectionError) or error.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
        return "Could not connect — check that the server is running and its address is right, then try again."
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full{where} — free some space, then try again."
    if error.errno == errno.ENOENT:
        return f"A file or folder Storyforge needs is missing{where} — it may have been moved or deleted."
    if error.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return (
            f"A file stands where Storyforge needs a folder, or a folder where it needs a file{where} — move it away."
        )
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"Storyforge is not allowed to use a file or folder{where} — check its permissions."
    if error.errno == errno.EROFS:
        return f"A file or folder is on a read-only disk{where} — choose a writable place."
    reason = (error.strerror or "an error from the system").rstrip(".")
    return f"The system refused: {reason.lower()}{where} — try again; if it happens again, copy the details."
