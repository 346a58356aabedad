"""The layer rules of docs/architecture.md hold in the code, by construction.

The rules are read from the doc's "Layers" table, so the doc and this test cannot
drift apart: a module may import its own package and the packages of lower layers,
never a package of its own layer or a higher one; no two modules import each other,
directly or round a cycle; the network is reached only where the doc says. Imports
guarded by ``if TYPE_CHECKING:`` are annotations, not dependencies, and are skipped.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "sentinelle"
ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Modules that reach the network, and the one module allowed to import each.
NETWORK = {"httpx": "sentinelle.sources.http", "smtplib": "sentinelle.alerts.channels"}
FORBIDDEN = ("requests", "urllib.request", "socket", "http.client")


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module} imports {self.imported}: {self.rule}"


def read_layers(doc: Path) -> dict[str, int]:
    """Package → layer number, from the rows ``| N | `a`, `b` | ...`` of the doc."""
    layers: dict[str, int] = {}
    in_table = False
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_table = line.strip() == "## Layers"
            continue
        match = re.match(r"\|\s*(\d+)\s*\|([^|]*)\|", line) if in_table else None
        if match:
            for name in re.findall(r"`([a-z_0-9]+)`", match.group(2)):
                layers[name] = int(match.group(1))
    return layers


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Absolute names imported anywhere in ``tree`` except under ``if TYPE_CHECKING``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                name = f"{prefix}.{node.module}" if node.module else prefix
            else:
                name = node.module or ""
            found.add(name)
            # ``from sentinelle import geo`` imports the subpackage geo
            found.update(f"{name}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the package's own modules it imports, for every ``.py`` under ``root``."""
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        raw = _imports(tree, name, path.name == "__init__.py")
        graph[name] = {m for m in raw if m in modules and m != name}
        graph[name] |= {f"!{m}" for m in raw if m not in modules}  # third-party, marked
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def layer_violations(root: Path, layers: dict[str, int]) -> list[Violation]:
    """Imports that break the layer rules, and third-party network imports out of place."""
    graph = import_graph(root)
    top = root.name
    found = []
    for module, imported in sorted(graph.items()):
        own = _package(module)
        if own not in layers and module != top:
            found.append(Violation(module, "-", "its package has no layer in the doc"))
            continue
        for target in sorted(imported):
            if target.startswith("!"):
                name = target[1:]
                allowed = next((m for n, m in NETWORK.items() if name.split(".")[0] == n), None)
                if allowed and module != allowed:
                    found.append(Violation(module, name, f"only {allowed} reaches the network"))
                if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                    found.append(Violation(module, name, "no other network client"))
                continue
            other = _package(target)
            if other == own or target == top or module == top:
                continue
            if layers.get(other, 99) >= layers.get(own, -1):
                found.append(
                    Violation(
                        module,
                        target,
                        f"layer {layers.get(own)} ({own}) may not import "
                        f"layer {layers.get(other)} ({other})",
                    )
                )
    return found


def import_cycles(root: Path) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan)."""
    graph = {m: {t for t in ts if not t.startswith("!")} for m, ts in import_graph(root).items()}
    # A package's __init__ re-exporting its modules is not a cycle with them.
    for module in graph:
        graph[module] = {t for t in graph[module] if not module.startswith(t + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return cycles


def test_layers_are_read_from_the_doc() -> None:
    layers = read_layers(ARCHITECTURE)
    assert layers["errors"] < layers["store"] < layers["sources"] < layers["panel"]
    assert layers["forecast"] < layers["evaluate"] < layers["report"] < layers["cli"]
    assert {p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or p.is_dir()} - {
        "__init__.py",
        "__pycache__",
        "locale",
    } <= {f"{n}.py" for n in layers} | set(layers)


def test_the_code_follows_the_layers_of_the_doc() -> None:
    violations = layer_violations(PACKAGE, read_layers(ARCHITECTURE))
    assert not violations, "\n".join(map(str, violations))


def test_no_module_imports_round_a_cycle() -> None:
    assert import_cycles(PACKAGE) == []


# --- the checker itself, on small trees with the cycles the redesign removed ---------

FIXTURE_LAYERS = {"i18n": 1, "forecast": 2, "evaluate": 3, "impact": 3, "alerts": 4, "report": 5}


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "sentinelle"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if path.parent != root and not (path.parent / "__init__.py").exists():
            (path.parent / "__init__.py").write_text("")
    return root


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        # report/brief.py imports impact while impact/report.py imports report.i18n
        (
            {
                "report/brief.py": "from sentinelle.impact import run\n",
                "report/i18n.py": "",
                "impact/run.py": "",
                "impact/report.py": "from sentinelle.report.i18n import N_\n",
            },
            "layer 3 (impact) may not import layer 5 (report)",
        ),
        # alerts/wording.py imports report.i18n
        (
            {"alerts/wording.py": "from sentinelle.report import i18n\n", "report/i18n.py": ""},
            "layer 4 (alerts) may not import layer 5 (report)",
        ),
        # forecast/ensemble.py imports evaluate.scores while evaluate imports forecast
        (
            {
                "forecast/ensemble.py": "from sentinelle.evaluate.scores import crps\n",
                "evaluate/scores.py": "",
                "evaluate/backtest.py": "from sentinelle.forecast import ensemble\n",
            },
            "layer 2 (forecast) may not import layer 3 (evaluate)",
        ),
        # i18n importing a later stage; the two analyses importing each other
        (
            {"i18n.py": "import sentinelle.alerts\n", "alerts/__init__.py": ""},
            "layer 1 (i18n) may not import layer 4 (alerts)",
        ),
        (
            {"impact/run.py": "from sentinelle.evaluate import x\n", "evaluate/x.py": ""},
            "layer 3 (impact) may not import layer 3 (evaluate)",
        ),
        # alerts/delivery.py posting with httpx itself, outside the one HTTP client
        ({"alerts/delivery.py": "import httpx\n"}, "only sentinelle.sources.http reaches"),
    ],
)
def test_the_checker_catches_each_broken_rule(tmp_path: Path, files: dict, rule: str) -> None:
    found = layer_violations(_tree(tmp_path, files), FIXTURE_LAYERS)
    assert any(rule in str(v) for v in found), found


def test_the_checker_catches_a_cycle_inside_a_package(tmp_path: Path) -> None:
    # impact/run.py <-> impact/store.py
    root = _tree(
        tmp_path,
        {
            "impact/run.py": "from sentinelle.impact.store import save\n",
            "impact/store.py": "from sentinelle.impact.run import Result\n",
        },
    )
    assert import_cycles(root) == [["sentinelle.impact.run", "sentinelle.impact.store"]]


def test_type_checking_imports_and_own_package_are_allowed(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "forecast/a.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from sentinelle.report import x\n"
            "from sentinelle.forecast import b\nfrom sentinelle import i18n\n",
            "forecast/b.py": "",
            "report/x.py": "",
            "i18n.py": "",
        },
    )
    assert layer_violations(root, FIXTURE_LAYERS) == []
    assert import_cycles(root) == []
