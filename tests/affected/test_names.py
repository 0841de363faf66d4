"""Module-level changes followed by name (``names.py``): a changed constant, class or re-export
selects the tests that read it, through aliases, re-exports and module attributes, and leaves
what it cannot follow to the import graph."""

from __future__ import annotations

import pytest

from omnicloud.affected.imports import ImportGraph, build_graph, parse_imports
from omnicloud.affected.names import Spread, follow_names, spread
from omnicloud.affected.testmap import MapHit, MapSelection, TestMap, changed_names, cut_units

PRICING = "src/shop/pricing.py"

FILES = {
    "src/shop/__init__.py": "from shop.pricing import TAX_RATE as RATE\n",
    PRICING: """\
TAX_RATE = 0.2
FACTOR = 1 + TAX_RATE
UNRELATED = 3


def gross(price):
    return price * FACTOR


def net(price):
    return price


def with_default(price, rate=TAX_RATE):
    return price * rate


class Till:
    rate = TAX_RATE

    def charge(self):
        return 1
""",
    "src/shop/cart.py": """\
from shop import pricing


def total():
    return pricing.TAX_RATE


def other():
    return pricing.net(1)


def whole():
    return vars(pricing)
""",
    "src/shop/report.py": """\
import shop.pricing as p

SUMMARY = p.FACTOR


def show():
    return SUMMARY


def quiet():
    return 0
""",
    "src/shop/side.py": "from shop.pricing import UNRELATED\n\nprint(UNRELATED)\n",
    "src/shop/uses_till.py": "from .pricing import Till\n\n\ndef make():\n    return Till()\n",
    "tests/test_a.py": """\
from shop.pricing import TAX_RATE, net


def test_rate():
    assert TAX_RATE


def test_net():
    assert net(1)


class TestK:
    def test_k(self):
        assert TAX_RATE
""",
    "tests/test_b.py": """\
import pytest

from shop import RATE


@pytest.fixture
def rate():
    return RATE


def test_x(rate):
    assert rate
""",
    "tests/test_c.py": """\
from shop.pricing import TAX_RATE

pytestmark = [] if TAX_RATE else None


def test_y():
    pass
""",
}

TESTS = [
    "tests/test_a.py::test_rate",
    "tests/test_a.py::test_net",
    "tests/test_a.py::TestK::test_k",
    "tests/test_b.py::test_x",
    "tests/test_c.py::test_y",
    "tests/test_p.py::test_gross",
    "tests/test_p.py::test_net",
    "tests/test_p.py::test_total",
    "tests/test_p.py::test_other",
    "tests/test_p.py::test_show",
    "tests/test_p.py::test_quiet",
    "tests/test_p.py::test_default",
    "tests/test_p.py::test_charge",
    "tests/test_p.py::test_whole",
]
USED = {
    PRICING: {"gross": [5], "net": [1, 6, 8], "with_default": [11], "Till.charge": [12]},
    "src/shop/cart.py": {"total": [7], "other": [8], "whole": [13]},
    "src/shop/report.py": {"show": [9], "quiet": [10]},
}


def graph(files: dict[str, str]) -> ImportGraph:
    return build_graph({p: parse_imports(t) for p, t in files.items()}, ["src", "."])


def make_map(files: dict[str, str]) -> TestMap:
    code = {}
    for path, used in USED.items():
        units = cut_units(files[path])
        prints = dict(units.fingerprints) if units is not None else {}
        code[path] = {"units": prints, "used": used, "fingerprint": ""}
    test_files = {p: "" for p in files if p.startswith("tests/")}
    return TestMap(tests=TESTS, code=code, test_files=test_files)


def run(files: dict[str, str], changed: dict[str, set[str]]) -> tuple[list[str], list[str]]:
    found = spread(make_map(files), graph(files), files.get, changed)
    return [test for test, _ in found.hits], list(found.unknown)


def test_a_changed_constant_selects_its_readers_only() -> None:
    hits, unknown = run(FILES, {PRICING: {"TAX_RATE"}})
    assert hits == [
        "tests/test_a.py::TestK::test_k",  # a method of a test class, by node id
        "tests/test_a.py::test_rate",  # reads the imported name
        "tests/test_p.py::test_charge",  # a method of Till, whose class attribute reads it
        "tests/test_p.py::test_default",  # a default value reads it
        "tests/test_p.py::test_gross",  # FACTOR = 1 + TAX_RATE, read by gross
        "tests/test_p.py::test_show",  # report.py: SUMMARY = p.FACTOR, read by show
        "tests/test_p.py::test_total",  # pricing.TAX_RATE through a module alias
        "tests/test_p.py::test_whole",  # the module object passed whole: it may read anything
    ]
    # a fixture reading the re-export (shop.RATE): any test of the file may use it;
    # pytestmark marks every test of its file; uses_till.py reads Till (whose class attribute
    # reads TAX_RATE) but no test ran it in the recording: the import graph decides
    assert sorted(unknown) == ["src/shop/uses_till.py", "tests/test_b.py", "tests/test_c.py"]


def test_what_cannot_be_followed_goes_to_the_import_graph() -> None:
    hits, unknown = run(FILES, {PRICING: {"UNRELATED"}})
    assert hits == ["tests/test_p.py::test_whole"]
    assert unknown == ["src/shop/side.py"]  # print(UNRELATED) binds nothing
    files = {**FILES, "tests/conftest.py": "from shop.pricing import net\n\nN = net\n"}
    files["tests/conftest.py"] += "\n\ndef helper():\n    return N\n"
    _, unknown = run(files, {PRICING: {"net"}})
    # conftest.py is not probed and its fixtures serve its folder: every test file there
    assert unknown == ["tests/conftest.py", "tests/test_a.py", "tests/test_b.py", "tests/test_c.py"]
    broken = {**FILES, "src/shop/cart.py": "def broken(:\n"}  # imports it, then broke
    found = spread(make_map(FILES), graph(FILES), broken.get, {PRICING: {"TAX_RATE"}})
    assert "src/shop/cart.py" in found.unknown
    nothing: dict[str, str] = {}
    gone = spread(make_map(FILES), graph(FILES), nothing.get, {PRICING: {"TAX_RATE"}})
    assert gone == Spread(unknown=(PRICING,))


def test_a_changed_class_selects_the_tests_that_ran_its_methods() -> None:
    hits, unknown = run(FILES, {PRICING: {"Till"}})
    assert hits == ["tests/test_p.py::test_charge", "tests/test_p.py::test_whole"]
    assert unknown == ["src/shop/uses_till.py"]


def test_relative_import_outside_a_package_cannot_be_told() -> None:
    files = {**FILES, "loose.py": "from ..shop.pricing import TAX_RATE\n"}
    g = graph(files)
    g.edges["loose.py"] = (PRICING,)  # type: ignore[index]
    found = spread(make_map(files), g, files.get, {PRICING: {"TAX_RATE"}})
    assert "loose.py" in found.unknown


@pytest.mark.parametrize(
    ("before", "after", "names"),
    [
        ("A = 1\nB = 2\n", "A = 1\nB = 3\n", {"B"}),
        ("A = 1\n", "A = 1\nC = 2\n", {"C"}),  # a new name
        ("A = 1\nB = 2\n", "A = 1\n", None),  # a name went away: its readers break
        ("A = 1\n", "A = 1\nprint(A)\n", None),  # binds nothing: cannot be followed
        ("X = []\n", "X = []\nX.append(1)\n", {"X"}),  # a mutation changes the name
        ("class C:\n    a = 1\n", "class C:\n    a = 2\n", {"C"}),
        ("def f(a=1):\n    pass\n", "def f(a=2):\n    pass\n", {"f"}),
        ("def f(a=1):\n    pass\n", "def f(a=1):\n    return 2\n", set()),  # the body: blocks
        ("if A:\n    B = 1\n", "if A:\n    B = 2\n", {"B"}),
        ("if A:\n    import os\n", "if A:\n    import sys\n", None),  # os went away
    ],
)
def test_changed_names(before: str, after: str, names: set[str] | None) -> None:
    old, new = cut_units(before), cut_units(after)
    assert old is not None
    assert new is not None
    assert changed_names(old.fingerprints, new.fingerprints) == names


def test_follow_names_is_fail_safe() -> None:
    found = MapSelection((MapHit("t::a", "why"),), ("x.py",), ((PRICING, ("TAX_RATE",)),))
    without_graph = follow_names(found, make_map(FILES), None, FILES.get)
    assert without_graph.unknown == ("x.py", PRICING)
    assert without_graph.hits == found.hits
    nothing = MapSelection(())
    assert follow_names(nothing, make_map(FILES), graph(FILES), FILES.get) is nothing
    followed = follow_names(found, make_map(FILES), graph(FILES), FILES.get)
    assert "tests/test_a.py::test_rate" in {h.test for h in followed.hits}
    assert sorted(followed.unknown) == [
        "src/shop/uses_till.py",
        "tests/test_b.py",
        "tests/test_c.py",
        "x.py",
    ]


def test_star_imports_diamonds_annotations_and_files_outside_the_roots() -> None:
    files = {
        "src/shop/__init__.py": "",
        PRICING: "TAX_RATE = 1\n",
        "src/shop/a.py": "from shop.pricing import TAX_RATE\n",
        "src/shop/b.py": "from shop.pricing import *\n",  # every changed name
        "src/shop/c.py": (
            "from shop.a import TAX_RATE\nfrom shop.b import TAX_RATE as T2\n\n\n"
            "def f() -> TAX_RATE:\n    return 0\n\n\ndef g():\n    return T2\n"
        ),
        "src/shop/d.py": (
            "from shop.c import f\nfrom shop.c import g as h\n\n\ndef k():\n    return h\n"
        ),
    }
    code = {}
    for path, used in {"src/shop/c.py": {"f": [0], "g": [1]}}.items():
        units = cut_units(files[path])
        assert units is not None
        code[path] = {"units": dict(units.fingerprints), "used": used}
    test_map = TestMap(tests=["t.py::test_f", "t.py::test_g"], code=code)
    found = spread(test_map, graph(files), files.get, {PRICING: {"TAX_RATE"}})
    # f's return annotation reads it (through a.py), g reads it through b.py's star import;
    # c.py is reached twice (from a.py and b.py) and followed once per new name
    assert [t for t, _ in found.hits] == ["t.py::test_f", "t.py::test_g"]
    assert found.unknown == ()  # d.py imports f and g, which are functions: nothing rebound
    outside = {**files, "scripts/tool.py": "A = 1\n"}
    only_src = build_graph({p: parse_imports(t) for p, t in outside.items()}, ["src"])
    found = spread(test_map, only_src, outside.get, {"scripts/tool.py": {"A"}})
    assert found.unknown == ("scripts/tool.py",)  # no module name: its importers are unknown


def test_a_store_is_no_read_but_an_augmented_assignment_is() -> None:
    files = {
        "src/shop/__init__.py": "",
        PRICING: "TAX_RATE = 1\n\n\ndef reset():\n    global TAX_RATE\n    TAX_RATE = 0\n\n\n"
        "def bump():\n    global TAX_RATE\n    TAX_RATE += 1\n",
    }
    units = cut_units(files[PRICING])
    assert units is not None
    used = {"reset": [0], "bump": [1]}
    entry = {"units": dict(units.fingerprints), "used": used}
    test_map = TestMap(tests=["t.py::test_reset", "t.py::test_bump"], code={PRICING: entry})
    found = spread(test_map, graph(files), files.get, {PRICING: {"TAX_RATE"}})
    assert [t for t, _ in found.hits] == ["t.py::test_bump"]


def test_a_file_reached_twice_is_followed_once_per_new_name() -> None:
    files = {
        "src/shop/__init__.py": "",
        PRICING: "TAX_RATE = 1\n",
        "src/shop/a.py": "from shop.pricing import TAX_RATE\n",
        "src/shop/b.py": "from shop.pricing import TAX_RATE\n",
        # not probed: reads both names, so it is given up on (once in the answer)
        "src/shop/c.py": (
            "from shop.a import TAX_RATE\nfrom shop.b import TAX_RATE as R\n\n\n"
            "def f():\n    n = 0\n    n += 1\n    return TAX_RATE + R + n\n"
        ),
        # reached through a.py and b.py with the same name: followed once
        "src/shop/e.py": "from shop.a import TAX_RATE\nfrom shop.b import TAX_RATE\n",
    }
    found = spread(TestMap(), graph(files), files.get, {PRICING: {"TAX_RATE"}})
    assert found.hits == ()
    assert found.unknown == ("src/shop/c.py",)
