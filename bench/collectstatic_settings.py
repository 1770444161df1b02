"""Settings for the benchmark's collectstatic fallback only.

config.settings plus empty source maps for the vendored Bootstrap files: their
``sourceMappingURL`` comments name .map files the repository does not ship, and with
DEBUG=false the manifest storage refuses to post-process them (collectstatic fails).
The manifest written here is the one config.settings reads at run time; the only extra
files are the two stub maps. bench/run.py uses this only when plain collectstatic fails.
"""

from pathlib import Path

from config.settings import *  # noqa: F401,F403
from config.settings import STATICFILES_DIRS

STUB = Path(__file__).resolve().parent / "results" / "static_stub"
for _name in ("vendor/bootstrap/bootstrap.bundle.min.js.map", "vendor/bootstrap/bootstrap.min.css.map"):
    _path = STUB / _name
    _path.parent.mkdir(parents=True, exist_ok=True)
    if not _path.exists():
        _path.write_text('{"version": 3, "sources": [], "names": [], "mappings": ""}\n')

STATICFILES_DIRS = [*STATICFILES_DIRS, STUB]
