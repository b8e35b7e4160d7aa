"""Patches of library internals name the versions they were written against; an upgrade outside
that range fails here first, with the module to re-read, instead of somewhere in production."""
from __future__ import annotations

import tomllib
from importlib import import_module
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

PATCHING_MODULES = [
    "config.jobs.worker",
    "config.jobs.cron_scheduler",
    "config.realtime.channel_layer",
    "config.redis.clients",
    "config.metrics.http",
]


def _patches():
    for module in PATCHING_MODULES:
        for library, spec in import_module(module).PATCHES.items():
            yield pytest.param(module, library, spec, id=f"{module}:{library}")


@pytest.mark.parametrize("module, library, spec", list(_patches()))
def test_installed_library_is_in_the_range_its_patch_was_written_against(module, library, spec):
    installed = version(library)
    assert installed in SpecifierSet(spec), (
        f"{library} {installed} is installed, but {module} patches its internals and was written "
        f"against {library}{spec}: re-read the overridden methods against {library} {installed}, "
        f"then widen PATCHES in {module} and the pin in pyproject.toml"
    )


def _bounds(spec: SpecifierSet) -> tuple[Version, Version]:
    lower = next(Version(s.version) for s in spec if s.operator == ">=")
    upper = next(Version(s.version) for s in spec if s.operator == "<")
    return lower, upper


def test_pyproject_pins_each_patched_library_within_its_range():
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())
    pins = {canonicalize_name(r.name): r.specifier for r in map(Requirement, pyproject["project"]["dependencies"])}
    for param in _patches():
        module, library, spec = param.values
        pin_low, pin_high = _bounds(pins[canonicalize_name(library)])
        low, high = _bounds(SpecifierSet(spec))
        assert low <= pin_low and pin_high <= high, (
            f"pyproject.toml admits {library}{pins[canonicalize_name(library)]}, wider than {spec}, "
            f"the range {module} was written against"
        )
