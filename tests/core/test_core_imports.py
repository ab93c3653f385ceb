"""``core`` is shared ground under the domain apps: it imports none of them (STYLE.md layout),
so an app can be moved, split or replaced without touching it."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

DOMAIN_APPS = {"procurement", "contracts", "internships"}
CORE = Path(settings.BASE_DIR) / "core"


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):  # every depth: an import inside a function counts too
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _domain_imports(source: str) -> list[tuple[int, str]]:
    return [
        (line, module)
        for line, module in _imported_modules(ast.parse(source))
        if module.split(".")[0] in DOMAIN_APPS
    ]


def test_no_module_under_core_imports_a_domain_app():
    offenders = [
        f"{path.relative_to(CORE.parent)}:{line}: {module}"
        for path in sorted(CORE.rglob("*.py"))
        for line, module in _domain_imports(path.read_text(encoding="utf-8"))
    ]
    assert list(CORE.rglob("*.py")), "core/ not found"
    assert not offenders, "core imports a domain app:\n" + "\n".join(offenders)


def test_the_scan_finds_imports_at_any_depth():
    source = (
        "import contracts.models\n"
        "from internships.choices import ReportStatus\n"
        "def f():\n"
        "    from procurement import models\n"
        "from core import audit\n"
        "from . import contracts\n"
    )
    assert [module for _, module in _domain_imports(source)] == [
        "contracts.models",
        "internships.choices",
        "procurement",
    ]
