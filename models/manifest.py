"""The model folder's manifest: what was built from what, with checksums.

The manifest lets setup skip work that is already done and lets every loader
refuse a damaged folder with a message that says how to rebuild it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
REBUILD_HINT = "rebuild it with `python -m models build --force` (or `make run`)"


class ModelFolderError(RuntimeError):
    """The model folder is missing, incomplete or damaged."""


def sha256_file(path: Path, block: int = 1 << 22) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class ModelManifest:
    format_version: int
    source: str
    source_sha256: str
    files: dict[str, str]  # relative path -> sha256
    onnx_files: dict[str, str] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        """One checksum for the converted weights and tokenizer (the index records it)."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(f"{name}:{self.files[name]}\n".encode())
        return digest.hexdigest()[:16]

    def onnx_checksum(self, name: str) -> str:
        """One checksum for an ONNX graph and the weights file(s) stored beside it."""
        digest = hashlib.sha256()
        for part in sorted(n for n in self.onnx_files if n == name or n.startswith(name + ".")):
            digest.update(f"{part}:{self.onnx_files[part]}\n".encode())
        return digest.hexdigest()[:16]

    def save(self, folder: Path) -> None:
        data = asdict(self) | {"checksum": self.checksum}
        (folder / MANIFEST_NAME).write_text(json.dumps(data, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> ModelManifest:
        path = Path(folder) / MANIFEST_NAME
        if not path.is_file():
            raise ModelFolderError(
                f"model folder {folder} is missing or incomplete (no {MANIFEST_NAME}); {REBUILD_HINT}"
            )
        try:
            data = json.loads(path.read_text())
            data.pop("checksum", None)
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise ModelFolderError(f"{path} is damaged ({exc}); {REBUILD_HINT}") from None
        if manifest.format_version != FORMAT_VERSION:
            raise ModelFolderError(
                f"{path} has format {manifest.format_version}, expected {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        return manifest

    def verify(self, folder: Path, names: dict[str, str] | None = None) -> None:
        """Check that every listed file exists with its recorded checksum."""
        for name, expected in (names if names is not None else self.files).items():
            path = Path(folder) / name
            if not path.is_file():
                raise ModelFolderError(f"model file {path} is missing; {REBUILD_HINT}")
            if sha256_file(path) != expected:
                raise ModelFolderError(f"model file {path} is damaged (checksum mismatch); {REBUILD_HINT}")
