"""LocalFolderStorage: the default storage, the local storage folder with file:// URLs and atomic writes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from desktop.config import Settings
from desktop.models import FailureKind
from desktop.storage import LocalFolderStorage, UploadCancelled, build_backend, classify
from tests.support.storage_fixtures import png_bytes

PATH = "writer/story/scene-00-0123456789ab.png"


def test_the_default_settings_give_a_local_storage_folder(tmp_path: Path) -> None:
    storage = build_backend(Settings(data_dir=tmp_path / "data"))
    assert isinstance(storage, LocalFolderStorage)
    assert storage.root == tmp_path / "data" / "library" and storage.name == "local"


@pytest.fixture
def storage(tmp_path: Path) -> LocalFolderStorage:
    backend = LocalFolderStorage(tmp_path / "library")
    backend.ensure_bucket()
    return backend


def test_an_upload_is_a_file_in_the_storage_folder_with_a_file_url(storage: LocalFolderStorage, tmp_path: Path) -> None:
    source = tmp_path / "cache.png"
    source.write_bytes(png_bytes(1))
    seen: list[tuple[int, int]] = []

    assert storage.upload(PATH, source, "image/png", lambda done, total: seen.append((done, total))) == PATH

    url = storage.url_for(PATH)
    stored = Path(url2pathname(urlsplit(url).path))
    assert url.startswith("file://") and stored == storage.root / PATH
    assert stored.read_bytes() == png_bytes(1) and source.exists()
    assert seen[-1] == (len(png_bytes(1)), len(png_bytes(1)))
    assert storage.urls_for([PATH]) == {PATH: url}


def test_uploading_again_replaces_the_file_and_leaves_no_temporary_files(storage: LocalFolderStorage) -> None:
    storage.upload(PATH, png_bytes(2), "image/png")
    storage.upload(PATH, png_bytes(3), "image/png")
    folder = (storage.root / PATH).parent
    assert [entry.name for entry in folder.iterdir()] == [Path(PATH).name]
    assert (storage.root / PATH).read_bytes() == png_bytes(3)


def test_a_stopped_upload_keeps_the_old_file_whole(storage: LocalFolderStorage) -> None:
    storage.upload(PATH, png_bytes(4), "image/png")

    def stop(done: int, total: int) -> None:
        raise UploadCancelled()

    with pytest.raises(UploadCancelled):
        storage.upload(PATH, png_bytes(5, side=400), "image/png", stop)
    folder = (storage.root / PATH).parent
    assert [entry.name for entry in folder.iterdir()] == [Path(PATH).name]
    assert (storage.root / PATH).read_bytes() == png_bytes(4)


def test_list_exists_and_remove(storage: LocalFolderStorage) -> None:
    other = PATH.replace("scene-00", "scene-01")
    storage.upload(PATH, png_bytes(6), "image/png")
    storage.upload(other, png_bytes(7), "image/png")
    assert storage.list("writer/story") == sorted([PATH, other])
    assert storage.list("writer") == [] and storage.list("nobody") == []
    assert storage.exists(PATH)
    storage.remove([PATH, "writer/story/never-there.png"])
    assert not storage.exists(PATH) and storage.exists(other)


@pytest.mark.parametrize("bad", ["", "a/../b.png", "./a.png", "a//b.png", "a/.hidden.png"])
def test_paths_that_could_escape_the_storage_folder_are_refused(storage: LocalFolderStorage, bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        storage.upload(bad, png_bytes(8), "image/png")
    assert classify(caught.value).kind is FailureKind.invalid_path


def test_a_missing_image_file_is_named(storage: LocalFolderStorage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        storage.upload(PATH, tmp_path / "gone.png", "image/png")
    failure = classify(caught.value)
    assert failure.kind is FailureKind.file_missing and "gone.png" in failure.message
    assert not (storage.root / PATH).exists()
