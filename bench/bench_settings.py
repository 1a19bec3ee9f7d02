"""Settings of the province benchmark: the project's own settings, production-like (DEBUG off, set by
bench/province.py through the environment), plus two reference pages (bench_urls) and static files
collected under var/ so the shared staticfiles/ is never touched."""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR

ROOT_URLCONF = "bench_urls"
STATIC_ROOT = BASE_DIR / "var" / "bench-static"
