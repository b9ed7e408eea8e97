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


def test_readme_file_map_names_every_module():
    for package in ("rag", "ingest", "ui", "eval"):
        for module in (ROOT / package).glob("*.py"):
            if module.name == "__init__.py":
                continue
            assert f"`{package}/{module.name}`" in README, f"{package}/{module.name} missing from the file map"
