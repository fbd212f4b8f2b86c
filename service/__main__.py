"""``python -m service [--index DIR] [--host H] [--port P]``: serve the API with uvicorn."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from config import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--index", type=Path, default=settings.index_dir)
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)

    import uvicorn

    from service.app import create_app

    settings = settings.model_copy(update={"index_dir": args.index, "host": args.host, "port": args.port})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=settings.log_level.lower(),
                access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
