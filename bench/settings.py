"""Settings for the load benchmark's server: the production settings with ``bench.urls``."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
