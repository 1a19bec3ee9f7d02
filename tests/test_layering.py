"""Imports flow one way: accounts, villages → cadres → assignments → fieldwork → supervision, appraisal
→ dashboard, excel, demo. Apps on one level stand side by side: supervision and appraisal do not
import each other, and no app imports dashboard, excel or demo."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# accounts sits below villages: villages' admin uses the access helper; accounts names villages.Region
# only by a lazy string reference.
ORDER = {
    "accounts": 0,
    "villages": 1,
    "cadres": 2,
    "assignments": 3,
    "fieldwork": 4,
    "supervision": 5,
    "appraisal": 5,
    "dashboard": 6,
    "excel": 6,
    "demo": 6,
}


def imported_apps(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in ORDER:
                yield top, node.lineno


@pytest.mark.parametrize("app", [a for a in ORDER if (ROOT / a).is_dir()])
def test_no_app_imports_a_higher_one(app):
    offences = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for other, line in imported_apps(path):
            if ORDER[other] > ORDER[app]:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {other}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("app", [a for a in ORDER if (ROOT / a).is_dir()])
def test_apps_on_one_level_do_not_import_each_other(app):
    offences = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for other, line in imported_apps(path):
            if other != app and ORDER[other] == ORDER[app]:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {other}")
    assert not offences, "\n".join(offences)
