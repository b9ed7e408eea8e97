"""The README tells the truth about the commands, the settings and the modules."""

from pathlib import Path

from core.settings import SECTION_TYPES, env_var, settings_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:12])
    assert "make run" in first_screen and "make test" in first_screen


def test_readme_configuration_is_the_generated_table():
    assert settings_table() in README, "README.md is stale: paste the output of `python -m core.settings`"


def test_readme_lists_every_setting_with_its_env_var_and_default():
    for section, model in SECTION_TYPES.items():
        for flat, name in model.flat_names().items():
            row = next((line for line in README.splitlines()
                        if line.startswith(f"| `{section}.{name}` | `{env_var(flat)}`")), None)
            assert row is not None, f"{env_var(flat)} missing from the README"
            default = model.model_fields[name].default
            if isinstance(default, (str, int, float, bool, Path)) and default not in ("",):
                assert f"`{default}`" in row, f"README shows a stale default for {section}.{name}"


PACKAGES = ("core", "vendors", "ingest", "rag", "rawi", "cli", "ui", "api", "eval", "bench")


def file_map_paths() -> list[str]:
    """The paths in the first column of the README's file map."""
    section = README.split("## File map", 1)[1].split("\n## ", 1)[0]
    return [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]


def test_readme_file_map_names_every_module():
    for package in PACKAGES:
        for module in (ROOT / package).glob("*.py"):
            if module.name == "__init__.py":
                continue
            assert f"`{package}/{module.name}`" in README, f"{package}/{module.name} missing from the file map"


def test_every_path_in_the_file_map_exists():
    paths = file_map_paths()
    assert len(paths) > 20
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == [], f"the file map names paths that are not in the tree: {missing}"


def test_no_file_refers_to_a_design_document_outside_the_repository():
    outside = "DESIGN" + ".md"  # spelled apart so this test does not find itself
    tracked = [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in {".py", ".md", ".toml", ".txt", ".cfg", ""}
               and not any(part.startswith(".") or part.endswith(".egg-info") for part in p.relative_to(ROOT).parts)]
    found = [str(p.relative_to(ROOT)) for p in tracked if outside in p.read_text(encoding="utf-8", errors="ignore")]
    assert found == []


def readme_llama_index_example() -> str:
    section = README.split("## Using rawi from llama-index", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_llama_index_example_runs_against_the_sample_store(sample_store_settings, corpus_dir, tmp_path, monkeypatch,
                                                                 capsys):
    # The example's relative paths (.rawi, data/corpus) as they are after `make run` in a checkout.
    (tmp_path / ".rawi").symlink_to(sample_store_settings.store.path, target_is_directory=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "corpus").symlink_to(corpus_dir, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_llama_index_example(), "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("llm unknown") and "cites no source" in printed[0]
    assert len(printed) == 1 + 3 + 1 and printed[-1].split()[0].isdigit()
