"""PDFs (letters, trend reports) are drawn by WeasyPrint from our own HTML, and fetch nothing
from outside: a stylesheet, font or image is served only from the app's own static files and
private media. Any other address (http, https, ftp, another file on the machine) is refused, so
text a user typed into a letter can never make the server reach out or read a local file."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetcher

log = logging.getLogger(__name__)


def _roots() -> list[Path]:
    roots = [Path(settings.BASE_DIR) / "static", Path(settings.PRIVATE_MEDIA_ROOT)]
    roots += [Path(folder) for folder in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


class OwnFilesOnly(URLFetcher):
    """WeasyPrint's fetcher, limited to ``data:`` URLs and files under the app's own folders."""

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_file() and any(path.is_relative_to(root) for root in _roots()):
                return super().fetch(url, headers)
        log.warning("PDF: refused to fetch %s", url[:200])
        raise ValueError(f"Refused: a PDF fetches only the app's own files, not {url[:200]}")


def pdf_html(html: str) -> HTML:
    """The document for ``html``, relative links resolved against the project folder."""
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=OwnFilesOnly())
