"""The `rawi` command: parse arguments, get the parts from `rawi.compose`, print. No logic of its own.

    rawi ingest [PATH ...] [--store DIR] [--keep-missing]
    rawi ask "QUESTION" [--store DIR] [--json]
    rawi serve [--store DIR] [--host H] [--port P]
    rawi eval (--questions FILE.jsonl [--store DIR] | --squad FILE.json [--cache DIR]) [--json] [--report DIR]
              [--retrievers bm25,dense,hybrid] [--limit N] [--retrieval-only] [--quiet]
    rawi eval --claims FILE.jsonl [--json]      (the claim checker on scripted answers; no store, no model)
    rawi feedback export [--store DIR] [--output FILE.jsonl] [--user NAME]

Errors a user can cause (`RawiError`) become one line on stderr and exit status 2; an ingest
in which some file failed exits 1 after ingesting every other file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import RawiError
from core.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rawi", description="Answers from Arabic news articles, with checked citations.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_store(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--store", type=Path, help="store folder (env RAWI_STORE, default .rawi)")
        return p

    ingest = with_store(sub.add_parser("ingest", help="chunk and embed articles into the store"))
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders (default: data/corpus)")
    ingest.add_argument("--keep-missing", action="store_true", help="keep chunks of files gone from an ingested folder")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")

    ask = with_store(sub.add_parser("ask", help="answer one question with citations"))
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")

    serve = with_store(sub.add_parser("serve", help="serve the chat in a browser"))
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 7860)")

    ev = with_store(sub.add_parser("eval", help="measure retrieval, citations, answers and abstention on a question set"))
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--questions", type=Path, metavar="FILE.jsonl", help="rawi question file (JSON lines), asked of --store")
    source.add_argument("--squad", type=Path, metavar="FILE.json",
                        help="SQuAD v1.1/v2.0 file: its contexts become the corpus of a cached store")
    source.add_argument("--claims", type=Path, metavar="FILE.jsonl",
                        help="scripted LLM answers with planted faults (eval/claims/*.jsonl): how many the claim "
                             "checker flags, over data/corpus")
    ev.add_argument("--cache", type=Path, metavar="DIR",
                    help="with --squad: where cached stores live (default <store>/eval-cache, i.e. .rawi/eval-cache)")
    ev.add_argument("--retrievers", default="hybrid", metavar="LIST",
                    help="retrievers compared side by side, comma-separated from bm25,dense,hybrid (default hybrid)")
    ev.add_argument("--limit", type=int, metavar="N", help="only the first N questions (conversations) of the file")
    ev.add_argument("--retrieval-only", action="store_true", help="score retrieval only; ask for no answers")
    ev.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    ev.add_argument("--report", type=Path, metavar="DIR",
                    help="write report.md, metrics.json, results.jsonl and PNG plots into DIR")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")

    feedback = sub.add_parser("feedback", help="the thumbs up/down given in the chat")
    fsub = feedback.add_subparsers(dest="action", required=True)
    export = with_store(fsub.add_parser(
        "export", help="write the rated answers as a question file for `rawi eval --questions`"))
    export.add_argument("--output", "-o", type=Path, metavar="FILE.jsonl", help="where to write it (default: stdout)")
    export.add_argument("--user", metavar="NAME", help="only this user's feedback (default: everyone's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings()
        if args.store is not None:
            settings = settings.replace(store=args.store)
        return _COMMANDS[args.command](args, settings)
    except RawiError as err:
        print(f"rawi: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rawi ask ... | head`: the reader left, nothing is wrong
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _settings() -> Settings:
    """Settings from the environment, or a `ConfigError` naming each bad `RAWI_*` variable (never its value)."""
    from pydantic import ValidationError

    from core.errors import ConfigError
    from core.settings import env_var_at

    try:
        return Settings()
    except ValidationError as err:
        problems = "; ".join(
            f"{name}: {e['msg']}" if (name := env_var_at(e.get("loc") or ())) else e["msg"]
            for e in err.errors(include_url=False, include_input=False)
        )
        raise ConfigError(f"invalid setting: {problems}") from None


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from rawi.compose import Rawi

    ingester = Rawi.open(settings=settings, create=True).ingester()
    paths = args.paths or [settings.store.corpus]
    report = ingester.ingest(
        paths, prune_missing=False if args.keep_missing else None, progress=False if args.quiet else None,
    )
    print(report.summary(), file=sys.stderr if report.failed else sys.stdout)
    return 0 if report.ok else 1


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rawi.compose import open_assistant

    answer = open_assistant(settings=settings).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from rawi.compose import Rawi
    from ui.app import launch

    parts = Rawi.open(settings=settings)
    serve = settings.serve
    host = args.host or serve.host
    if host not in ("127.0.0.1", "localhost", "::1") and not serve.auth.get_secret_value():
        print(f"rawi: note: serving on {host} without a login; set RAWI_AUTH=user:password to require one.",
              file=sys.stderr)
    launch(parts.assistant(), parts.ingester(), serve, host=host, port=args.port or serve.port,
           conversations=parts.conversations())
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.claims is not None:
        from eval.claims import evaluate_claims, format_claim_figures

        evaluation = evaluate_claims(args.claims)
        print(json.dumps(evaluation.figures(), indent=2) if args.json else format_claim_figures(evaluation, args.claims.name))
        return 0
    from eval.report import format_table, write_report
    from eval.runner import (
        evaluate_question_file,
        evaluate_squad_file,
        parse_retrievers,
    )

    options = dict(retrievers=parse_retrievers(args.retrievers), answer=not args.retrieval_only, limit=args.limit,
                   progress=False if args.quiet else None)
    if args.squad is not None:
        evaluation = evaluate_squad_file(args.squad, settings, cache_root=args.cache, **options)
    else:
        evaluation = evaluate_question_file(args.questions, settings, **options)
    failed = (evaluation.metrics["meta"].get("corpus") or {}).get("failed") or []
    if failed:
        print(f"rawi: {len(failed)} document(s) could not be ingested, e.g. {failed[0]['file']}: {failed[0]['reason']}",
              file=sys.stderr)
    if args.report is not None:
        write_report(args.report, evaluation.metrics, evaluation.rows)
    if args.json:
        print(json.dumps(evaluation.metrics, ensure_ascii=False, indent=2))
    else:
        print(format_table(evaluation.metrics))
        if args.report is not None:
            print(f"report written to {args.report}")
    return 0


def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    from eval.feedback import feedback_cases, write_lines
    from rawi.compose import Rawi, open_conversations

    from core.errors import ConfigError

    if not settings.store.chats_path.is_file():  # reading must not create a database (or a store folder)
        raise ConfigError(f"No saved chats at {settings.store.chats_path} (RAWI_CHATS_DB): nothing to export.")
    marked = open_conversations(settings).marked_turns(args.user)

    def file_texts():  # only opened when an expected answer needs its articles found
        parts = Rawi.open(settings=settings, llm=None)
        names = sorted(parts.ingester().file_records())
        assistant = parts.assistant()
        for i in range(0, len(names), 200):
            yield from assistant.file_texts(names[i:i + 200]).items()

    export = feedback_cases(marked, file_texts)
    text = write_lines(export.lines, args.output)
    if args.output is None:
        sys.stdout.write(text)
    print(f"rawi: {export.summary()}" + (f"; written to {args.output}" if args.output else ""), file=sys.stderr)
    return 0


_COMMANDS = {"ingest": _ingest, "ask": _ask, "serve": _serve, "eval": _eval, "feedback": _feedback}

if __name__ == "__main__":
    sys.exit(main())
