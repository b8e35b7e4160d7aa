"""The layering `make check` enforces: no import circle, and config's subpackages import no app."""
from __future__ import annotations

from pathlib import Path

from config.dev.importgraph import check


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_project_has_no_circle_and_config_subpackages_import_no_app():
    assert check() == []


def test_a_circle_hidden_in_a_function_is_found(tmp_path):
    root = _tree(tmp_path, {
        "config/__init__.py": "", "shop/__init__.py": "",
        "shop/services.py": "from shop import selectors\n",
        "shop/selectors.py": "def read():\n    from shop.archived import row\n",
        "shop/archived.py": "from shop.services import iso\n",
    })
    assert check(root, ("config", "shop"), ("shop",)) == [
        "import circle: shop.archived -> shop.selectors -> shop.services"
    ]


def test_a_config_subpackage_importing_an_app_is_refused_but_the_wiring_may(tmp_path):
    root = _tree(tmp_path, {
        "config/__init__.py": "", "config/urls.py": "from shop import apis\n",
        "config/http/__init__.py": "", "config/http/health.py": "from shop.keys import queued\n",
        "shop/__init__.py": "", "shop/apis.py": "", "shop/keys.py": "",
    })
    assert check(root, ("config", "shop"), ("shop",)) == [
        "config.http.health imports shop.keys: config's subpackages import no app"
    ]


def test_type_checking_imports_do_not_count(tmp_path):
    root = _tree(tmp_path, {
        "config/__init__.py": "", "shop/__init__.py": "",
        "shop/a.py": "from shop import b\n",
        "shop/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shop import a\n",
    })
    assert check(root, ("config", "shop"), ("shop",)) == []
