"""Map the top-level layer folders under one namespace import package, ``care_contracts``.

``domain/`` installs as ``care_contracts.domain``, ``services/`` as ``care_contracts.services`` and
``projections/`` as ``care_contracts.projections``; no generic name lands in site-packages.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
LAYERS = ("domain", "services", "projections")


def _package_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for layer in LAYERS:
        for init in sorted((ROOT / layer).rglob("__init__.py")):
            folder = init.parent.relative_to(ROOT)
            mapping["care_contracts." + ".".join(folder.parts)] = folder.as_posix()
    return mapping


_MAP = _package_map()
setup(packages=list(_MAP), package_dir=_MAP)
