"""The layering rules, checked on the source (`make check`): no import circle, and `config/`'s
subpackages import no app.

Every import counts, those inside functions too (a function-level import is how a circle hides),
except under `if TYPE_CHECKING:`. Module-level and deferred imports alike are read from the AST,
nothing is imported. `python -m config.dev.importgraph` prints each violation and exits 1.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "quizzes", "leaderboard", "ratelimit")
PACKAGES = ("config", *APPS)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of `packages` under `root` (migrations left out), by dotted name."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[module_name(path, root)] = path
    return found


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports (a `from package import module` names the module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {_owner(target, modules) for target in targets} - {None, name}


def _owner(target: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `target` names or lies in."""
    while target:
        if target in modules:
            return target
        target = target.rpartition(".")[0]
    return None


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    modules = source_modules(root, packages)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layering_violations(graph: dict[str, set[str]], apps: tuple[str, ...] = APPS) -> list[str]:
    """`config.<subpackage>` modules that import an app (only config's top-level wiring may)."""
    problems = []
    for name, targets in sorted(graph.items()):
        parts = name.split(".")
        if parts[0] != "config" or len(parts) < 3:
            continue  # config's own top-level modules are the wiring
        for target in sorted(targets):
            if target.split(".")[0] in apps:
                problems.append(f"{name} imports {target}: config's subpackages import no app")
    return problems


def check(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES, apps: tuple[str, ...] = APPS) -> list[str]:
    """Every violation of the two rules, as sentences."""
    graph = import_graph(root, packages)
    problems = [f"import circle: {' -> '.join(group)}" for group in circles(graph)]
    return problems + layering_violations(graph, apps)


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem)
    print(f"import graph: {len(problems)} problem(s)" if problems else "import graph: no circle, config's subpackages import no app")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
