"""The import layers: every import points down a layer, and `rag/` and `ingest/` never import each other.

    faces            cli (the `rawi` command), ui, api, eval, bench
    composition root rawi (rawi.compose, and the package's lazy exports)
    engine           ingest | rag          (siblings: neither imports the other)
    vendors          vendors               (Chroma store, lexical index, embedders, LLM clients, locking)
    base             core                  (text, sentences, errors, results, settings)

Every `import` and `from ... import` in the product and bench code counts, also those inside
functions (lazy imports are still dependencies). Tests may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "vendors", "ingest", "rag", "rawi", "cli", "ui", "api", "eval", "bench")
# (module prefix, layer); the longest matching prefix decides.
LAYERS = {
    "core": 0,
    "vendors": 1,
    "ingest": 2,
    "rag": 2,
    "rawi": 3,
    "cli": 4,
    "ui": 4,
    "api": 4,
    "eval": 4,
    "bench": 4,
}
SIBLINGS = {("rag", "ingest"), ("ingest", "rag")}  # same layer, but never to import each other


def layer_of(module: str) -> tuple[str, int] | None:
    """(the prefix that places it, its layer), or None for a module outside rawi (stdlib, third party)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    return None


def module_name(path: Path, repo: Path) -> str:
    rel = path.relative_to(repo).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, repo: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, repo).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            # `from rag import assistant` imports rag.assistant: name the submodule when there is one.
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                found.append((node.lineno, candidate if _is_module(candidate, repo) else base))
    return found


def _is_module(dotted: str, repo: Path) -> bool:
    path = repo.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def violations(paths: list[Path], repo: Path = REPO) -> list[str]:
    """One line per import that points up a layer or sideways between rag/ and ingest/."""
    problems = []
    for path in paths:
        here = layer_of(module_name(path, repo))
        if here is None:
            continue
        for line, target in imports_of(path, repo):
            there = layer_of(target)
            if there is None:
                continue
            (src_prefix, src_layer), (dst_prefix, dst_layer) = here, there
            src_top, dst_top = src_prefix.split(".")[0], dst_prefix.split(".")[0]
            if dst_layer > src_layer:
                problems.append(f"{path.relative_to(repo)}:{line} imports {target} (layer {dst_layer}) "
                                f"from layer {src_layer}: imports must point down")
            elif (src_top, dst_top) in SIBLINGS:
                problems.append(f"{path.relative_to(repo)}:{line} imports {target}: rag/ and ingest/ never import each other")
    return problems


def product_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def test_every_import_points_down_a_layer_and_rag_and_ingest_stay_apart():
    assert product_files(), "no product code found"
    assert violations(product_files()) == []


@pytest.mark.parametrize(("where", "planted", "why"), [
    ("core/planted.py", "from vendors.store import ChunkStore\n", "must point down"),
    ("vendors/planted.py", "def f():\n    from rag.assistant import Assistant\n", "must point down"),
    ("rag/planted.py", "from ingest.pipeline import Ingester\n", "never import each other"),
    ("ingest/planted.py", "import rag.retrieve\n", "never import each other"),
    ("rag/planted.py", "from ui.app import build_app\n", "must point down"),
    ("rawi/compose_planted.py", "from eval import runner\n", "must point down"),
    ("rawi/planted.py", "from cli.main import main\n", "must point down"),
    ("rag/planted.py", "from api.routes import build_api\n", "must point down"),
])
def test_a_planted_upward_or_sideways_import_is_caught(tmp_path, where, planted, why):
    # A copy of the package layout (empty modules, so names resolve) with one offending file planted.
    fake_repo = tmp_path / "repo"
    for py in product_files():
        dest = fake_repo / py.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("", encoding="utf-8")
    target = fake_repo / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(planted, encoding="utf-8")
    found = violations([target], repo=fake_repo)
    assert len(found) == 1 and why in found[0], found
