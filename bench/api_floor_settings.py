"""Settings for bench_api: the app's, with the floor URLs of api_floor.py on top."""

from duban.settings import *  # noqa: F403

ROOT_URLCONF = "api_floor"
