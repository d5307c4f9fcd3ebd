"""setup.cfg and environment.yml declare the same dependencies."""
import configparser

import yaml

from conftest import REPO


def _normalise(requirement: str) -> str:
    return requirement.replace(" ", "").lower()


def test_conda_environment_lists_the_same_dependencies_as_setup_cfg():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    declared = [line for line in setup["options"]["install_requires"].splitlines() if line.strip()]
    declared += [line for line in setup["options.extras_require"]["dev"].splitlines() if line.strip()]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict))
    assert sorted(map(_normalise, pip)) == sorted(map(_normalise, declared))


def test_console_script_points_at_the_cli():
    setup = configparser.ConfigParser()
    setup.read(REPO / "setup.cfg")
    assert "jumps = jumps_pl.cli:main" in setup["options.entry_points"]["console_scripts"]
