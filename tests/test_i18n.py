"""The Vietnamese catalogue: complete, compiled, and actually used by the pages."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: {"msgid", "msgid_plural"?, "msgstr": {index: text}, "flags", "line"}.

    Enough of the format for what makemessages writes; obsolete (#~) entries are left out.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key: tuple[str, int | None] | None = None

    def flush():
        nonlocal entry
        if entry is not None and "msgid" in entry and not entry["obsolete"]:
            entries.append(entry)
        entry = None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}, "obsolete": False, "line": number}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            name, text = match.group(1), ast.literal_eval(match.group(2))
            if name.startswith("msgstr"):
                index = int(name[7:-1]) if "[" in name else 0
                entry["msgstr"][index] = text
                key = ("msgstr", index)
            else:
                entry[name] = text
                key = (name, None)
        elif line.startswith('"') and key is not None:
            text = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += text
            else:
                entry[key[0]] += text
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    flush()
    return entries


def test_catalogue_is_complete_and_nothing_is_fuzzy():
    entries = read_po(PO)
    header = [e for e in entries if e["msgid"] == "" and "msgctxt" not in e]
    assert len(header) == 1
    assert "Plural-Forms: nplurals=1; plural=0;" in header[0]["msgstr"][0]
    assert "Language: vi" in header[0]["msgstr"][0]

    messages = [e for e in entries if e is not header[0]]
    assert len(messages) > 100, "makemessages found suspiciously few strings"
    untranslated = [f"line {e['line']}: {e['msgid']!r}" for e in messages if not all(e["msgstr"].values())]
    fuzzy = [f"line {e['line']}: {e['msgid']!r}" for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, "empty msgstr in django.po:\n" + "\n".join(untranslated)
    assert not fuzzy, "fuzzy entries in django.po:\n" + "\n".join(fuzzy)
    # Vietnamese has one plural form: every plural entry has exactly msgstr[0].
    bad_plurals = [e["msgid"] for e in messages if "msgid_plural" in e and sorted(e["msgstr"]) != [0]]
    assert not bad_plurals


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)


def test_compiled_catalogue_is_up_to_date(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (gettext) is required in CI to check locale/vi/LC_MESSAGES/django.mo")
        pytest.skip("msgfmt (gettext) is not installed")
    fresh = tmp_path / "django.mo"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [msgfmt, "--check-format", "-o", str(fresh), str(PO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert MO.exists(), "run: manage.py compilemessages -l vi"
    committed, expected = _catalog(MO), _catalog(fresh)
    stale = sorted(str(k) for k in expected.keys() ^ committed.keys()) + sorted(
        str(k) for k in expected.keys() & committed.keys() if expected[k] != committed[k]
    )
    assert not stale, "django.mo is out of date (run: manage.py compilemessages -l vi): " + ", ".join(stale[:10])


def test_wording_other_tests_rely_on():
    with translation.override("vi"):
        assert translation.gettext("Log in") == "Đăng nhập"
        assert translation.gettext("Change history") == "Lịch sử thay đổi"


def test_login_page_in_default_language(db, client):
    body = client.get(reverse("login")).content.decode()
    assert settings.LANGUAGE_CODE == "vi"
    assert "Đăng nhập" in body
    assert "Log in" not in body


def test_login_page_in_english(db, client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log in" in body
    assert "Đăng nhập" not in body
