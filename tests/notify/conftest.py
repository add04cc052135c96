from __future__ import annotations

import threading

import pytest

from tests.notify.servers import SMTPServer


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # pytest-django swaps in the in-memory backend; these tests go through real SMTP.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.shutdown()
    server.server_close()
