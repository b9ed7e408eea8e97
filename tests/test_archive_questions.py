"""The archive question set (eval/questions/archive.jsonl): it loads, has the kinds and counts the
evaluation relies on, and names only articles of the SaudiNewsNet development archive.

Fast and offline: nothing is embedded or asked. The archive lives outside the repository (in
shared/ next to it, as `make eval-archive` expects); the check of the gold file names against its
manifest is skipped when it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eval.questions_io import load_questions

ARCHIVE_MANIFEST = Path("shared") / "corpora" / "saudinewsnet_dev" / "manifest.jsonl"


@pytest.fixture(scope="module")
def cases(repo_root):
    return load_questions(repo_root / "eval" / "questions" / "archive.jsonl")


def test_archive_set_has_the_kinds_and_counts(cases):
    kinds = Counter(case.kind for case in cases)
    assert len(cases) >= 60
    assert kinds["unanswerable"] >= 10
    assert kinds["false_premise"] >= 5
    assert kinds["english"] >= 8
    assert kinds["egyptian"] + kinds["dialect"] >= 5
    assert kinds["conversation"] >= 3
    for kind in ("single", "names", "numbers", "dates", "places"):
        assert kinds[kind] >= 1, f"no {kind} questions"


def test_archive_set_ids_are_unique(repo_root):
    ids = [json.loads(line)["id"] for line in
           (repo_root / "eval" / "questions" / "archive.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(ids) == len(set(ids))


def test_archive_questions_say_what_a_right_reply_is(cases):
    for case in cases:
        if case.conversation:
            assert 2 <= len(case.turns) <= 3, case.id
            assert not case.turns[0].expects_abstention, f"{case.id} must open on an answerable question"
        for turn in case.turns:
            if case.kind in ("unanswerable", "false_premise"):
                assert turn.expects_abstention and not turn.answer_groups, case.id
            elif not turn.expects_abstention:
                assert turn.answer_groups, f"{case.id}: an answerable question needs answer groups"
                assert all(v.strip() for group in turn.answer_groups for v in group), case.id


def test_archive_gold_files_are_articles_of_the_archive(cases, repo_root):
    manifest = repo_root.parent / ARCHIVE_MANIFEST
    if not manifest.is_file():
        pytest.skip(f"the SaudiNewsNet development archive is not at {manifest} (it is kept next to the repository)")
    names = {json.loads(line)["file"] for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()}
    gold = {name for case in cases for turn in case.turns for name in turn.gold_files}
    assert gold, "no gold files at all"
    assert sorted(gold - names) == []
