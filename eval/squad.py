"""The store a SQuAD set is evaluated against, built once and reused.

`prepare_squad_store` writes every distinct context of the set as a `.txt` document under
`<cache root>/<dataset hash>/docs/` and ingests that folder into
`<cache root>/<dataset hash>/store-<embedder>/` with rawi's own ingest. The dataset hash is
that of the file's bytes, so a changed file gets a new folder; the ingest is idempotent, so a
rerun embeds nothing and costs a few seconds. The default cache root is `<store>/eval-cache`
(`.rawi/eval-cache`). This module builds the corpus; asking and scoring are elsewhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from eval.questions_io import SquadSet, load_squad, write_documents


@dataclass
class PreparedSquad:
    """A SQuAD set read from disk and the parts of its ready store."""

    squad: SquadSet
    docs_dir: Path
    dataset_sha256: str
    ingest: dict[str, Any]  # what the ingest did: added / unchanged / failed files, chunks written, seconds
    parts: Any  # the `rawi.compose.Rawi` of the cached store (its settings point there): one embedder for both


def dataset_hash(path: Path) -> str:
    """sha256 of the dataset file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def embedder_slug(settings: Settings) -> str:
    """A folder-safe name for the embedder: a store is bound to the embedder that filled it."""
    slug, model = settings.embedder.kind, settings.embedder.model
    if model:
        slug += "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model)[-40:]
        slug += "-" + hashlib.sha1(model.encode("utf-8")).hexdigest()[:6]
    return slug


def cache_folder(dataset_path: Path, settings: Settings, cache_root: Path | None = None) -> tuple[Path, str]:
    """(the dataset's cache folder, the dataset's sha256)."""
    digest = dataset_hash(dataset_path)
    root = Path(cache_root) if cache_root is not None else settings.store.path / "eval-cache"
    return root / digest[:16], digest


def prepare_squad_store(dataset_path: Path, settings: Settings, cache_root: Path | None = None, *,
                        progress: bool | None = None) -> PreparedSquad:
    """Read the SQuAD file, write its contexts as documents and bring the cached store up to date."""
    from rawi.compose import Rawi

    squad = load_squad(dataset_path)
    folder, digest = cache_folder(dataset_path, settings, cache_root)
    docs_dir = folder / "docs"
    write_documents(squad.documents, docs_dir)
    # Documents the dataset no longer has (an older write of the same hash cannot differ, but be safe).
    for stale in docs_dir.glob("*.txt"):
        if stale.name not in squad.documents:
            stale.unlink()
    store_settings = settings.replace(store=folder / f"store-{embedder_slug(settings)}")
    parts = Rawi.open(settings=store_settings, create=True)
    report = parts.ingester().ingest([docs_dir], prune_missing=True, progress=progress)
    summary = {
        "documents": len(squad.documents),
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "removed": len(report.removed),
        "failed": [{"file": Path(path).name, "reason": reason} for path, reason in report.failed],
        "chunks_written": report.chunks_written,
        "seconds": round(report.seconds, 2),
        "store": str(store_settings.store.path),
    }
    return PreparedSquad(squad, docs_dir, digest, summary, parts)
