"""Uploads streamed to disk: who may upload is settled before the body is read, and the body never sits in
memory whole.

Every route that takes a file reads it through :func:`receive_upload`, which, in this order:

1. finds the session (a cookie and one lookup; no body read) and refuses anyone who may not take ``action``;
2. checks the API token header, when the route takes one, and that the body is a multipart form;
3. refuses a Content-Length beyond TOTALPLACE_MAX_IMPORT_BYTES (plus a little for the form's other fields)
   with a coded 413 before reading a byte of the body;
4. feeds the body, chunk by chunk as the server receives it, to python-multipart's streaming parser, writing
   each file to a private folder under the place's ``data/uploads`` and stopping with 413 as soon as the
   running size passes the limit, whatever Content-Length said (or when it was absent);
5. checks the form's CSRF token as soon as it arrives (before any file, in this app's forms), and in any case
   before the route does anything with the files; the folder is deleted when the route is done.

The importers are then handed paths, never the bytes.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from fastapi import APIRouter, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from totalplace import settings
from totalplace.errors import RequestTooLargeError, UploadFormError
from totalplace.governance.roles import Principal
from totalplace.place import Place
from totalplace.web.session import check_csrf, current_principal

# Room for the form's other fields and the multipart framing around the file(s).
FORM_ALLOWANCE = 1024 * 1024
MAX_PARTS = 32
MAX_FIELD_BYTES = 64 * 1024
UPLOADS_DIR = "uploads"
# Paths of the routes that stream uploads: the body-size guard lets them through up to the import limit.
UPLOAD_PATHS: set[str] = set()

Route = TypeVar("Route", bound=Callable[..., Any])


def upload_route(router: APIRouter, path: str) -> Callable[[Route], Route]:
    """Register a POST route that reads its body with :func:`receive_upload` (and only so)."""
    UPLOAD_PATHS.add(path)
    return router.post(path)


def upload_limit() -> int:
    """The largest file accepted (TOTALPLACE_MAX_IMPORT_BYTES)."""
    return settings.get_int("max_import_bytes")


def body_limit() -> int:
    """The largest upload request body: the file limit and room for the rest of the form."""
    return upload_limit() + FORM_ALLOWANCE


def too_large(limit: int, what: str = "the upload") -> RequestTooLargeError:
    """The coded 413 for a body past ``limit``."""
    return RequestTooLargeError(
        f"{what} is larger than {limit:,} bytes, so it was refused without being read further",
        hint="split the file, or ask the administrator to raise TOTALPLACE_MAX_IMPORT_BYTES",
    )


@dataclass(frozen=True)
class UploadedFile:
    """One file of the form, on disk: ``filename`` as the browser named it, ``path`` where it now is."""

    field: str
    filename: str
    path: Path
    size: int


@dataclass
class UploadForm:
    """The form once received: who sent it, its text fields and its files (on disk until the route ends)."""

    principal: Principal
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def text(self, name: str, default: str = "") -> str:
        """A text field, or ``default`` when the form has none."""
        return self.fields.get(name, default)

    def required(self, name: str) -> str:
        """A text field the form must have."""
        if name not in self.fields:
            raise UploadFormError(f"the form has no field {name!r}", hint="send it with the upload")
        return self.fields[name]

    def file(self, name: str) -> UploadedFile:
        """A file the form must have."""
        found = self.optional_file(name)
        if found is None:
            raise UploadFormError(f"the form has no file {name!r}", hint="choose a file to upload")
        return found

    def optional_file(self, name: str) -> UploadedFile | None:
        """A file the form may have (an empty file input sends no file)."""
        return self.files.get(name)


def _safe_name(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._ ()-]", "_", base).strip(" .")
    return cleaned[:120] or "upload"


class _Receiver:
    """python-multipart callbacks that write file parts to disk and keep text fields, with every limit."""

    def __init__(self, form: UploadForm, work: Path, limit: int, charset: str) -> None:
        self.form, self.work, self.limit, self.charset = form, work, limit, charset
        self.parts = 0
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""
        self.name = ""
        self.value = bytearray()
        self.handle: IO[bytes] | None = None
        self.upload: UploadedFile | None = None
        self.written = 0

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": lambda d, s, e: self.header_name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self.header_value.extend(d[s:e]),
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadFormError(f"the form has more than {MAX_PARTS} parts")
        self.disposition, self.value, self.written = b"", bytearray(), 0

    def on_header_end(self) -> None:
        if bytes(self.header_name).strip().lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if b"name" not in options:
            raise UploadFormError("a part of the form has no name")
        self.name = options[b"name"].decode(self.charset, "replace")
        if b"filename" in options:
            filename = options[b"filename"].decode(self.charset, "replace")
            folder = self.work / str(self.parts)
            folder.mkdir()
            path = folder / _safe_name(filename)
            self.handle = path.open("xb")
            self.upload = UploadedFile(self.name, filename.replace("\\", "/").rsplit("/", 1)[-1], path, 0)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.written += end - start
        if self.handle is None:
            if self.written > MAX_FIELD_BYTES:
                raise UploadFormError(
                    f"the form field {self.name!r} is longer than {MAX_FIELD_BYTES:,} bytes"
                )
            self.value.extend(data[start:end])
            return
        if self.written > self.limit:
            raise too_large(self.limit, f"the file {self.upload.filename if self.upload else ''!r}")
        self.handle.write(data[start:end])

    def on_part_end(self) -> None:
        if self.handle is not None and self.upload is not None:
            self.handle.close()
            self.handle = None
            if self.upload.filename or self.written:  # an empty file input sends an empty, unnamed part
                self.form.files[self.name] = UploadedFile(
                    self.name, self.upload.filename, self.upload.path, self.written
                )
            self.upload = None
        else:
            self.form.fields[self.name] = self.value.decode(self.charset, "replace")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _boundary(request: Request) -> tuple[bytes, str]:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadFormError(
            "an upload must be sent as a multipart form (multipart/form-data with a boundary)",
            hint="post the form from the page, or send the file with curl -F file=@NAME",
        )
    charset = options.get(b"charset", b"utf-8").decode("latin-1")
    return options[b"boundary"], charset if charset.lower() in ("utf-8", "utf8", "latin-1") else "utf-8"


def _declared_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise UploadFormError(f"Content-Length {raw[:40]!r} is not a number")
    return int(raw)


async def _stream_body(request: Request, receiver: _Receiver, boundary: bytes, csrf: str) -> None:
    parser = MultipartParser(boundary, receiver.callbacks())  # type: ignore[arg-type]
    received, limit, checked = 0, body_limit(), csrf == "header"
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            parser.write(chunk)
            if not checked and "csrf_token" in receiver.form.fields:
                check_csrf(
                    request, receiver.form.fields["csrf_token"]
                )  # before reading the file, in our forms
                checked = True
        parser.finalize()
    except FormParserError as exc:
        raise UploadFormError(f"the upload is not a well-formed multipart form: {exc}") from None
    finally:
        receiver.close()
    if not checked:
        check_csrf(request, receiver.form.fields.get("csrf_token"))


@asynccontextmanager
async def receive_upload(
    request: Request, action: str, *, csrf: Literal["form", "header"] = "form"
) -> AsyncIterator[UploadForm]:
    """The upload form of a request by someone allowed ``action``, its files on disk for the ``with`` block.

    ``csrf="form"`` takes the token from the form's ``csrf_token`` field; ``"header"`` from X-CSRF-Token,
    checked before the body is read.
    """
    principal = await run_in_threadpool(current_principal, request)
    principal.require_any(action)  # the early check; the import decides on the partner it names
    if csrf == "header":
        check_csrf(request, request.headers.get("x-csrf-token"))
    boundary, charset = _boundary(request)
    declared = _declared_length(request)
    if declared is not None and declared > body_limit():
        raise too_large(upload_limit())
    place: Place = request.app.state.place
    root = place.dir / "data" / UPLOADS_DIR
    root.mkdir(parents=True, exist_ok=True)
    form = UploadForm(principal)
    work = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    try:
        await _stream_body(request, _Receiver(form, work, upload_limit(), charset), boundary, csrf)
        yield form
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sweep_stale_uploads(place: Place, older_than_seconds: int = 24 * 3600) -> int:
    """Delete upload folders left by a server that stopped mid-request (run when the app starts)."""
    root = place.dir / "data" / UPLOADS_DIR
    if not root.is_dir():
        return 0
    cutoff, removed = time.time() - older_than_seconds, 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
