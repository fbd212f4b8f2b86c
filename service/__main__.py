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
    parser.add_argument("--workers", type=_positive, default=settings.workers,
                        help="worker processes (default WORKERS, %(default)s)")
    args = parser.parse_args(argv)

    import uvicorn

    settings = settings.model_copy(update={"index_dir": args.index, "host": args.host, "port": args.port,
                                           "workers": args.workers})
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.workers == 1:
        from service.app import create_app

        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=settings.log_level.lower(),
                    access_log=False)
        return 0
    # The supervisor imports none of the app. Each worker process builds the app from the environment;
    # the model's weights and the index's sentence vectors are memory-mapped files, so the workers
    # share one copy in the page cache.
    os.environ["INDEX_DIR"] = str(args.index)
    # A worker loads the model and the index during start-up without answering the supervisor's
    # health pings; the default 5 s would have it killed and restarted forever.
    uvicorn.run("service.app:create_app", factory=True, workers=settings.workers, host=args.host, port=args.port,
                log_level=settings.log_level.lower(), access_log=False, timeout_worker_healthcheck=300)
    return 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value!r}")
    return number


if __name__ == "__main__":
    sys.exit(main())
