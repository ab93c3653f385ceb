"""The site's URLs plus the bare baseline views of ``bench.api`` under ``/bench-baseline/``.

Only the load benchmark serves this URLconf (``DJANGO_SETTINGS_MODULE=bench.settings``): the
baseline is measured through the same server, workers and middleware as the API it is compared
with. Production never imports it.
"""

from bench.api import _urlpatterns
from config.urls import handler404
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [*_urlpatterns(), *site_urlpatterns]

__all__ = ["handler404", "urlpatterns"]
