"""Repo-root conftest, loaded before Django is configured: tests get a throw-away data dir."""

import os
import tempfile

os.environ.setdefault("DUBAN_DATA_DIR", tempfile.mkdtemp(prefix="duban-test-"))
os.environ.setdefault("DUBAN_SECRET_KEY", "test-secret-key-not-for-production-000000000000000000")
