"""A scanned folder that is itself a package: the name it imports itself by is read from its code."""

from __future__ import annotations

from pathlib import Path

from firstpatch.analysis.engine import _load_modules
from firstpatch.analysis.models import load_catalog
from firstpatch.analysis.program import ROOT_PACKAGE, Program, build_program
from firstpatch.target import Target


def _program(root: Path, files: dict[str, str]) -> Program:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    modules, _ = _load_modules(Target.open(root))
    return build_program(modules, load_catalog())


def test_the_own_name_comes_from_the_imports_not_the_folder(tmp_path: Path) -> None:
    program = _program(
        tmp_path / "checkout-2",
        {
            "__init__.py": "from shop.cart import Cart\n",
            "cart.py": "from shop.prices import price\nclass Cart:\n    pass\n",
            "prices.py": "import shop.cart\ndef price(x):\n    return x\n",
        },
    )
    assert program.own_name == "shop"
    assert program.resolve_module("shop") == ROOT_PACKAGE
    assert program.resolve_module("shop.prices") == "prices"
    function = program.resolve_function("shop.prices.price")
    assert function is not None
    assert function.qualname == "prices.price"


def test_a_library_whose_modules_share_some_of_our_names_is_not_our_own(tmp_path: Path) -> None:
    program = _program(
        tmp_path / "app",
        {
            "__init__.py": "",
            "utils.py": "def helper():\n    pass\n",
            "http.py": "from django import utils, http\nfrom django.db import models\n"
            "from django.conf import settings\nfrom django.urls import path\n",
        },
    )
    assert program.own_name == ""  # django: 2 of its 5 imports happen to match, not nearly all
    assert program.resolve_module("django.utils") is None


def test_a_folder_that_is_not_a_package_has_no_own_name(tmp_path: Path) -> None:
    program = _program(
        tmp_path / "repo",
        {
            "shop/__init__.py": "",
            "shop/cart.py": "from shop.prices import price\n",
            "shop/prices.py": "def price(x):\n    return x\n",
        },
    )
    assert program.own_name == ""
    assert program.resolve_module("shop.prices") == "shop.prices"
