"""A wire-level Supabase Storage API on loopback: the endpoints storage3 calls, the real server's error shapes
(shared/reference/FACTS.md), objects in memory, and faults to inject.

Run it in a thread with `StorageServer().start()`, or as its own process (`python -m tests.support.storage_server`
prints `{"url": …}` and serves until stdin closes) when the client's process must not share its GIL.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import math
import random
import secrets
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

PREFIX = "/storage/v1/"
# Which requests a fault meets: uploads of an object, signing links, the bucket's check or creation ("bucket"), its
# creation only, or any.
Target = Literal["upload", "sign", "bucket", "create_bucket", "any"]


@dataclass(frozen=True)
class Fault:
    """What the server does to a request instead of (or before) answering it."""

    kind: Literal["status", "drop", "stall"]
    status: int = 503
    html: bool = False
    seconds: float = 0.0
    store_first: bool = False

    @classmethod
    def server_error(cls, status: int = 503, *, html: bool = False) -> Fault:
        return cls("status", status=status, html=html)

    @classmethod
    def rate_limited(cls) -> Fault:
        return cls("status", status=429)

    @classmethod
    def drop(cls) -> Fault:
        """Read the request, then close the connection without a word."""
        return cls("drop")

    @classmethod
    def stall(cls, seconds: float = math.inf, *, store_first: bool = False) -> Fault:
        """Answer after `seconds` (or when released); `store_first` keeps the object before the wait."""
        return cls("stall", seconds=seconds, store_first=store_first)


@dataclass
class StoredObject:
    data: bytes
    content_type: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = field(default_factory=lambda: _now())


@dataclass
class Bucket:
    id: str
    public: bool = False
    file_size_limit: int | None = None
    allowed_mime_types: list[str] | None = None
    created_at: str = field(default_factory=lambda: _now())

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.id,
            "owner": "",
            "public": self.public,
            "type": "STANDARD",
            "file_size_limit": self.file_size_limit,
            "allowed_mime_types": self.allowed_mime_types,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ApiError(Exception):
    """An answer in the real server's shape: HTTP 400 (unless said otherwise) with the status in the body."""

    def __init__(self, status: str, error: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.body = {"statusCode": status, "error": error, "message": message}
        self.http_status = http_status


BUCKET_NOT_FOUND = ApiError("404", "Bucket not found", "Bucket not found")
OBJECT_NOT_FOUND = ApiError("404", "not_found", "Object not found")
DUPLICATE = ApiError("409", "Duplicate", "The resource already exists")
BAD_SIGNATURE = ApiError("403", "Unauthorized", "signature verification failed")
NOT_A_JWT = ApiError("403", "Unauthorized", "Invalid Compact JWS")
RLS_REFUSED = ApiError("403", "Unauthorized", "new row violates row-level security policy")
TOO_LARGE = ApiError("413", "Payload too large", "The object exceeded the maximum allowed size")


class StorageServer:
    """State and faults; every field is read and written under `lock` by the handler threads."""

    def __init__(self, key: str = "", *, buckets: list[Bucket] | None = None) -> None:
        self.key = key or f"test-service-key.{secrets.token_hex(8)}.{secrets.token_hex(8)}"
        self.lock = threading.Lock()
        self.buckets: dict[str, Bucket] = {bucket.id: bucket for bucket in buckets or []}
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.writes: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.size_limit: int | None = None
        self.allowed_mime_types: list[str] | None = None
        self.refuse_bucket_creation = False
        self.stalled = 0
        self._faults: list[tuple[str, Fault]] = []
        self._random_faults: list[tuple[str, Fault, float]] = []
        self.faulted: Counter[str] = Counter()  # faults met, by target ("upload", "sign", "bucket", …)
        self._random = random.Random(0)
        self._released = threading.Event()
        self._signing_secret = secrets.token_bytes(16)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.storage = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StorageServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="storage-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StorageServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # Faults -------------------------------------------------------------------------------------------------

    def inject(self, fault: Fault, *, times: int = 1, on: Target = "upload") -> None:
        """The next `times` matching requests meet `fault`; later ones are answered normally."""
        with self.lock:
            self._faults.extend([(on, fault)] * times)

    def inject_randomly(self, fault: Fault, *, rate: float, on: Target, seed: int = 0) -> None:
        """From now on each matching request meets `fault` with probability `rate` (seeded: the same run twice
        meets the same faults in the same order of requests)."""
        with self.lock:
            self._random = random.Random(seed)
            self._random_faults.append((on, fault, rate))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._random_faults.clear()

    def release(self) -> None:
        """End every stall now and let later stalls pass at once."""
        self._released.set()

    def _take_fault(self, target: str) -> Fault | None:
        with self.lock:
            for index, (on, fault) in enumerate(self._faults):
                if _meets(on, target):
                    del self._faults[index]
                    self.faulted[target] += 1
                    return fault
            for on, fault, rate in self._random_faults:
                if _meets(on, target) and self._random.random() < rate:
                    self.faulted[target] += 1
                    return fault
        return None

    def wait_stall(self, seconds: float) -> None:
        with self.lock:
            self.stalled += 1
        try:
            self._released.wait(None if math.isinf(seconds) else seconds)
        finally:
            with self.lock:
                self.stalled -= 1

    # Helpers for tests --------------------------------------------------------------------------------------

    def object_keys(self, bucket: str) -> set[str]:
        with self.lock:
            return {key for (bucket_id, key) in self.objects if bucket_id == bucket}

    def object_data(self, bucket: str, key: str) -> bytes:
        with self.lock:
            return self.objects[(bucket, key)].data

    def sign(self, bucket: str, key: str, expires_in: int) -> str:
        payload = json.dumps({"url": f"{bucket}/{key}", "exp": int(time.time()) + expires_in}).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        mac = hmac.new(self._signing_secret, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def check_token(self, bucket: str, key: str, token: str) -> None:
        body, _, mac = token.partition(".")
        expected = hmac.new(self._signing_secret, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            raise ApiError("400", "InvalidJWT", "invalid signature")
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if payload["url"] != f"{bucket}/{key}":
            raise ApiError("400", "InvalidSignature", "The url do not match the signature")
        if payload["exp"] < time.time():
            raise ApiError("400", "InvalidJWT", '"exp" claim timestamp check failed')


def _target(method: str, parts: list[str]) -> str:
    if method == "POST" and parts[:2] == ["object", "sign"]:
        return "sign"
    if parts[0] == "bucket":
        return "create_bucket" if method == "POST" and not any(parts[1:]) else "bucket"
    return "other"


def _meets(on: str, target: str) -> bool:
    return on in ("any", target) or (on == "bucket" and target == "create_bucket")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    storage: StorageServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-answer is the point of some tests, not news


@dataclass
class _Request:
    method: str
    parts: list[str]
    query: dict[str, list[str]]
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise ConnectionAbortedError("the client went away mid-request")
        return body

    def _serve(self) -> None:
        storage = self.server.storage
        split = urlsplit(self.path)
        try:
            body = self._read_body()
        except (ConnectionError, ValueError):
            self.close_connection = True  # an upload cut short is not stored, as on the real server
            return
        if not split.path.startswith(PREFIX):
            self._answer(404, {"message": "not found"})
            return
        parts = [unquote(part) for part in split.path[len(PREFIX) :].split("/")]
        request = _Request(self.command, parts, parse_qs(split.query), self.headers, body)
        with storage.lock:
            storage.requests.append((self.command, split.path))
        is_upload = (
            self.command in ("POST", "PUT")
            and len(parts) >= 3
            and parts[0] == "object"
            and (parts[1] not in ("list", "sign", "move", "copy", "info", "upload", "public", "authenticated"))
        )
        fault = storage._take_fault("upload" if is_upload else _target(self.command, parts))
        try:
            if fault is not None and fault.kind == "drop":
                self.close_connection = True
                return
            if fault is not None and fault.kind == "status":
                self._fault_status(fault)
                return
            if fault is not None and fault.kind == "stall" and not fault.store_first:
                storage.wait_stall(fault.seconds)
            status, payload = _route(storage, request)
            if fault is not None and fault.kind == "stall" and fault.store_first:
                storage.wait_stall(fault.seconds)
        except ApiError as exc:
            status, payload = exc.http_status, exc.body
        try:
            self._answer(status, payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _fault_status(self, fault: Fault) -> None:
        if fault.html:
            self._answer(fault.status, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif fault.status == 429:
            self._answer(429, {"statusCode": "429", "error": "too_many_requests", "message": "Too many requests"})
        else:
            body = {"statusCode": str(fault.status), "error": "internal", "message": "Internal Server Error"}
            self._answer(fault.status, body)

    def _answer(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        if isinstance(payload, StoredObject):
            payload, content_type = payload.data, payload.content_type
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        self.wfile.write(head + (b"" if self.command == "HEAD" else data))


def _authorised(storage: StorageServer, request: _Request) -> None:
    bearer = request.headers.get("Authorization", "")
    token = bearer.removeprefix("Bearer ").strip()
    if hmac.compare_digest(token, storage.key):
        return
    raise BAD_SIGNATURE if token.count(".") == 2 else NOT_A_JWT


def _route(storage: StorageServer, request: _Request) -> tuple[int, Any]:
    head, method, parts = request.parts[0], request.method, request.parts
    if head == "bucket":
        _authorised(storage, request)
        return _buckets(storage, request)
    if head != "object" or len(parts) < 2:
        raise ApiError("404", "not_found", "Route not found")
    kind = parts[1]
    if kind == "public" and method in ("GET", "HEAD"):
        return _public_download(storage, parts[2], "/".join(parts[3:]))
    if kind == "sign" and method == "GET":
        token = request.query.get("token", [""])[0]
        storage.check_token(parts[2], "/".join(parts[3:]), token)
        return _download(storage, parts[2], "/".join(parts[3:]))
    if kind in ("authenticated",) or (method in ("GET", "HEAD") and kind not in ("info", "list", "sign")):
        bucket, key = (parts[2], "/".join(parts[3:])) if kind == "authenticated" else (parts[1], "/".join(parts[2:]))
        try:
            _authorised(storage, request)
        except ApiError:
            raise BUCKET_NOT_FOUND from None  # what the real server says to a wrong key on download
        return _download(storage, bucket, key)
    _authorised(storage, request)
    if kind == "info":
        return _info(storage, parts[2], "/".join(parts[3:]))
    if kind == "list":
        return _list(storage, parts[2], request.json())
    if kind == "sign":
        return _sign(storage, parts[2], "/".join(parts[3:]), request.json())
    if method == "DELETE":
        return _remove(storage, parts[1], request.json().get("prefixes", []))
    if method in ("POST", "PUT"):
        return _upload(storage, parts[1], "/".join(parts[2:]), request)
    raise ApiError("404", "not_found", "Route not found")


def _buckets(storage: StorageServer, request: _Request) -> tuple[int, Any]:
    method, rest = request.method, [part for part in request.parts[1:] if part]
    with storage.lock:
        if method == "GET" and not rest:
            return 200, [bucket.as_json() for bucket in storage.buckets.values()]
        if method == "GET":
            bucket = storage.buckets.get(rest[0])
            if bucket is None:
                raise BUCKET_NOT_FOUND
            return 200, bucket.as_json()
        if method == "POST" and not rest:
            body = request.json()
            if storage.refuse_bucket_creation:
                raise RLS_REFUSED
            if body["id"] in storage.buckets:
                raise DUPLICATE
            storage.buckets[body["id"]] = Bucket(
                body["id"],
                public=bool(body.get("public", False)),
                file_size_limit=body.get("file_size_limit"),
                allowed_mime_types=body.get("allowed_mime_types"),
            )
            return 200, {"name": body["id"]}
        bucket = storage.buckets.get(rest[0]) if rest else None
        if bucket is None:
            raise BUCKET_NOT_FOUND
        if method == "PUT":
            body = request.json()
            bucket.public = bool(body.get("public", bucket.public))
            return 200, {"message": "Successfully updated"}
        if method == "POST" and rest[1:] == ["empty"]:
            for object_key in [k for k in storage.objects if k[0] == bucket.id]:
                del storage.objects[object_key]
            return 200, {"message": "Successfully emptied"}
        if method == "DELETE":
            if any(k[0] == bucket.id for k in storage.objects):
                raise ApiError("409", "InvalidRequest", "The bucket you tried to delete is not empty")
            del storage.buckets[bucket.id]
            return 200, {"message": "Successfully deleted"}
    raise ApiError("404", "not_found", "Route not found")


def _parse_upload(request: _Request) -> tuple[bytes, str]:
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data"):
        return request.body, content_type or "application/octet-stream"
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    for part in request.body.split(b"--" + boundary):
        head, separator, data = part.partition(b"\r\n\r\n")
        if not separator or b'name="file"' not in head:
            continue
        part_type = "application/octet-stream"
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-type":
                part_type = value.strip()
        return data.removesuffix(b"\r\n"), part_type
    raise ApiError("400", "InvalidRequest", "No file in the request")


def _upload(storage: StorageServer, bucket_id: str, key: str, request: _Request) -> tuple[int, Any]:
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise ApiError("400", "InvalidKey", f"Invalid key: {key}")
    data, content_type = _parse_upload(request)
    upsert = request.method == "PUT" or request.headers.get("x-upsert", "false").lower() == "true"
    with storage.lock:
        bucket = storage.buckets.get(bucket_id)
        if bucket is None:
            raise BUCKET_NOT_FOUND
        limits = [limit for limit in (storage.size_limit, bucket.file_size_limit) if limit is not None]
        if limits and len(data) > min(limits):
            raise TOO_LARGE
        allowed = bucket.allowed_mime_types or storage.allowed_mime_types
        if allowed and content_type.split(";")[0] not in allowed:
            raise ApiError("415", "invalid_mime_type", f"mime type {content_type} is not supported")
        existing = storage.objects.get((bucket_id, key))
        if existing is not None and not upsert:
            raise DUPLICATE
        stored = StoredObject(data, content_type)
        if existing is not None:
            stored.id, stored.created_at = existing.id, existing.created_at
        storage.objects[(bucket_id, key)] = stored
        storage.writes[f"{bucket_id}/{key}"] += 1
        return 200, {"Key": f"{bucket_id}/{key}", "Id": stored.id}


def _object(storage: StorageServer, bucket_id: str, key: str) -> StoredObject:
    with storage.lock:
        if bucket_id not in storage.buckets:
            raise BUCKET_NOT_FOUND
        found = storage.objects.get((bucket_id, key))
    if found is None:
        raise OBJECT_NOT_FOUND
    return found


def _download(storage: StorageServer, bucket_id: str, key: str) -> tuple[int, Any]:
    return 200, _object(storage, bucket_id, key)


def _public_download(storage: StorageServer, bucket_id: str, key: str) -> tuple[int, Any]:
    with storage.lock:
        bucket = storage.buckets.get(bucket_id)
    if bucket is None or not bucket.public:
        raise BUCKET_NOT_FOUND
    return _download(storage, bucket_id, key)


def _info(storage: StorageServer, bucket_id: str, key: str) -> tuple[int, Any]:
    found = _object(storage, bucket_id, key)
    return 200, {
        "id": found.id,
        "name": key,
        "bucket_id": bucket_id,
        "size": len(found.data),
        "content_type": found.content_type,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
    }


def _sign(storage: StorageServer, bucket_id: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
    expires_in = int(body.get("expiresIn", 60))
    if not key:
        paths = body.get("paths", [])
        answers = []
        for path in paths:
            try:
                _object(storage, bucket_id, path)
            except ApiError:
                answers.append(
                    {
                        "error": "Either the object does not exist or you do not have access to it",
                        "path": path,
                        "signedURL": None,
                    }
                )
                continue
            token = storage.sign(bucket_id, path, expires_in)
            answers.append(
                {"error": None, "path": path, "signedURL": f"/object/sign/{bucket_id}/{quote(path)}?token={token}"}
            )
        return 200, answers
    _object(storage, bucket_id, key)
    token = storage.sign(bucket_id, key, expires_in)
    return 200, {"signedURL": f"/object/sign/{bucket_id}/{quote(key)}?token={token}"}


def _list(storage: StorageServer, bucket_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    prefix = str(body.get("prefix", "")).strip("/")
    search = str(body.get("search", ""))
    with storage.lock:
        if bucket_id not in storage.buckets:
            return 200, []
        entries: dict[str, dict[str, Any]] = {}
        for (bucket, key), stored in storage.objects.items():
            if bucket != bucket_id or (prefix and not key.startswith(prefix + "/")):
                continue
            rest = key[len(prefix) + 1 :] if prefix else key
            name, slash, _ = rest.partition("/")
            if slash:
                entries.setdefault(
                    name,
                    {
                        "name": name,
                        "id": None,
                        "updated_at": None,
                        "created_at": None,
                        "last_accessed_at": None,
                        "metadata": None,
                    },
                )
            else:
                entries[name] = {
                    "name": name,
                    "id": stored.id,
                    "updated_at": stored.updated_at,
                    "created_at": stored.created_at,
                    "last_accessed_at": stored.updated_at,
                    "metadata": {"size": len(stored.data), "mimetype": stored.content_type},
                }
    names = sorted(name for name in entries if search in name)
    offset, limit = int(body.get("offset", 0)), int(body.get("limit", 100))
    return 200, [entries[name] for name in names[offset : offset + limit]]


def _remove(storage: StorageServer, bucket_id: str, prefixes: list[str]) -> tuple[int, Any]:
    removed = []
    with storage.lock:
        for key in prefixes:
            stored = storage.objects.pop((bucket_id, key), None)
            if stored is not None:
                removed.append({"name": key, "bucket_id": bucket_id, "id": stored.id})
    return 200, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a loopback Supabase Storage API for tests and benchmarks")
    parser.add_argument("--key", default="")
    parser.add_argument("--bucket", action="append", default=[], help="a bucket that exists from the start")
    args = parser.parse_args(argv)
    server = StorageServer(args.key, buckets=[Bucket(name) for name in args.bucket]).start()
    print(json.dumps({"url": server.url}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or goes away)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
