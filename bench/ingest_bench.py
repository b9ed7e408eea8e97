"""Ingest throughput against the embedder alone, and what re-ingests cost.

    python -m bench.ingest_bench [--xquad-files 80]

For the sample corpus and for the first N XQuAD-ar contexts (one file each), into a fresh store
with the default embedder: the first ingest (chunks/s, MB/s of article text) against the same
embedder embedding the same chunk texts alone (same batch size) and against a first ingest
that stores no sentence vectors (`RAWI_SENTENCE_VECTORS=false`, as before they were stored; timed just
before and just after it, the mean taken, after one untimed ingest pays the one-time costs), then a re-ingest of the
unchanged corpus and one after a single file changed, each against the first ingest. Timed
in-process (`ingest.pipeline.ingest`), model already loaded, so start-up is not counted twice;
`bench.startup_bench` measures start-up. Also the wall time of the `rawi ingest` command for the
unchanged re-ingest, start-up included. Each timing's machine load (`bench.common.LoadMeter`) is
stored under `load`, by the timing's name.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import (
    SAMPLE_CORPUS,
    WORK,
    XQUAD,
    LoadMeter,
    Timer,
    describe_load,
    write_corpus,
    write_result,
    xquad_items,
)


def measure(name: str, corpus: Path) -> dict[str, Any]:
    from core.settings import Settings
    from rawi.compose import Rawi, open_store

    settings = Settings(store=WORK / f"ingest-{name}")
    shutil.rmtree(settings.store.path, ignore_errors=True)
    parts = Rawi.open(settings=settings, create=True)
    embedder, store, ingester = parts.embedder, parts.store, parts.ingester()
    # Load the model and run one real batch outside the timings, so neither side pays the warm-up.
    warm = [p.read_text(encoding="utf-8")[:600] for p in sorted(corpus.glob("*.txt"))][:8]
    embedder.get_text_embedding_batch(warm)

    loads: dict[str, Any] = {}  # each timing's machine load, under the timing's name
    # The first ingest as it was before sentence vectors were stored (RAWI_SENTENCE_VECTORS=false),
    # into a store of its own, in the same run: the cost of storing them is the ratio of the two.
    # One ingest is run untimed first (tiktoken's tables, Chroma's first client), and the
    # chunks-only ingest is timed before and after the full one, against their mean, so neither
    # side pays a one-time cost or a drift of the machine's speed alone.
    def ingest_chunks_only(run: str) -> None:
        # A store folder per run: Chroma keeps one client per path in the process, deleted folder or not.
        chunks_only = settings.replace(store=WORK / f"ingest-{name}-chunks-only-{run}", sentence_vectors=False)
        shutil.rmtree(chunks_only.store.path, ignore_errors=True)
        Rawi(chunks_only, embedder, open_store(chunks_only, embedder, create=True)).ingester().ingest(
            [corpus], progress=False)

    ingest_chunks_only("warm-up")
    with LoadMeter() as meter, Timer() as before:
        ingest_chunks_only("before")
    loads["first_ingest_without_sentences"] = meter.load
    with LoadMeter() as meter, Timer() as first:
        report = ingester.ingest([corpus], progress=False)
    loads["first_ingest"] = meter.load
    with LoadMeter() as meter, Timer() as after:
        ingest_chunks_only("after")
    loads["first_ingest_without_sentences_again"] = meter.load
    without_s = (before.seconds + after.seconds) / 2
    sentences = store.sentence_vector_count()
    chunks = [c.text for c in store.iter_chunks()]
    text_mb = sum(len(t.encode("utf-8")) for t in store.file_texts(list(store.file_records())).values()) / 1e6
    with LoadMeter() as meter, Timer() as alone:
        embedder.get_text_embedding_batch(chunks)
    loads["embedder_alone"] = meter.load

    with LoadMeter() as meter, Timer() as unchanged:
        again = ingester.ingest([corpus], progress=False)
    loads["reingest_unchanged"] = meter.load
    assert again.chunks_written == 0, again.summary()

    # One file changes: a sentence added at its end.
    target = max(sorted(corpus.glob("*.txt")), key=lambda p: p.stat().st_size)
    original = target.read_bytes()
    try:
        target.write_text(original.decode("utf-8").rstrip() + "\nوأضاف المتحدث أن المحادثات ستستمر الأسبوع المقبل.\n",
                          encoding="utf-8")
        file_chunks = store.file_records()[target.name].chunks
        with LoadMeter() as meter, Timer() as one:
            changed = ingester.ingest([corpus], progress=False)
        loads["one_file_changed"] = meter.load
    finally:
        target.write_bytes(original)
    ingester.ingest([corpus], progress=False)  # back to the original

    command = [str(Path(sys.executable).parent / "rawi"), "ingest", str(corpus), "--store", str(settings.store.path), "--quiet"]
    with LoadMeter() as meter, Timer() as cli:
        subprocess.run(command, check=True, capture_output=True, timeout=600)
    loads["reingest_unchanged_cli"] = meter.load

    n = len(chunks)
    share = file_chunks / n  # the changed file's share of the corpus
    return {
        "files": len(report.added), "chunks": n, "text_mb": round(text_mb, 3),
        "first_ingest_s": round(first.seconds, 2), "sentences": sentences,
        "first_ingest_without_sentences_s": round(without_s, 2),
        "first_ingest_without_sentences_runs_s": [round(before.seconds, 2), round(after.seconds, 2)],
        "first_ingest_vs_without_sentences": round(first.seconds / without_s, 2),
        "chunks_per_s": round(n / first.seconds, 2), "mb_per_s": round(text_mb / first.seconds, 4),
        "embedder_alone_s": round(alone.seconds, 2), "embedder_alone_chunks_per_s": round(n / alone.seconds, 2),
        "pipeline_overhead_pct": round(100 * (first.seconds - alone.seconds) / alone.seconds, 1),
        "reingest_unchanged_s": round(unchanged.seconds, 3),
        "reingest_unchanged_pct_of_first": round(100 * unchanged.seconds / first.seconds, 2),
        "reingest_unchanged_cli_wall_s": round(cli.seconds, 2),
        "one_file_changed": {
            "file": target.name, "file_chunks": file_chunks, "chunks_written": changed.chunks_written,
            "seconds": round(one.seconds, 2), "pct_of_first": round(100 * one.seconds / first.seconds, 1),
            "file_share_of_corpus_pct": round(100 * share, 1),
        },
        "load": loads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xquad-files", type=int, default=80, help="XQuAD-ar contexts in the larger corpus (0: skip)")
    args = parser.parse_args()

    sample = WORK / "sample-corpus"  # a copy: the benchmark edits a file
    shutil.rmtree(sample, ignore_errors=True)
    shutil.copytree(SAMPLE_CORPUS, sample)
    corpora = {"sample": sample}
    if args.xquad_files and XQUAD.exists():
        corpora[f"xquad-{args.xquad_files}"] = WORK / f"ingest-xquad-{args.xquad_files}-corpus"
        write_corpus(corpora[f"xquad-{args.xquad_files}"], xquad_items(XQUAD)[0][: args.xquad_files])
    figures: dict[str, Any] = {"corpora": {}}
    for name, corpus in corpora.items():
        figures["corpora"][name] = r = measure(name, corpus)
        o = r["one_file_changed"]
        print(f"\n{name}: {r['files']} files, {r['chunks']} chunks, {r['text_mb']} MB of text")
        print(f"  first ingest       {r['first_ingest_s']:>8} s  {r['chunks_per_s']} chunks/s, {r['mb_per_s']} MB/s"
              f" ({r['sentences']} sentence vectors stored)")
        print(f"  without sentences  {r['first_ingest_without_sentences_s']:>8} s  -> storing sentence vectors costs "
              f"{r['first_ingest_vs_without_sentences']} x")
        print(f"  embedder alone     {r['embedder_alone_s']:>8} s  {r['embedder_alone_chunks_per_s']} chunks/s"
              f"  -> pipeline adds {r['pipeline_overhead_pct']} %")
        print(f"  re-ingest unchanged{r['reingest_unchanged_s']:>8} s  = {r['reingest_unchanged_pct_of_first']} % of the first"
              f" (`rawi ingest` wall, start-up included: {r['reingest_unchanged_cli_wall_s']} s)")
        print(f"  one file changed   {o['seconds']:>8} s  = {o['pct_of_first']} % of the first; the file is "
              f"{o['file_share_of_corpus_pct']} % of the chunks, {o['chunks_written']} re-embedded")
        print("  load: " + "; ".join(f"{k} {describe_load(v)}" for k, v in r["load"].items()))
    write_result("ingest", figures)


if __name__ == "__main__":
    main()
