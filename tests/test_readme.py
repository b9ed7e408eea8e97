"""The README tells the truth about the commands, the settings and the modules."""

from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:12])
    assert "make run" in first_screen and "make test" in first_screen


def test_readme_lists_every_setting_with_its_env_var_and_default():
    for name, field in Settings.model_fields.items():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` | `RAWI_{name.upper()}`")), None)
        assert row is not None, f"RAWI_{name.upper()} missing from the README"
        default = field.default
        if isinstance(default, (str, int, float, bool, Path)) and default not in ("",):
            assert f"`{default}`" in row, f"README shows a stale default for {name}"


def test_readme_file_map_names_every_module():
    for package in ("rag", "ingest", "ui", "eval"):
        for module in (ROOT / package).glob("*.py"):
            if module.name == "__init__.py":
                continue
            assert f"`{package}/{module.name}`" in README, f"{package}/{module.name} missing from the file map"
