"""How long a running service takes to serve a document added by `python -m indexer add`, and rebuild time.

    python -m evaluation.index_follow [--rounds 5] [--poll 1.0]

Builds the gazette into a temporary index and store, starts `python -m service` on a free loopback
port, then per round: a CLI add of a small new notice, and the time from its publishing (the link's
mtime) until `GET /v1/documents` lists it. Finally times `python -m indexer rebuild` from the store. Prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from evaluation.runner import RunError
from evaluation.service_process import free_port, wait_ready

ROOT = Path(__file__).resolve().parent.parent
NOTE = "关于第{n}批农村公路养护的通知\n\n一、养护资金\n\n第{n}批农村公路养护资金每公里每年补助{n}万元。\n"


def _cli(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "indexer", "-q", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: indexer {args[0]} failed: {result.stderr.strip()}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.index_follow", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--poll", type=float, default=1.0, help="INDEX_POLL_SECONDS for the service")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="index-follow-") as tmp:
        work = Path(tmp)
        index = work / "index"
        env = {**os.environ, "STORE_DIR": str(work / "store"), "INDEX_DIR": str(index),
               "INDEX_POLL_SECONDS": str(args.poll), "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
        _cli(env, "build", str(ROOT / "corpus"), "--index", str(index))
        port = free_port()
        service = subprocess.Popen([sys.executable, "-m", "service", "--port", str(port)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_ready(service, base, 180)
            except RunError as exc:
                raise SystemExit(f"error: {exc}") from None
            noticed = []
            for n in range(1, args.rounds + 1):
                note = work / f"note{n}.txt"
                note.write_text(NOTE.format(n=n), encoding="utf-8")
                cli = subprocess.Popen([sys.executable, "-m", "indexer", "-q", "add", str(note), "--index", str(index)],
                                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                while str(note) not in {d["source"] for d in httpx.get(f"{base}/v1/documents", timeout=10).json()}:
                    if cli.poll() not in (None, 0):
                        raise SystemExit("error: indexer add failed")
                    time.sleep(0.05)
                seen = time.time()
                cli.wait()
                noticed.append(seen - os.lstat(index).st_mtime)  # the link is replaced at the moment of publishing
        finally:
            service.terminate()
            service.wait(timeout=30)
        rebuild = _cli(env, "rebuild", "--index", str(index))
    print(f"service notices a CLI add (INDEX_POLL_SECONDS={args.poll}), {args.rounds} rounds: "
          f"median {statistics.median(noticed):.2f} s, max {max(noticed):.2f} s")
    print(f"python -m indexer rebuild from the store (gazette + {args.rounds} notes, model load included): "
          f"{rebuild:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
