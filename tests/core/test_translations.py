"""The Swedish catalogue is complete, in step with the code, and what the pages show by default.

Swedish is the default language and English the second (docs/API.md). The catalogue lives in
``locale/sv/LC_MESSAGES/django.po``; its ``.mo`` is not committed, so it is compiled here first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CATALOGUE_PATH = "locale/sv/LC_MESSAGES/django.po"
CATALOGUE = ROOT / CATALOGUE_PATH
#: Folders that are not ours or hold no user-facing text: never scanned for strings. The command
#: below (``MAKEMESSAGES``) is the one to run by hand to update the catalogue.
IGNORED = [
    ".venv",
    "var",
    "tests",
    "bench",
    "staticfiles",
    "screenshots",
    "test-artifacts",
    "node_modules",
]
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "sv",
    *(f"--ignore={name}" for name in IGNORED),
    "--no-obsolete",
]
#: A printf-style placeholder as Python's ``%`` operator reads it (``%%`` is a literal %).
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])"
)

pytestmark = pytest.mark.usefixtures("compiled_catalogue")


def _placeholders(text: str) -> Counter[str]:
    found = Counter()
    for match in PLACEHOLDER.finditer(text):
        if match["conv"] != "%":
            found[match.group(0)] += 1
    return found


def _key(entry: polib.POEntry) -> str:
    key = entry.msgid
    if entry.msgctxt:
        key = f"{entry.msgctxt}\x04{key}"
    if entry.msgid_plural:
        key = f"{key} | {entry.msgid_plural}"
    return key


def test_swedish_catalogue_is_complete() -> None:
    assert CATALOGUE.is_file(), f"{CATALOGUE} is missing"
    po = polib.pofile(str(CATALOGUE))
    assert po.metadata.get("Language") == "sv"
    assert po.metadata.get("Plural-Forms") == "nplurals=2; plural=(n != 1);"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    assert len(po) > 0

    problems: list[str] = []
    for entry in po:
        label = repr(_key(entry))
        if entry.obsolete:
            problems.append(f"{label}: obsolete (regenerate with --no-obsolete)")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{label}: fuzzy")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(index, "") for index in range(2)]
        else:
            forms = [entry.msgstr]
        if not all(form.strip() for form in forms):
            problems.append(f"{label}: not translated")
            continue
        if "python-format" in entry.flags:
            wanted = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
            for form in forms:
                missing = wanted - _placeholders(form)
                if missing:
                    problems.append(f"{label}: {form!r} lacks {sorted(missing)}")
    assert not problems, "The Swedish catalogue is incomplete:\n" + "\n".join(problems)


def test_catalogue_covers_every_string_in_the_code(tmp_path: Path) -> None:
    missing_tools = [
        tool for tool in ("xgettext", "msguniq", "msgmerge", "msgattrib") if not shutil.which(tool)
    ]
    if missing_tools:
        pytest.fail(
            f"GNU gettext is not installed ({', '.join(missing_tools)} not found): this test "
            "extracts the strings of the code with it. Install it, e.g. `apt-get install "
            "gettext` (Debian/Ubuntu) or `brew install gettext` (macOS).",
            pytrace=False,
        )

    # makemessages writes next to the templates it scans and into LOCALE_PATHS, so it runs on a
    # copy of the project with no catalogue: what it writes is exactly what the code asks for.
    project = tmp_path / "project"

    def skipped(folder: str, names: list[str]) -> set[str]:
        top = Path(folder) == ROOT
        return {
            name
            for name in names
            if name in {"__pycache__", ".git"}
            or name.endswith((".pyc", ".mo"))
            or (top and (name in IGNORED or name == "locale" or name.startswith(".")))
        }

    shutil.copytree(ROOT, project, ignore=skipped, symlinks=True)
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var"), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted_path = project / CATALOGUE_PATH
    assert extracted_path.is_file(), f"makemessages wrote no catalogue:\n{result.stdout}"

    extracted = {_key(entry) for entry in polib.pofile(str(extracted_path))}
    committed = {_key(entry) for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete}
    command = "python manage.py " + " ".join(MAKEMESSAGES)
    missing = sorted(extracted - committed)
    assert not missing, (
        f"{len(missing)} string(s) of the code are not in {CATALOGUE_PATH}; "
        f"run `{command}` and translate them:\n" + "\n".join(map(repr, missing))
    )
    stale = sorted(committed - extracted)
    assert not stale, (
        f"{CATALOGUE_PATH} has {len(stale)} entries the code no longer uses; "
        f"run `{command}`:\n" + "\n".join(map(repr, stale))
    )


@pytest.mark.django_db
def test_pages_are_swedish_by_default_and_english_on_request(client, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.se", "x")
    client.force_login(root)

    page = client.get("/admin/contracts/contract/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="sv"' in html
    assert "Välj avtal att ändra" in html  # Django's "Select %s to change" with our "contract"
    assert "Uppföljning av sociala krav" in html  # the site header
    assert "Contracts" not in html

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert switched.status_code == 302

    page = client.get("/admin/contracts/contract/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en"' in html
    assert "Select contract to change" in html
    assert "Social clause compliance" in html
    assert "Contracts" in html
