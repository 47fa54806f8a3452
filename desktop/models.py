"""The shared vocabulary: stories, scenes, uploads and their states. Imports nothing of the project but the bible's
model (desktop/bible.py), which is vocabulary too."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from desktop.bible import Bible

TITLE_MAX = 200
PROMPT_MAX = 8_000
EXTRA_MAX = 2_000
SCENES_MAX = 50


def utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
Prompt = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PROMPT_MAX)]
Extra = Annotated[str, StringConstraints(strip_whitespace=True, max_length=EXTRA_MAX)]
SceneCount = Annotated[int, Field(ge=1, le=SCENES_MAX)]

_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")


def is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def printable(text: str) -> str:
    """`text` safe for one line of a terminal: control characters (escape sequences too) written as \\xNN."""
    return "".join(repr(char)[1:-1] if is_control(char) else char for char in text)


def _refuse_controls(value: str, *, keep: str = "") -> str:
    bad = next((char for char in value if is_control(char) and char not in keep), None)
    if bad is not None:
        message = "Has a control character ({char}) — type it again without it."
        raise PydanticCustomError("control_character", message, {"char": printable(bad)})
    return value


class StoryStatus(StrEnum):
    generating = "generating"
    complete = "complete"
    partial = "partial"
    failed = "failed"
    cancelled = "cancelled"
    interrupted = "interrupted"

    @property
    def is_running(self) -> bool:
        return self is StoryStatus.generating

    @property
    def can_resume(self) -> bool:
        return self in (StoryStatus.interrupted, StoryStatus.cancelled, StoryStatus.partial, StoryStatus.failed)


class ImageStatus(StrEnum):
    pending = "pending"
    painting = "painting"
    painted = "painted"
    failed = "failed"


class UploadStatus(StrEnum):
    queued = "queued"
    uploading = "uploading"
    uploaded = "uploaded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def is_pending(self) -> bool:
        return self in (UploadStatus.queued, UploadStatus.uploading)

    @property
    def can_retry(self) -> bool:
        return self in (UploadStatus.failed, UploadStatus.cancelled)

    @property
    def can_cancel(self) -> bool:
        return self in (UploadStatus.queued, UploadStatus.failed)


class FailureKind(StrEnum):
    """Why an upload failed; the first group heals by itself, the rest waits for the writer."""

    timeout = "timeout"
    connection = "connection"
    server_error = "server_error"
    rate_limited = "rate_limited"
    key_rejected = "key_rejected"
    access_refused = "access_refused"
    bucket_missing = "bucket_missing"
    too_large = "too_large"
    type_refused = "type_refused"
    invalid_path = "invalid_path"
    file_missing = "file_missing"
    disk_full = "disk_full"
    not_configured = "not_configured"
    unknown = "unknown"

    @property
    def is_transient(self) -> bool:
        return self in (
            FailureKind.timeout,
            FailureKind.connection,
            FailureKind.server_error,
            FailureKind.rate_limited,
        )


class StoryRequest(BaseModel):
    """What the writer asks for; validated before anything is stored."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    title: Title
    prompt: Prompt
    scene_count: SceneCount = 6
    style: Extra = ""
    characters: Extra = ""
    # The story's bible, when the writer or a script gives one; None: drafted from the prompt.
    bible: Bible | None = None

    @field_validator("title", "style", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        # A title is one line wherever it is shown: a pasted line break or tab becomes a space.
        return _refuse_controls(_LINE_BREAKS.sub(" ", value)) if isinstance(value, str) else value

    @field_validator("prompt", "characters", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return _refuse_controls(value, keep="\t\n\r") if isinstance(value, str) else value


class Timestamped(BaseModel):
    """Rows carry both timestamps; a model without them does not validate."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    created_at: UtcDatetime
    updated_at: UtcDatetime

    def changed(self, **changes: Any) -> Self:
        """A copy with `changes` applied, validated, and `updated_at` moved to now."""
        data = self.model_dump()
        data.update(changes)
        data["updated_at"] = max(utc_now(), self.updated_at)
        return self.__class__.model_validate(data)


def _timestamps() -> dict[str, datetime]:
    now = utc_now()
    return {"created_at": now, "updated_at": now}


class Story(Timestamped):
    id: uuid.UUID
    user_id: uuid.UUID
    title: Title
    prompt: Prompt
    scene_count: SceneCount
    style: Extra = ""
    characters: Extra = ""
    status: StoryStatus = StoryStatus.generating
    text_provider: str = ""
    image_provider: str = ""
    error: str = ""
    deleted_at: UtcDatetime | None = None  # in the trash since then (migration 011); None: in the library
    bible: Bible = Field(default_factory=Bible)  # migration 013
    # The provider settings it was started with (config.provider_settings; migration 015): regenerating and
    # continuing it use them. {} for stories from before, which follow the settings.
    made_with: dict[str, str] = Field(default_factory=dict)

    @field_validator("bible", "made_with", mode="before")
    @classmethod
    def _from_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @classmethod
    def create(cls, request: StoryRequest, user_id: uuid.UUID, **fields: Any) -> Story:
        given = request.model_dump(exclude={"bible"})
        return cls(id=uuid.uuid4(), user_id=user_id, **{**given, **fields}, **_timestamps())

    def as_request(self) -> StoryRequest:
        """What the New story form asked for (the window finds its pending request by it); the bible is the story's
        own from then on, and not part of it."""
        return StoryRequest(
            title=self.title,
            prompt=self.prompt,
            scene_count=self.scene_count,
            style=self.style,
            characters=self.characters,
        )

    @property
    def byline(self) -> str:
        """Who wrote and painted it, as the story's header and its exports say: "Written by …, painted by …"."""
        writer, painter = provider_words(self.text_provider), provider_words(self.image_provider)
        if not writer:
            return ""
        return f"Written by {writer}" + (f", painted by {painter}" if painter and painter != writer else "")


def provider_words(label: str) -> str:
    """A provider's label as a sentence names it: "Offline generator" → "the offline generator"."""
    if label.lower().startswith("offline"):
        return "the offline generator"
    return label


class StorySummary(BaseModel):
    """One row of the library: enough to list a story without loading its scenes."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: uuid.UUID
    title: str
    status: StoryStatus
    scene_count: int
    scenes_written: int
    created_at: UtcDatetime
    updated_at: UtcDatetime
    # The story's uploads that are not stored where they were sent (any storage): failed ones, and all of them.
    uploads_failed: int = 0
    images_not_stored: int = 0
    # A search's first matching scene (its index); None when no search, or only the title or prompt matched.
    matched_scene: int | None = None


def _json_object(value: Any) -> Any:
    """A jsonb column as asyncpg hands it over (text) becomes the object it holds."""
    return json.loads(value) if isinstance(value, str) else value


class ImageRecord(BaseModel):
    """How a picture was made (migration 014): what "What was asked…" shows, and what "Repaint with the same seed"
    asks again. Empty for pictures painted before Storyforge kept it."""

    model_config = ConfigDict(frozen=True)

    provider: str = ""  # the painter's label ("Automatic1111 at 127.0.0.1:7860")
    model: str = ""  # its model or checkpoint, where it says
    seed: int | None = None  # None: the painter takes no seed
    width: int = 0
    height: int = 0
    prompt: str = ""  # as sent
    style: str = ""  # the bible's style then
    references: list[str] = Field(default_factory=list)  # the characters whose portraits were sent with it

    @property
    def empty(self) -> bool:
        return not self.provider


class Scene(Timestamped):
    id: uuid.UUID
    story_id: uuid.UUID
    index: int = Field(ge=0, lt=SCENES_MAX)
    title: str = Field(max_length=TITLE_MAX)
    text: str
    image_prompt: str = ""
    image_status: ImageStatus = ImageStatus.pending
    image_path: str = ""
    image_error: str = ""
    edited_at: UtcDatetime | None = None  # the writer's last change to the text; None while it is generated
    # Moved by the database on each change of the title or text (migration 007): an edit names the one it started from.
    revision: int = Field(default=0, ge=0)
    # The title and image prompt its image was painted from (None: no image yet; migration 009).
    painted_title: str | None = None
    painted_prompt: str | None = None
    # The version it shows now (migration 011): every change to its words or picture is a SceneVersion.
    version_id: uuid.UUID | None = None
    # In the trash since then; `index` is then the place it had, and goes back to on Restore.
    deleted_at: UtcDatetime | None = None
    asked_image: str = ""  # the image prompt its picture was painted from, as sent (migration 013)
    image_made: ImageRecord = Field(default_factory=ImageRecord)  # how its picture was made (migration 014)

    _image_record = field_validator("image_made", mode="before")(_json_object)

    @classmethod
    def create(cls, story_id: uuid.UUID, index: int, title: str, text: str, image_prompt: str = "") -> Scene:
        return cls(
            id=uuid.uuid4(),
            story_id=story_id,
            index=index,
            title=title,
            text=text,
            image_prompt=image_prompt,
            **_timestamps(),
        )

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def image_outdated(self) -> bool:
        """Its image shows an earlier version of the scene: the title or image prompt changed since it was painted
        (after Regenerate text, or a new title, which is the image's caption)."""
        if not self.image_path or self.painted_title is None:
            return False
        return (self.painted_title, self.painted_prompt) != (self.title, self.image_prompt)


class VersionMaker(StrEnum):
    """What made a version of a scene, as its History says."""

    written = "written"  # by the text provider (a new scene, or Regenerate text)
    edited = "edited"  # by the writer's hand
    painted = "painted"  # a new image, by the image provider
    restored = "restored"  # a copy of an earlier version, from the History view
    blank = "blank"  # an inserted scene, for the writer to write by hand
    candidate = "candidate"  # a picture painted by "More images", not shown until the writer picks it
    picked = "picked"  # the candidate the writer picked, shown


class SceneVersion(BaseModel):
    """One version of a scene: what it said and showed, and what made it (migration 011)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: uuid.UUID
    scene_id: uuid.UUID
    story_id: uuid.UUID
    number: int = Field(ge=1)
    made_by: VersionMaker
    maker: str = ""  # the provider's label; for a restore, the number of the version restored
    title: str
    text: str
    image_prompt: str = ""
    image_path: str = ""
    painted_title: str | None = None
    painted_prompt: str | None = None
    edited_at: UtcDatetime | None = None
    asked_image: str = ""
    image_made: ImageRecord = Field(default_factory=ImageRecord)
    created_at: UtcDatetime

    _image_record = field_validator("image_made", mode="before")(_json_object)

    @property
    def what_made_it(self) -> str:
        """ "edited", "written by the offline generator", "painted by OpenAI dall-e-3", "restored from version 2"."""
        match self.made_by:
            case VersionMaker.restored:
                return f"restored from version {self.maker}" if self.maker else "restored"
            case VersionMaker.candidate:
                who = provider_words(self.maker)
                return f"a candidate picture by {who}" if who else "a candidate picture"
            case VersionMaker.picked:
                return f"picked from the candidates (version {self.maker})" if self.maker else "picked"
            case VersionMaker.blank:
                return "inserted blank"
            case VersionMaker.edited:
                return "edited"
        who = provider_words(self.maker)
        return f"{self.made_by.value} by {who}" if who else self.made_by.value


class TrashedStory(BaseModel):
    """A story in the trash, as the Trash view lists it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: uuid.UUID
    title: str
    scenes: int
    deleted_at: UtcDatetime


class TrashedScene(BaseModel):
    """A scene in the trash, with the story it belongs to (which is not itself in the trash)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: uuid.UUID
    story_id: uuid.UUID
    story_title: str
    index: int  # the place it had, and goes back to
    title: str
    deleted_at: UtcDatetime

    @property
    def number(self) -> int:
        return self.index + 1


class ChangeKind(StrEnum):
    """What an undoable change did (migration 011's `story_changes.kind`)."""

    scene = "scene"  # a scene shows another version: edited, rewritten, repainted, restored
    delete_scene = "delete_scene"
    insert_scene = "insert_scene"
    move = "move"
    rename = "rename"


class StoryChange(BaseModel):
    """One entry of a story's undo history: what to put back (`before`) and what to put again (`after`)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    number: int
    story_id: uuid.UUID
    kind: ChangeKind
    scene_id: uuid.UUID | None = None
    before: dict[str, Any]
    after: dict[str, Any]
    undone: bool = False
    created_at: UtcDatetime


class Upload(Timestamped):
    """An outbox row: one scene image on its way to storage."""

    id: uuid.UUID
    story_id: uuid.UUID
    scene_id: uuid.UUID
    scene_index: int = Field(ge=0)
    local_path: str
    object_path: str
    content_type: str
    backend: str
    status: UploadStatus = UploadStatus.queued
    attempts: int = Field(default=0, ge=0)
    error_kind: FailureKind | None = None
    error_message: str = ""
    next_attempt_at: UtcDatetime | None = None
    url: str = ""
    url_expires_at: UtcDatetime | None = None  # None: the link never expires (public, file://) or there is none
    stored_at: UtcDatetime | None = None  # the object is in storage; only its link may still be missing
    # Objects of the scene's earlier images on this storage: the job removes them once this image is stored.
    replaced_paths: tuple[str, ...] = ()
    # The computer and data folder whose image folder holds the file (Settings.device): only it sends the row, since
    # another computer sharing the database cannot read the file. "" (older rows): anyone.
    device: str = ""

    @field_validator("object_path")
    @classmethod
    def _no_dot_segments(cls, value: str) -> str:
        if not value or any(part in ("", ".", "..") for part in value.split("/")):
            raise ValueError(f"invalid object path {value!r}")
        return value

    @classmethod
    def create(
        cls,
        *,
        story_id: uuid.UUID,
        scene_id: uuid.UUID,
        scene_index: int,
        local_path: str,
        object_path: str,
        content_type: str,
        backend: str,
        device: str = "",
    ) -> Upload:
        return cls(
            id=uuid.uuid4(),
            story_id=story_id,
            scene_id=scene_id,
            scene_index=scene_index,
            local_path=local_path,
            object_path=object_path,
            content_type=content_type,
            backend=backend,
            device=device,
            **_timestamps(),
        )
