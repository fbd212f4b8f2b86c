from __future__ import annotations

import errno
import tempfile
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path, PurePath
from typing import Annotated, TypeVar

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from indexer.backends.base import BackendUnavailable, IndexBackend
from indexer.backends.factory import SUPPORTED_SUFFIXES, add_linked, correct_document, ingest_files, validate_field
from indexer.records import Chunk, Document, status_on
from service.access import AccessDep, Caller
from service.api.deps import AdminDep, HolderDep, IndexDep, SettingsDep
from service.lifecycle_notes import References
from service.schemas import (
    ChunkContext,
    ChunkOut,
    DeleteResponse,
    DocumentDetail,
    DocumentPatch,
    DocumentSummary,
    UploadResponse,
)

router = APIRouter(tags=["documents"])
T = TypeVar("T")
IdParam = Annotated[str, PathParam(min_length=1, max_length=300)]


def _summary(doc: Document, n_chunks: int, refs: References) -> DocumentSummary:
    return DocumentSummary(
        doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number, issuer=doc.issuer, date=doc.date,
        kind=doc.kind, source=doc.source, n_chunks=n_chunks, status=status_on(doc).value,
        recorded_status=doc.status, effective_from=doc.effective_from, effective_to=doc.effective_to,
        supersedes=refs.visible(doc.supersedes), superseded_by=refs.visible(doc.superseded_by),
        visibility=doc.visibility,
    )


def _readable(index: IndexBackend, doc_id: str, caller: Caller) -> Document:
    """The document, or a 404 worded the same whether it is missing or not readable by the caller."""
    doc = index.document(doc_id)
    if doc is None or not caller.may_read(doc):
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    return doc


def _chunk_out(chunk: Chunk) -> ChunkOut:
    return ChunkOut(**chunk.to_dict())


@router.get("/v1/documents", response_model=list[DocumentSummary])
def list_documents(index: IndexDep, caller: AccessDep) -> list[DocumentSummary]:
    counts = index.chunk_counts()
    refs = References(index, caller.groups)
    return [_summary(d, counts.get(d.doc_id, 0), refs) for d in index.list_documents() if caller.may_read(d)]


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetail, responses={404: {"description": "unknown id"}})
def get_document(doc_id: IdParam, index: IndexDep, caller: AccessDep) -> DocumentDetail:
    doc = _readable(index, doc_id, caller)
    chunks = index.doc_chunks(doc_id)
    refs = References(index, caller.groups)
    return DocumentDetail(**_summary(doc, len(chunks), refs).model_dump(), text=doc.text,
                          chunks=[_chunk_out(c) for c in chunks])


@router.get("/v1/chunks/{chunk_id}", response_model=ChunkContext, responses={404: {"description": "unknown id"}})
def get_chunk(chunk_id: IdParam, index: IndexDep, caller: AccessDep) -> ChunkContext:
    chunk = index.chunk(chunk_id)
    doc = index.document(chunk.doc_id) if chunk is not None else None
    if chunk is None or doc is None or not caller.may_read(doc):
        raise HTTPException(status_code=404, detail=f"no chunk with id {chunk_id!r}")
    before, after = index.neighbours(chunk_id)
    return ChunkContext(chunk=_chunk_out(chunk), previous=[_chunk_out(c) for c in before],
                        next=[_chunk_out(c) for c in after])


def _upload_name(filename: str | None) -> str:
    """The file name a client sent, without any directory part (Windows or POSIX)."""
    return PurePath((filename or "").replace("\\", "/")).name


def _unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or ``stem (2).ext`` etc. when another file of this upload already has it."""
    taken = set(taken)
    path, number = PurePath(name), 1
    while name in taken:
        number += 1
        name = f"{path.stem} ({number}){path.suffix}"
    return name


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status_code=413, detail=f"{upload.filename}: file larger than {limit:,} bytes")
    return data


async def _written(write: Callable[..., T], *args: object) -> T:
    """Run a write off the event loop; a failed write is a clear 503/507, the served index untouched."""
    try:
        return await run_in_threadpool(write, *args)
    except BackendUnavailable as exc:
        raise HTTPException(status_code=503, detail=f"the index was not changed: {exc}") from None
    except OSError as exc:
        full = exc.errno == errno.ENOSPC
        reason = "no space left on device" if full else (exc.strerror or str(exc))
        raise HTTPException(status_code=507 if full else 503,
                            detail=f"the index was not changed: {reason}; the current index is still served") from None


@router.post(
    "/v1/documents",
    response_model=UploadResponse,
    status_code=201,
    responses={401: {}, 403: {}, 413: {}, 415: {}, 422: {}, 503: {}, 507: {}},
)
async def upload_documents(
    _: AdminDep, holder: HolderDep, settings: SettingsDep, files: Annotated[list[UploadFile], File()],
    visibility: Annotated[str | None, Form(description="comma-separated groups that may read these documents; "
                                                       "omitted = everyone")] = None,
) -> UploadResponse:
    started = time.perf_counter()
    holder.current  # noqa: B018 -- raises IndexUnavailable (503) before any file is parsed
    groups = _groups(visibility)
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        names: dict[str, str] = {}
        for number, upload in enumerate(files):
            name = _unique_name(_upload_name(upload.filename), names.values())
            suffix = PurePath(name).suffix.lower()
            if suffix not in SUPPORTED_SUFFIXES:
                raise HTTPException(
                    status_code=415,
                    detail=f"{name or 'upload'}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            path = Path(tmp) / f"{number:04d}{suffix}"  # the upload's own name may not fit the file system
            path.write_bytes(await _read_limited(upload, settings.max_upload_bytes))
            names[str(path)] = name
        result = await run_in_threadpool(partial(
            ingest_files, list(names), settings, settings.max_upload_bytes, isolated=True, names=names,
            visibility=groups,
        ))
        errors = [f"{e.source}: {e.message}" for e in result.errors]
        if not result.documents:
            raise HTTPException(status_code=422, detail="no document could be read: " + "; ".join(errors))
        # the originals go to the document store (under their upload names), so a rebuild keeps them
        staged = await _written(holder.stage, result, [(Path(p), name) for p, name in names.items()])
    added, _ = await _written(
        holder.update,
        lambda index, writer: add_linked(index, writer, result, staged, settings.index_dir, origin="api"),
    )
    counts = result.chunk_counts()
    refs = References(holder.current, None)
    return UploadResponse(
        added=[_summary(d, counts[d.doc_id], refs) for d in added], errors=errors,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _groups(visibility: str | None) -> list[str] | None:
    if visibility is None or not visibility.strip():
        return None
    try:
        return validate_field("visibility", [g.strip() for g in visibility.split(",") if g.strip()])
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"visibility: {exc}") from None


@router.patch("/v1/documents/{doc_id}", response_model=DocumentSummary, responses={401: {}, 403: {}, 404: {}, 422: {}})
async def correct(doc_id: IdParam, body: DocumentPatch, _: AdminDep, holder: HolderDep,
                  settings: SettingsDep) -> DocumentSummary:
    """Correct lifecycle or visibility fields (admin key); the correction is re-applied on every re-index."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise HTTPException(status_code=422, detail="nothing to change: give at least one field")
    try:
        changes = {name: validate_field(name, value) for name, value in changes.items()}
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    if holder.current.document(doc_id) is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    # kept beside the index and re-applied by every build and rebuild
    corrected = await _written(
        holder.update, lambda index, writer: correct_document(index, doc_id, changes, settings.index_dir))
    index = holder.current
    return _summary(corrected, len(index.doc_chunks(doc_id)), References(index, None))


@router.delete("/v1/documents/{doc_id}", response_model=DeleteResponse,
               responses={401: {}, 403: {}, 404: {}, 503: {}, 507: {}})
async def delete_document(doc_id: IdParam, _: AdminDep, holder: HolderDep) -> DeleteResponse:
    started = time.perf_counter()
    holder.current  # noqa: B018 -- raises IndexUnavailable (503) while no index is served
    # checked on the newest published version, under the writer lock (a CLI add may not be served yet)
    removed = await _written(holder.update, lambda index, writer: writer.remove(index, [doc_id], origin="api"))
    if not removed:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    return DeleteResponse(deleted=doc_id, took_ms=round((time.perf_counter() - started) * 1000, 2))
