"""One helper renders a Django template to HTML and then to PDF with WeasyPrint (70).

Resources are fetched by `LocalURLFetcher`: `static/…` and `media/…` URLs are served from disk and
every other URL (http, https, ftp, data outside our own files, …) is refused, so rendering never
touches the network. The print CSS (`templates/reports/print.css`) asks for Liberation Serif and
falls back to DejaVu Serif: both cover Vietnamese. The faces are declared with @font-face pointing at
the installed files (found with `fc-match` once per process), so a machine whose fontconfig lacks
an alias still renders the same glyphs.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

BASE_URL = "file:///danhgia-report/"  # relative URLs in report templates resolve under this root
FONT_FAMILIES = ("Liberation Serif", "DejaVu Serif")
FONT_STYLES = (("normal", "normal", ""), ("bold", "normal", ":bold"), ("normal", "italic", ":italic"))


class RefusedURL(ValueError):
    """A report asked for a resource outside our static and media files."""


class LocalURLFetcher(URLFetcher):
    """Serves `/static/…` and `/media/…` from disk (and font files this module chose); refuses the rest.

    WeasyPrint 70 API: subclass `URLFetcher`, override `fetch(url, headers=None)` and return a
    `URLFetcherResponse`. Exceptions other than `FatalURLFetchingError` make WeasyPrint skip the
    resource with a warning (an image missing from a report is not worth a failed job).
    """

    def __init__(self, *, allowed_files: frozenset[str] = frozenset(), **kwargs):
        super().__init__(allowed_protocols=("file",), **kwargs)
        self.allowed_files = allowed_files

    def fetch(self, url, headers=None):
        path = self.resolve(url)
        content_type = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def resolve(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused non-local URL in a report: {url}")
        raw = unquote(parts.path)
        if raw in self.allowed_files:
            return Path(raw)
        rel = raw.removeprefix(urlsplit(BASE_URL).path) if raw.startswith(urlsplit(BASE_URL).path) else None
        if rel is None:
            raise RefusedURL(f"refused file outside static/media in a report: {url}")
        static_prefix = "static/"
        media_prefix = "media/"
        if rel.startswith(static_prefix):
            found = finders.find(rel.removeprefix(static_prefix))
            if not found and settings.STATIC_ROOT:
                candidate = _inside(Path(settings.STATIC_ROOT), rel.removeprefix(static_prefix))
                found = str(candidate) if candidate and candidate.is_file() else None
            if found:
                return Path(found)
        elif rel.startswith(media_prefix):
            candidate = _inside(Path(settings.MEDIA_ROOT), rel.removeprefix(media_prefix))
            if candidate and candidate.is_file():
                return candidate
        raise RefusedURL(f"no such static or media file for a report: {url}")


def _inside(root: Path, rel: str) -> Path | None:
    """`root / rel` if it stays inside `root` (no `..` escapes)."""
    root = root.resolve()
    candidate = (root / rel).resolve()
    return candidate if candidate.is_relative_to(root) else None


@functools.cache
def font_files() -> dict[tuple[str, str, str], str]:
    """{(family, weight, style): file} for the report faces installed here (via fontconfig)."""
    found: dict[tuple[str, str, str], str] = {}
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return found
    for family in FONT_FAMILIES:
        for weight, style, suffix in FONT_STYLES:
            try:
                out = subprocess.run(  # noqa: S603
                    [fc_match, "--format=%{family}\t%{file}", f"{family}{suffix}"],
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=True,
                ).stdout
            except (OSError, subprocess.SubprocessError):
                continue
            got_family, _, file = out.partition("\t")
            if family in got_family.split(",") and file:  # fc-match substitutes silently otherwise
                found[(family, weight, style)] = file
    if not any(key[0] == FONT_FAMILIES[0] for key in found):
        logger.warning("Liberation Serif is not installed; reports fall back to DejaVu Serif")
    return found


def font_face_css() -> str:
    rules = []
    for (family, weight, style), file in font_files().items():
        rules.append(
            f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style};'
            f' src: url("{Path(file).as_uri()}"); }}'
        )
    return "\n".join(rules)


def render_html(template, context: dict) -> str:
    """`template` is a template name, or a template object (`engines["django"].from_string(...)`)."""
    if hasattr(template, "render"):
        return template.render(context)
    return render_to_string(template, context)


def document(template, context: dict):
    """The laid-out WeasyPrint document (its `pages` can be counted before writing)."""
    html = render_html(template, context)
    fetcher = LocalURLFetcher(allowed_files=frozenset(font_files().values()))
    font_config = FontConfiguration()
    stylesheets = [CSS(string=font_face_css(), font_config=font_config, url_fetcher=fetcher)]
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=stylesheets, font_config=font_config
    )


def render_pdf(template: str, context: dict) -> bytes:
    """Render `template` with `context` to PDF bytes (A4, serif faces covering Vietnamese)."""
    return document(template, context).write_pdf()
