"""A moment as the writer says it: "just now", "5 minutes ago", "yesterday at 14:05", "3 Dec at 09:12"."""

from __future__ import annotations

from datetime import datetime

from desktop.models import utc_now


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'} ago"


def friendly_time(moment: datetime, now: datetime | None = None) -> str:
    now = now or utc_now()
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _plural(int(seconds // 60), "minute")
    local, today = moment.astimezone(), now.astimezone()
    clock = local.strftime("%H:%M")
    days = (today.date() - local.date()).days
    if days == 0:
        return _plural(int(seconds // 3600), "hour")
    if days == 1:
        return f"yesterday at {clock}"
    if local.year == today.year:
        return f"{local.day} {local.strftime('%b')} at {clock}"
    return f"{local.day} {local.strftime('%b %Y')} at {clock}"
