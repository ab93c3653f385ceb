"""English formats for a Swedish organisation: ISO-like dates and 24-hour times, as in Swedish.

English-speaking users here read the same dates as their Swedish colleagues (``2026-03-31``,
``14:05``), not the American ``03/31/2026 2:05 p.m.``; long dates read ``31 March 2026``. The
dates, times and number grouping are the Swedish module's (one place); only the separators differ.
"""

from core.formats.sv.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
