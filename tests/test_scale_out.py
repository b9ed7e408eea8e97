"""Beyond one process: apps see ingests they did not run, and several app instances share one Chroma server.

Real parts only: `rawi ingest` and `rawi serve` in subprocesses, a real `chroma run` server on
127.0.0.1 (and, for tokens, a real token-checking proxy in front of it, as deployments do), real
Assistants in this process. The `hashing` embedder keeps it fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from core.errors import StoreError
from tests.conftest import (
    assert_store_consistent,
    env_without_rawi,
    free_port,
    marker,
    rawi_command,
    write_articles,
)
from tests.support.processes import CHROMA, ChromaServer, RawiProcess

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    if not CHROMA.exists():
        pytest.skip(f"chromadb's `chroma` command is not installed next to {sys.executable}")
    server = ChromaServer(tmp_path_factory.mktemp("chroma_server") / "data")
    yield server
    server.stop()


_collections = iter(range(1000))


@pytest.fixture
def server_env(chroma_server) -> dict[str, str]:
    """RAWI_* variables for a fresh collection on the module's Chroma server."""
    return {"RAWI_CHROMA_HOST": "127.0.0.1", "RAWI_CHROMA_PORT": str(chroma_server.port),
            "RAWI_COLLECTION": f"test{next(_collections)}"}


def rawi(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(REPO)} | env
    return subprocess.run([*rawi_command(), *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=180)


def ingest_ok(folder: Path, store: Path, **env: str) -> None:
    run = rawi(["ingest", str(folder), "--store", str(store), "--quiet"], store.parent, **env)
    assert run.returncode == 0, run.stderr


def assistant(store: Path, **env: str):
    """An app instance's parts (`rawi.compose.Rawi`) in this process, configured as `env` would configure `rawi serve`."""
    from core.settings import Settings
    from rawi.compose import Rawi

    fields = {k[len("RAWI_"):].lower(): v for k, v in env.items()}
    settings = Settings(store=store, embedder="hashing", **fields)
    return Rawi.open(store, settings)


def files_for(bot, i: int, mode: str = "hybrid") -> list[str]:
    return [h.chunk.file for h in bot.retriever().retrieve(f"ما هو {marker(i)}؟", 5, mode=mode).hits]


def name(i: int) -> str:
    return f"article_{i:03d}.txt"


# --- one machine: an app sees an ingest it did not run, without a restart ---------------------------


def test_a_running_assistant_finds_what_another_process_ingested_by_both_dense_and_lexical_search(tmp_path,
                                                                                                   corpus_texts):
    store = tmp_path / "store"
    write_articles(tmp_path / "first", 5, corpus_texts)
    ingest_ok(tmp_path / "first", store)
    bot = assistant(store)
    assert name(300) not in files_for(bot, 300)

    write_articles(tmp_path / "later", 1, corpus_texts, first=300)
    ingest_ok(tmp_path / "later", store)

    # The embedded client would keep searching the vectors it loaded: the dense side is what a reload fixes.
    assert name(300) in files_for(bot, 300, "dense")
    assert files_for(bot, 300, "bm25")[0] == name(300)
    answer = bot.assistant().ask(f"ما هو {marker(300)}؟")
    assert answer.sources[0].file == name(300)  # the top source (an odd question: it may abstain)


@pytest.fixture
def served(tmp_path, corpus_texts):
    """`rawi serve` in a subprocess on a free port over a store of 5 generated articles; killed afterwards."""
    store = tmp_path / "store"
    write_articles(tmp_path / "first", 5, corpus_texts)
    ingest_ok(tmp_path / "first", store)
    port = free_port()
    env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(REPO)}
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([*rawi_command(), "serve", "--store", str(store), "--port", str(port)], env=env,
                            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "rawi serve did not come up in 120 s"
                time.sleep(0.5)
        yield url, store
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_rawi_serve_answers_from_an_ingest_made_by_another_process_while_it_runs(served, tmp_path, corpus_texts):
    from gradio_client import Client

    url, store = served
    client = Client(url, analytics_enabled=False, verbose=False)
    question = f"ما هو {marker(300)}؟"
    assert name(300) not in [s["file"] for s in client.predict(question, api_name="/ask")["sources"]]

    write_articles(tmp_path / "later", 1, corpus_texts, first=300)
    ingest_ok(tmp_path / "later", store)

    result = client.predict(question, api_name="/ask")
    assert result["sources"][0]["file"] == name(300)


# --- a Chroma server shared by several app instances ---------------------------------------------------


def test_two_app_instances_on_one_chroma_server_answer_at_once_and_see_each_others_ingests(tmp_path, server_env,
                                                                                          corpus_texts):
    write_articles(tmp_path / "first", 6, corpus_texts)
    ingest_ok(tmp_path / "first", tmp_path / "ingester", **server_env)
    one, two = assistant(tmp_path / "app1", **server_env), assistant(tmp_path / "app2", **server_env)

    failures: list[str] = []

    def ask_many(bot, label: str) -> None:
        for i in range(6):
            try:
                got = bot.assistant().ask(f"ما هو {marker(i)}؟").sources[0].file
                if got != name(i):
                    failures.append(f"{label}: {marker(i)} answered from {got}")
            except Exception as err:  # noqa: BLE001 - reported below with the instance that failed
                failures.append(f"{label}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=ask_many, args=(bot, label)) for bot, label in ((one, "one"), (two, "two"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []

    write_articles(tmp_path / "later", 1, corpus_texts, first=300)
    ingest_ok(tmp_path / "later", tmp_path / "ingester", **server_env)  # another process, through the server
    assert files_for(one, 300)[0] == name(300) and files_for(two, 300)[0] == name(300)

    write_articles(tmp_path / "upload", 1, corpus_texts, first=301)
    assert one.ingester().ingest([tmp_path / "upload" / name(301)], progress=False).ok  # what an upload to instance one does
    assert files_for(two, 301)[0] == name(301) and files_for(one, 301)[0] == name(301)

    # Chroma holds everything; each instance keeps only its lexical cache, keyed by the server's collection.
    for app in ("app1", "app2"):
        assert not (tmp_path / app / "chroma").exists()
        saved = [p.name for p in (tmp_path / app / "lexical").iterdir() if not p.name.startswith(".")]
        assert saved == [f"{one.store.identity}-g{one.store.generation}"]


def test_app_instances_sharing_a_local_folder_share_one_lexical_index_per_generation(tmp_path, server_env,
                                                                                      corpus_texts):
    from vendors import lexical

    write_articles(tmp_path / "first", 4, corpus_texts)
    ingest_ok(tmp_path / "first", tmp_path / "ingester", **server_env)
    bots = [assistant(tmp_path / "shared", **server_env) for _ in range(4)]
    results: list[str] = []
    threads = [threading.Thread(target=lambda b=b: results.append(files_for(b, 2)[0])) for b in bots]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [name(2)] * 4

    folder = tmp_path / "shared" / "lexical"
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == [
        f"{bots[0].store.identity}-g{bots[0].store.generation}"]
    index = lexical.load(folder, bots[0].store.generation, bots[0].store.identity)
    assert index is not None and sorted(index.ids) == sorted(c.id for c in bots[0].store.iter_chunks())


def test_a_chroma_server_that_is_not_running_gets_a_clear_message(tmp_path, corpus_texts):
    env = {"RAWI_CHROMA_HOST": "127.0.0.1", "RAWI_CHROMA_PORT": str(free_port())}
    write_articles(tmp_path / "first", 1, corpus_texts)
    for args in (["ask", "من هو السفير؟"], ["ingest", str(tmp_path / "first")]):
        run = rawi([*args, "--store", str(tmp_path / "local")], tmp_path, **env)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert f"Cannot use the Chroma server at http://127.0.0.1:{env['RAWI_CHROMA_PORT']}" in run.stderr
        assert "nothing answers there" in run.stderr


def test_an_app_whose_chroma_server_goes_away_answers_with_a_store_error(tmp_path, corpus_texts):
    server = ChromaServer(tmp_path / "data")
    try:
        env = {"RAWI_CHROMA_HOST": "127.0.0.1", "RAWI_CHROMA_PORT": str(server.port)}
        write_articles(tmp_path / "first", 2, corpus_texts)
        ingest_ok(tmp_path / "first", tmp_path / "ingester", **env)
        bot = assistant(tmp_path / "app", **env)
        assert bot.assistant().ask(f"ما هو {marker(1)}؟").sources[0].file == name(1)
    finally:
        server.stop()
    with pytest.raises(StoreError, match="Lost the connection to the Chroma server at 127.0.0.1"):
        bot.assistant().ask(f"ما هو {marker(0)}؟")


@pytest.mark.parametrize("header", ["Authorization", "X-Chroma-Token"])
def test_a_token_goes_with_every_request_and_a_missing_one_is_explained(tmp_path, chroma_server, corpus_texts, header):
    from tests.support.token_proxy import TokenProxy

    proxy = TokenProxy(chroma_server.port, "s3cret-token", header)
    try:
        env = {"RAWI_CHROMA_HOST": "127.0.0.1", "RAWI_CHROMA_PORT": str(proxy.port),
               "RAWI_COLLECTION": f"token{header[:5].lower()}"}
        write_articles(tmp_path / "first", 2, corpus_texts)

        refused = rawi(["ingest", str(tmp_path / "first"), "--store", str(tmp_path / "local")], tmp_path, **env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert "refused the credentials" in refused.stderr and "RAWI_CHROMA_TOKEN" in refused.stderr

        with_token = env | {"RAWI_CHROMA_TOKEN": "s3cret-token", "RAWI_CHROMA_AUTH_HEADER": header}
        ok = rawi(["ingest", str(tmp_path / "first"), "--store", str(tmp_path / "local")], tmp_path, **with_token)
        assert ok.returncode == 0, ok.stderr
        asked = rawi(["ask", f"ما هو {marker(1)}؟", "--json", "--store", str(tmp_path / "local")], tmp_path, **with_token)
        assert asked.returncode == 0, asked.stderr
        assert json.loads(asked.stdout)["sources"][0]["file"] == name(1)
        assert "s3cret" not in ok.stdout + ok.stderr + asked.stdout + asked.stderr
        assert proxy.refused == 1  # only the run without the token: every other request carried it
    finally:
        proxy.close()


# --- ingests into one Chroma server from several places: a writer lease in the collection -----------


def server_settings(env: dict[str, str]) -> dict:
    return {"chroma_host": env["RAWI_CHROMA_HOST"], "chroma_port": int(env["RAWI_CHROMA_PORT"]),
            "collection": env["RAWI_COLLECTION"]}


def test_ingests_into_one_chroma_server_from_two_machines_take_turns(tmp_path, server_env, corpus_texts):
    # Two local store folders stand for two machines: their lock files never meet, only the lease in Chroma does.
    write_articles(tmp_path / "a", 30, corpus_texts)
    write_articles(tmp_path / "b", 3, corpus_texts, first=200)
    env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(REPO)} | server_env
    hold_s = 15  # the first pauses after its last record, holding its lease, so the others meet it for sure
    first = RawiProcess(["ingest", str(tmp_path / "a"), "--store", str(tmp_path / "machine1"), "--quiet"],
                        env | {"RAWI_TEST_INGEST_PAUSE_S": str(hold_s), "RAWI_TEST_INGEST_PAUSE_AT": "records-written"},
                        tmp_path)
    waited = None
    try:
        first.wait_for_line(lambda line: line.startswith("rawi-test-pause:"))
        held_from = next(t for t, line in first.lines if line.startswith("rawi-test-pause:"))
        refused = rawi(["ingest", str(tmp_path / "b"), "--store", str(tmp_path / "machine2")], tmp_path,
                       RAWI_INGEST_LOCK_WAIT_S="0", **server_env)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        assert f"Another ingest is writing to the store 127.0.0.1:{server_env['RAWI_CHROMA_PORT']}" in refused.stderr
        assert f"process {first.proc.pid}" in refused.stderr

        waited_started = time.time()
        waited = RawiProcess(["ingest", str(tmp_path / "b"), "--store", str(tmp_path / "machine2"), "--quiet"],
                             env | {"RAWI_TEST_INGEST_PAUSE_S": "0.05", "RAWI_INGEST_LOCK_WAIT_S": "300"}, tmp_path)
        assert first.finish() == 0, first.stderr
        assert waited.finish() == 0, waited.stderr
    finally:
        first.kill()
        if waited is not None:
            waited.kill()
    second_writes = [t for t, line in waited.lines if line.startswith("rawi-test-pause:")]
    assert waited_started < held_from + hold_s - 1, "the machine was too slow for the second to meet the first"
    assert min(second_writes) > held_from + hold_s - 1, "the second wrote while the first held the lease"
    assert_store_consistent(tmp_path / "check", [tmp_path / "a", tmp_path / "b"], **server_settings(server_env))


def test_an_ingest_killed_while_writing_to_a_chroma_server_is_finished_once_its_lease_expires(tmp_path, server_env,
                                                                                            corpus_texts):
    write_articles(tmp_path / "a", 20, corpus_texts)
    env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(REPO)} | server_env
    first = RawiProcess(["ingest", str(tmp_path / "a"), "--store", str(tmp_path / "machine1"), "--quiet"],
                        env | {"RAWI_TEST_INGEST_PAUSE_S": "0.3", "RAWI_INGEST_LEASE_S": "4"}, tmp_path)
    try:
        first.wait_for_line(lambda line: line.startswith("rawi-test-pause: chunks-written"), count=1)
    finally:
        first.kill()  # SIGKILL, holding the lease

    again = rawi(["ingest", str(tmp_path / "a"), "--store", str(tmp_path / "machine2"), "--quiet"], tmp_path,
                 RAWI_INGEST_LOCK_WAIT_S="60", RAWI_INGEST_LEASE_S="4", **server_env)
    assert again.returncode == 0, again.stderr
    assert_store_consistent(tmp_path / "check", [tmp_path / "a"], **server_settings(server_env))


# --- one instance under load: memory stays bounded ----------------------------------------------------


def test_rawi_serve_keeps_at_most_max_sessions_in_memory(corpus_rig):
    """Gradio keeps state for every session (~50 kB each, 10,000 by default); calls that bring their own
    session hash (browser tabs, `gradio_client`) are sessions that stay until newer ones push them out."""
    from rawi.compose import Rawi
    from ui.app import launch

    settings = corpus_rig.settings.replace(max_sessions=10)
    port = free_port()
    app = launch(Rawi(settings, corpus_rig.embedder, corpus_rig.store, llm=None).assistant(), None, settings.serve,
                 port=port, prevent_thread_lock=True, quiet=True)
    base = f"http://127.0.0.1:{port}/gradio_api/call/ask"
    try:
        for n in range(25):
            body = json.dumps({"data": ["من هو السفير الروسي لدى ليبيا؟"], "session_hash": f"tab-{n}"}).encode()
            request = urllib.request.Request(base, data=body, headers={"Content-Type": "application/json"}, method="POST")
            with urllib.request.urlopen(request, timeout=60) as reply:
                event_id = json.loads(reply.read())["event_id"]
            with urllib.request.urlopen(f"{base}/{event_id}", timeout=60) as events:
                assert "event: complete" in events.read().decode("utf-8")
        assert 0 < len(app.state_holder.session_data) <= 10
        assert "tab-24" in app.state_holder.session_data and "tab-0" not in app.state_holder.session_data
    finally:
        app.close()


def test_after_seeing_another_process_ingest_the_store_reopens_once_not_on_every_question(tmp_path, corpus_texts):
    store = tmp_path / "store"
    write_articles(tmp_path / "first", 3, corpus_texts)
    ingest_ok(tmp_path / "first", store)
    parts = assistant(store)
    assert parts.store.refresh() is False  # nothing written since it opened

    write_articles(tmp_path / "later", 1, corpus_texts, first=300)
    ingest_ok(tmp_path / "later", store)
    assert parts.store.refresh() is True
    # Opening the new client touches the database itself: that is no one else's write.
    assert parts.store.refresh() is False
    files_for(parts, 300)
    assert parts.store.refresh() is False


def test_the_database_file_touched_without_a_rawi_write_does_not_reopen_the_client(tmp_path, corpus_texts):
    import os

    store = tmp_path / "store"
    write_articles(tmp_path / "first", 2, corpus_texts)
    ingest_ok(tmp_path / "first", store)
    parts = assistant(store)
    sqlite = store / "chroma" / "chroma.sqlite3"
    os.utime(sqlite, ns=(sqlite.stat().st_atime_ns, sqlite.stat().st_mtime_ns + 10**9))  # Chroma's own housekeeping
    assert parts.store.watch.changed()
    assert parts.store.refresh() is False
    assert not parts.store.watch.changed()
