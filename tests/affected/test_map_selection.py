"""Test-level selection by the per-test map on a generated src-layout project with a history of
seeded source and data edits: shadow runs measure recall 100 % with a selection smaller than
the import graph's; data edits, which the import graph cannot see, are caught."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from affected_repo import Project

from omnicloud.affected import compute_selection
from omnicloud.affected.testmap import TestMap, cut_units, digest, save_map, select_by_map
from omnicloud.cli import main
from omnicloud.config import load_config

CONFIG = """\
[project]
name = "shop"
base_ref = "main"

[affected]
test_paths = ["tests"]
"""

FILES = {
    "src/shop/__init__.py": "",
    "src/shop/pricing.py": """\
TAX_RATE = 0.2


def net(price):
    return round(price, 2)


def gross(price):
    return round(price * (1 + TAX_RATE), 2)


def discount(price, percent):
    if percent >= 100:
        return 0.0
    return round(price * (100 - percent) / 100, 2)
""",
    "src/shop/cart.py": """\
from shop.pricing import discount, gross


class Cart:
    def __init__(self):
        self.lines = []

    def add(self, price, quantity=1):
        self.lines.append((price, quantity))

    def total(self):
        return round(sum(gross(p) * q for p, q in self.lines), 2)

    def total_with(self, percent):
        return discount(self.total(), percent)
""",
    "src/shop/catalog.py": """\
import json
from pathlib import Path


def load(path):
    return json.loads(Path(path).read_text())


def price_of(catalog, sku):
    return catalog[sku]["price"]
""",
    "src/shop/stock.py": """\
def reserve(stock, sku, count):
    if stock.get(sku, 0) < count:
        raise ValueError(sku)
    stock[sku] -= count
    return stock[sku]
""",
    "tests/fixtures/catalog.json": '{"apple": {"price": 1.5}, "pear": {"price": 2.0}}\n',
    "tests/fixtures/stock.toml": "apple = 10\npear = 3\n",
    "tests/test_pricing.py": """\
from shop.pricing import TAX_RATE, discount, gross, net


def test_rate():  # uses a constant: executes no line of pricing.py while it runs
    assert TAX_RATE == 0.2


def test_net():
    assert net(1.234) == 1.23


def test_gross():
    assert gross(10) == 12.0


def test_discount():
    assert discount(50, 10) == 45.0


def test_full_discount():
    assert discount(50, 100) == 0.0
""",
    "tests/test_cart.py": """\
from shop.cart import Cart


def test_empty():
    assert Cart().total() == 0


def test_total():
    cart = Cart()
    cart.add(10, 2)
    assert cart.total() == 24.0


def test_total_with_discount():
    cart = Cart()
    cart.add(10)
    assert cart.total_with(50) == 6.0
""",
    "tests/test_catalog.py": """\
from pathlib import Path

from shop.catalog import load, price_of

FIXTURES = Path(__file__).parent / "fixtures"


def test_apple_price():
    assert price_of(load(FIXTURES / "catalog.json"), "apple") == 1.5


def test_names():
    assert sorted(load(FIXTURES / "catalog.json")) == ["apple", "pear"]
""",
    "tests/test_stock.py": """\
import tomllib
from pathlib import Path

import pytest

from shop.stock import reserve

FIXTURES = Path(__file__).parent / "fixtures"


def stock():
    return tomllib.loads((FIXTURES / "stock.toml").read_text())


def test_reserve():
    assert reserve(stock(), "pear", 2) == 1


def test_too_many():
    with pytest.raises(ValueError):
        reserve({"pear": 1}, "pear", 2)
""",
}

Edit = Callable[[Project], None]


def replace_in(path: str, old: str, new: str) -> Edit:
    def edit(project: Project) -> None:
        text = (project.root / path).read_text()
        assert old in text, (path, old)
        (project.root / path).write_text(text.replace(old, new))

    return edit


#: Seeded edits, each a bug that some tests catch (or a harmless edit that none do).
EDITS: dict[str, Edit] = {
    "discount off by one": replace_in("src/shop/pricing.py", "(100 - percent)", "(99 - percent)"),
    "tax rate constant": replace_in("src/shop/pricing.py", "TAX_RATE = 0.2", "TAX_RATE = 0.25"),
    "reserve takes one": replace_in("src/shop/stock.py", "stock[sku] -= count", "stock[sku] -= 1"),
    "catalog fixture price": replace_in("tests/fixtures/catalog.json", "1.5", "1.25"),
    "stock fixture count": replace_in("tests/fixtures/stock.toml", "pear = 3", "pear = 2"),
    "full discount keeps the price": replace_in(
        "src/shop/pricing.py", "        return 0.0", "        return price"
    ),
    "harmless comment in net": replace_in(
        "src/shop/pricing.py", "    return round(price, 2)", "    return round(price, 2)  # cents"
    ),
}


def omnicloud(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_BASE_REF", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "omnicloud", "affected", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    project = Project(tmp_path / "shop")
    project.root.mkdir()
    project.git("init", "-q", "-b", "main")
    project.write("omnicloud.toml", CONFIG)
    project.write(".gitignore", ".omnicloud/\n__pycache__/\n")
    for path, text in FILES.items():
        project.write(path, text)
    project.commit("shop")
    return project


@pytest.mark.slow
def test_shadow_runs_over_a_seeded_history_measure_full_recall(
    shop: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    recorded = omnicloud(shop, "--record")  # through the real entry point once
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert (shop.root / ".omnicloud" / "testmap.json").is_file()
    config = str(shop.root / "omnicloud.toml")
    by_imports: list[int] = []
    for number, (name, edit) in enumerate(EDITS.items()):
        shop.git("checkout", "-q", "-B", f"change-{number}", "main")
        edit(shop)
        shop.commit(name)
        main(["affected", "-c", config, "--shadow"])
        out = capsys.readouterr().out
        assert "shadow: selected" in out, (name, out)
        assert "MISSED" not in out, (name, out)
        without_map = compute_selection(load_config(Path(config)), test_map=Path("none.json"))
        by_imports.append(len(without_map.selection.tests))
        shop.git("checkout", "-q", "main")
        shop.git("branch", "-q", "-D", f"change-{number}")
    stats = omnicloud(shop, "--stats")
    assert stats.returncode == 0
    assert "per-change recall: 100.0% (6 of 6 failing changes" in stats.stdout, stats.stdout
    assert "per-test recall:   100.0%" in stats.stdout
    records = [
        json.loads(line)
        for line in (shop.root / ".omnicloud" / "shadow.jsonl").read_text().splitlines()
    ]
    assert len(records) == len(EDITS)
    harmless = records[-1]
    assert (harmless["selected"], harmless["failing"]) == (0, [])  # a comment changes nothing
    discount = records[0]
    # the tests that ran the changed line's block; test_full_discount returns before it
    assert discount["selected"] == len(discount["failing"]) == 2
    tax = records[1]
    assert "tests/test_pricing.py::test_rate" in tax["failing"]  # it reads the constant
    assert tax["selected"] == len(tax["failing"]) == 4  # followed by name: its readers only
    full = records[5]
    assert full["selected"] == len(full["failing"]) == 1  # the early return's block alone
    catalog = records[3]
    assert catalog["failing"] == ["tests/test_catalog.py::test_apple_price"]
    assert catalog["selected"] == 2  # both tests that opened the fixture
    assert by_imports[3] == 0  # the import graph cannot see a data edit: the map does


def test_units_are_blocks_of_functions_and_module_level_code() -> None:
    source = (
        "X = 1\n\n\nclass C:\n    y = 2\n\n    def m(self, n):\n        def inner():\n"
        "            return 1\n        if n:\n            return inner()\n        return 0\n"
    )
    units = cut_units(source)
    assert units is not None
    assert sorted(units.fingerprints) == [
        "<module>",
        "<module>:C",  # each name bound at module level: followed by name (names.py)
        "<module>:X",
        "C.m",
        "C.m+2",
        "C.m.inner",
        "C.m@1b",
    ]
    # comments and blank lines change nothing
    moved = cut_units("# a comment\n" + source.replace("\n\n\n", "\n\n\n\n"))
    assert moved is not None
    assert moved.fingerprints == units.fingerprints
    # a change inside the if-branch is that block's alone: the condition is its parent's
    branch = cut_units(source.replace("return inner()", "return inner() + 1"))
    assert branch is not None
    assert {k for k in units.fingerprints if units.fingerprints[k] != branch.fingerprints[k]} == {
        "C.m@1b"
    }
    condition = cut_units(source.replace("if n:", "if n > 1:"))
    assert condition is not None
    assert {
        k for k in units.fingerprints if units.fingerprints[k] != condition.fingerprints[k]
    } == {"C.m"}
    signature = cut_units(source.replace("def m(self, n)", "def m(self, n=2)"))
    assert signature is not None
    assert signature.fingerprints["C.m"] != units.fingerprints["C.m"]
    assert cut_units("def broken(:\n") is None


def test_select_by_map_reasons() -> None:
    source = "A = 1\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
    units = cut_units(source)
    assert units is not None
    test_map = TestMap(
        tests=["t.py::test_f", "t.py::test_g", "t.py::test_data"],
        code={
            "m.py": {
                "fingerprint": digest(source),
                "units": dict(units.fingerprints),
                "used": {"f": [0], "g": [1]},
            }
        },
        data={"d.json": {"fingerprint": digest(b"{}"), "used": [2]}},
    )
    files: dict[str, bytes] = {
        "m.py": source.replace("return 2", "return 3").encode(),
        "d.json": b"{}",
    }

    def text(path: str) -> str | None:
        return files[path].decode() if path in files else None

    def raw(path: str) -> bytes | None:
        return files.get(path)

    found = select_by_map(test_map, text, raw)
    assert [(h.test, h.reason) for h in found.hits] == [
        ("t.py::test_g", "executed g in m.py (changed)")
    ]
    files["d.json"] = b'{"x": 1}'
    files["m.py"] = source.replace("A = 1", "A = 2").encode()
    found = select_by_map(test_map, text, raw)
    # a constant: no test ran it, so it is handed on by name to whoever reads A (names.py)
    assert [h.test for h in found.hits] == ["t.py::test_data"]
    assert found.hits[0].reason == "opened d.json (changed since recorded)"
    assert (found.names, found.unknown) == ((("m.py", ("A",)),), ())
    # a statement that binds nothing: its effect cannot be followed, the import graph decides
    files["m.py"] = (source + "print(A)\n").encode()
    found = select_by_map(test_map, text, raw)
    assert [h.test for h in found.hits] == ["t.py::test_data", "t.py::test_f", "t.py::test_g"]
    assert found.hits[1].reason == "executed m.py, whose module-level code changed"
    assert (found.names, found.unknown) == ((), ("m.py",))


def test_the_map_round_trips_and_decodes_entries_lazily(tmp_path: Path) -> None:
    from omnicloud.affected.testmap import LazyEntries, load_map, save_map

    entry = {"blob": "b1", "fingerprint": "f", "units": {"f": "x"}, "used": {"f": [0]}}
    save_map(TestMap(tests=["t.py::a", "t.py::b"], code={"m.py": entry}), tmp_path / "m.json")
    loaded = load_map(tmp_path / "m.json")
    assert loaded is not None
    assert loaded.tests == ["t.py::a", "t.py::b"]
    assert loaded.blob_ids() == {"m.py": "b1"}
    assert isinstance(loaded.code, LazyEntries)
    assert loaded.code["m.py"] == entry


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"version": 1, "tests": []}', "the test map is not valid: not a version-3 test map"),
        ("{not json", "the test map cannot be read"),
    ],
)
def test_an_unreadable_or_older_map_runs_everything(shop: Project, text: str, why: str) -> None:
    (shop.root / ".omnicloud").mkdir()
    (shop.root / ".omnicloud" / "testmap.json").write_text(text)
    shop.git("checkout", "-q", "-b", "change")
    EDITS["discount off by one"](shop)
    shop.commit("discount")
    selection = compute_selection(load_config(shop.root / "omnicloud.toml", environ={})).selection
    assert selection.full_run is not None
    assert why in selection.full_run
    assert "re-record it (omnicloud affected --record)" in selection.full_run
    assert len(selection.tests) == 4  # every test file


def test_new_code_and_new_tests_next_to_the_map(shop: Project) -> None:
    recorded = omnicloud(shop, "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    shop.git("checkout", "-q", "-b", "change")
    shop.write("src/shop/extra.py", "BONUS = 1\n")
    replace_in(
        "src/shop/cart.py", "from shop.pricing", "from shop.extra import BONUS\nfrom shop.pricing"
    )(shop)
    replace_in(
        "src/shop/cart.py", "        self.lines = []", "        self.lines = [] if BONUS else None"
    )(shop)
    shop.write(
        "tests/test_new.py",
        "from shop.stock import reserve\n\n\ndef test_new():\n    assert reserve\n",
    )
    shop.commit("new code, new test")
    selection = compute_selection(load_config(shop.root / "omnicloud.toml", environ={})).selection
    by_file = {item.name: item for item in selection.tests}
    # a module the map has never seen: its importers' test files run whole
    assert by_file["tests/test_cart.py"].tests == ()
    assert "code the test map cannot vouch for" in by_file["tests/test_cart.py"].justification
    # a test file the map has never seen runs whole through the import graph, like without it
    assert "tests/test_new.py" in by_file
    assert set(by_file) == {"tests/test_cart.py", "tests/test_new.py"}


def test_a_map_recorded_under_other_pins_runs_everything(shop: Project) -> None:
    save_map(TestMap(toolchain="other pins"), shop.root / ".omnicloud" / "testmap.json")
    shop.git("checkout", "-q", "-b", "change")
    EDITS["discount off by one"](shop)
    shop.commit("discount")
    selection = compute_selection(load_config(shop.root / "omnicloud.toml", environ={})).selection
    assert selection.full_run is not None
    assert "recorded with other lock files or toolchain pins" in selection.full_run
    assert len(selection.tests) == 4  # every test file


def test_a_fixture_reading_a_changed_constant_runs_its_whole_file(shop: Project) -> None:
    shop.write(
        "tests/test_pricing.py",
        FILES["tests/test_pricing.py"].replace(
            "def test_rate():",
            "import pytest\n\n\n@pytest.fixture\ndef rate():\n    return TAX_RATE\n\n\n"
            "def test_rate():",
        ),
    )
    shop.commit("a fixture reads the constant")
    recorded = omnicloud(shop, "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    shop.git("checkout", "-q", "-b", "change")
    EDITS["tax rate constant"](shop)
    shop.commit("tax")
    selection = compute_selection(load_config(shop.root / "omnicloud.toml", environ={})).selection
    by_file = {item.name: item for item in selection.tests}
    pricing = by_file["tests/test_pricing.py"]
    assert pricing.tests == ()  # any test of the file may use the fixture
    assert pricing.justification == (
        "tests/test_pricing.py <- tests/test_pricing.py (reads a changed module-level name):"
        " code the test map cannot vouch for"
    )
    assert by_file["tests/test_cart.py"].tests == (
        "tests/test_cart.py::test_total",
        "tests/test_cart.py::test_total_with_discount",
    )


def test_a_recorded_test_file_edited_in_the_change_runs_its_changed_tests(shop: Project) -> None:
    recorded = omnicloud(shop, "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    shop.git("checkout", "-q", "-b", "change")
    replace_in("tests/test_pricing.py", "assert net(1.234) == 1.23", "assert net(1.235) == 1.24")(
        shop
    )
    shop.commit("one test")
    selection = compute_selection(load_config(shop.root / "omnicloud.toml", environ={})).selection
    assert [(i.name, i.tests) for i in selection.tests] == [
        ("tests/test_pricing.py", ("tests/test_pricing.py::test_net",))
    ]
