from __future__ import annotations

import tempfile
import time
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from indexer.backends.base import IndexBackend
from indexer.backends.factory import SUPPORTED_SUFFIXES, ingest_files
from indexer.records import Chunk, Document, status_on
from service.api.deps import AdminDep, HolderDep, IndexDep, SettingsDep
from service.schemas import ChunkContext, ChunkOut, DeleteResponse, DocumentDetail, DocumentSummary, UploadResponse

router = APIRouter(tags=["documents"])
IdParam = Annotated[str, PathParam(min_length=1, max_length=300)]


def _summary(doc: Document, n_chunks: int) -> DocumentSummary:
    return DocumentSummary(
        doc_id=doc.doc_id, title=doc.title, doc_number=doc.doc_number, issuer=doc.issuer, date=doc.date,
        kind=doc.kind, source=doc.source, n_chunks=n_chunks, status=status_on(doc).value,
        effective_from=doc.effective_from, effective_to=doc.effective_to, visibility=list(doc.visibility),
    )


def _chunk_out(chunk: Chunk) -> ChunkOut:
    return ChunkOut(**chunk.to_dict())


@router.get("/v1/documents", response_model=list[DocumentSummary])
def list_documents(index: IndexDep) -> list[DocumentSummary]:
    counts = index.chunk_counts()
    return [_summary(d, counts.get(d.doc_id, 0)) for d in index.list_documents()]


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetail, responses={404: {"description": "unknown id"}})
def get_document(doc_id: IdParam, index: IndexDep) -> DocumentDetail:
    doc = index.document(doc_id)
    if doc is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    chunks = index.doc_chunks(doc_id)
    return DocumentDetail(**_summary(doc, len(chunks)).model_dump(), text=doc.text,
                          chunks=[_chunk_out(c) for c in chunks])


@router.get("/v1/chunks/{chunk_id}", response_model=ChunkContext, responses={404: {"description": "unknown id"}})
def get_chunk(chunk_id: IdParam, index: IndexDep) -> ChunkContext:
    chunk = index.chunk(chunk_id)
    if chunk is None:
        raise HTTPException(status_code=404, detail=f"no chunk with id {chunk_id!r}")
    before, after = index.neighbours(chunk_id)
    return ChunkContext(chunk=_chunk_out(chunk), previous=[_chunk_out(c) for c in before],
                        next=[_chunk_out(c) for c in after])


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status_code=413, detail=f"{upload.filename}: file larger than {limit:,} bytes")
    return data


@router.post(
    "/v1/documents",
    response_model=UploadResponse,
    status_code=201,
    responses={401: {}, 403: {}, 413: {}, 415: {}, 422: {}},
)
async def upload_documents(
    _: AdminDep, holder: HolderDep, settings: SettingsDep, files: Annotated[list[UploadFile], File()]
) -> UploadResponse:
    started = time.perf_counter()
    holder.current  # noqa: B018 -- raises IndexUnavailable (503) before any file is parsed
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        paths = []
        for upload in files:
            name = PurePath(upload.filename or "").name
            if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                raise HTTPException(
                    status_code=415,
                    detail=f"{name or 'upload'}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}",
                )
            path = Path(tmp) / name
            path.write_bytes(await _read_limited(upload, settings.max_upload_bytes))
            paths.append(path)
        result = await run_in_threadpool(ingest_files, paths, settings, settings.max_upload_bytes)
    errors = [f"{Path(e.source).name}: {e.message}" for e in result.errors]
    if not result.documents:
        raise HTTPException(status_code=422, detail="no document could be read: " + "; ".join(errors))

    def apply(index: IndexBackend) -> None:
        index.add(result.documents, result.chunks)

    await run_in_threadpool(holder.update, apply)
    counts = result.chunk_counts()
    return UploadResponse(
        added=[_summary(d, counts[d.doc_id]) for d in result.documents], errors=errors,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )


@router.delete("/v1/documents/{doc_id}", response_model=DeleteResponse, responses={401: {}, 403: {}, 404: {}})
async def delete_document(doc_id: IdParam, _: AdminDep, holder: HolderDep) -> DeleteResponse:
    started = time.perf_counter()
    if holder.current.document(doc_id) is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    await run_in_threadpool(holder.update, lambda index: index.remove([doc_id]))
    return DeleteResponse(deleted=doc_id, took_ms=round((time.perf_counter() - started) * 1000, 2))
