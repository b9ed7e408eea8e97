"""The `rawi` command: parse arguments, call the engine, print. No logic of its own.

    rawi ingest [PATH ...] [--store DIR] [--keep-missing]
    rawi ask "QUESTION" [--store DIR] [--json]
    rawi serve [--store DIR] [--host H] [--port P]

Errors a user can cause (`RawiError`) become one line on stderr and exit status 2; an ingest
in which some file failed exits 1 after ingesting every other file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rag.errors import RawiError
from rag.settings import Settings


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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
        if args.store is not None:
            settings = settings.model_copy(update={"store": args.store})
        return _COMMANDS[args.command](args, settings)
    except RawiError as err:
        print(f"rawi: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.pipeline import ingest
    from rag.components import build_embedder, open_store

    embedder = build_embedder(settings)
    store = open_store(settings, embedder, create=True)
    paths = args.paths or [settings.corpus]
    report = ingest(
        paths, store, embedder, settings,
        prune_missing=False if args.keep_missing else None,
        progress=False if args.quiet else None,
    )
    print(report.summary(), file=sys.stderr if report.failed else sys.stdout)
    return 0 if report.ok else 1


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.assistant import Assistant

    answer = Assistant.open(settings.store, settings=settings).ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(answer.to_text())
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.assistant import Assistant
    from ui.app import launch

    assistant = Assistant.open(settings.store, settings=settings)
    launch(assistant, host=args.host or settings.host, port=args.port or settings.port)
    return 0


_COMMANDS = {"ingest": _ingest, "ask": _ask, "serve": _serve}

if __name__ == "__main__":
    sys.exit(main())
