"""PDFs fetch nothing from outside: only the app's own static files and private media."""

import http.server
import logging
import threading

import pytest
from django.conf import settings

from common.pdf import pdf_html


@pytest.fixture
def listener():
    """A local HTTP server that records every request it is sent."""
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_a_pdf_fetches_nothing_from_the_network_or_other_files(listener, caplog):
    base, seen = listener
    html = (f'<link rel="stylesheet" href="{base}/steal.css"><img src="{base}/pixel.png">'
            '<img src="file:///etc/hostname"><p>Kia ora</p>')
    with caplog.at_level(logging.WARNING, logger="common.pdf"):
        pdf = pdf_html(html).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert seen == []
    assert caplog.text.count("refused to fetch") == 3


def test_a_pdf_may_use_the_apps_own_static_files(caplog):
    stylesheet = next((settings.BASE_DIR / "static").rglob("*.css"))
    relative = stylesheet.relative_to(settings.BASE_DIR)
    with caplog.at_level(logging.WARNING, logger="common.pdf"):
        assert pdf_html(f'<link rel="stylesheet" href="{relative}"><p>Kia ora</p>').write_pdf().startswith(b"%PDF")
    assert "refused" not in caplog.text
