import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
application = get_asgi_application()

# What the apps declare must resolve before the first request (duban.core.contributions).
from duban.core.contributions import contributions_require  # noqa: E402 - needs the app registry set up above

contributions_require()
