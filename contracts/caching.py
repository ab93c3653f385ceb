"""The managers' pages' cache: heavy figures kept under a "generation" that changes whenever
something they are computed from changes (docs/PERFORMANCE.md, issue 13).

Instead of deleting each cached key, anything that changes the figures (a compliance run, a
report sent, reviewed or corrected, a contract or clause edited) calls :func:`figures_changed`,
which moves the generation on when its transaction commits: every key of the old generation is
then never read again and expires. The cache is an optimisation only: if it is down or
hangs (its timeouts are in ``CACHES``) the figures are computed and served without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connections, transaction
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

GENERATION_KEY = "dashboard:generation"


def _scope() -> str:
    # The database's name: two databases sharing a Redis (a test run beside a copy of the data
    # set, say) never read each other's figures.
    return str(connections["default"].settings_dict["NAME"])


#: How long a figure is kept at most. A bump lost while the cache was unreachable is thus
#: forgotten within the hour at worst.
TIMEOUT = 60 * 60
#: How long a request may hold its claim to compute a key (if it dies, the next one takes over).
LOCK_TIMEOUT = 120

T = TypeVar("T")


def _generation_key() -> str:
    return f"{GENERATION_KEY}:{_scope()}"


def generation() -> str | None:
    """The current generation, or ``None`` when the cache cannot be reached."""
    try:
        value = cache.get(_generation_key())
        if value is None:
            cache.add(_generation_key(), str(time.time_ns()), timeout=None)
            value = cache.get(_generation_key())
    except Exception:  # any failure of the cache: compute without it
        logger.warning("Cache unreachable: the dashboard computes its figures.", exc_info=True)
        return None
    return str(value) if value is not None else None


def _bump() -> None:
    try:
        cache.set(_generation_key(), str(time.time_ns()), timeout=None)
    except Exception:
        logger.warning("Cache unreachable: figures expire by themselves.", exc_info=True)


def figures_changed() -> None:
    """The dashboard's and the annual report's figures change with the current transaction:
    drop the cached ones when it commits (at once outside a transaction)."""
    transaction.on_commit(_bump, robust=True)


def _key(parts: tuple) -> str:
    return ":".join(["dashboard", _scope(), get_language() or "", *map(str, parts)])


def _claim(key: str) -> bool:
    """Whether this request is the one to compute ``key`` (no other is doing it now)."""
    try:
        return bool(cache.add(f"{key}:computing", 1, timeout=LOCK_TIMEOUT))
    except Exception:
        return True


def store(parts: tuple, value: Any) -> None:
    """Keep ``value`` under ``parts`` for the current generation."""
    current = generation()
    if current is None:
        return
    try:
        cache.set(_key(parts), (current, value), timeout=TIMEOUT)
    except Exception:
        logger.warning("Cache unreachable: figures not kept.", exc_info=True)


def cached(parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, kept in the cache under ``parts`` (and the language) for the current
    generation.

    Each key holds its latest figures and the generation they were computed in. When they are
    out of date, one request computes the new ones; requests that come while it does are served
    the previous figures rather than computing the same thing side by side (at 10,000 contracts
    that is tens of seconds of a worker each): the figures lag a change by at most the time one
    computation takes, and a single manager always sees the change.
    """
    current = generation()
    if current is None:
        return compute()
    key = _key(parts)
    try:
        stored: Any = cache.get(key)
    except Exception:
        logger.warning("Cache unreachable: the dashboard computes its figures.", exc_info=True)
        return compute()
    if stored is not None and stored[0] == current:
        return stored[1]
    claimed = _claim(key)
    if stored is not None and not claimed:
        return stored[1]
    try:
        value = compute()
        try:
            cache.set(key, (current, value), timeout=TIMEOUT)
        except Exception:
            logger.warning("Cache unreachable: figures not kept.", exc_info=True)
    finally:
        if claimed:
            try:
                cache.delete(f"{key}:computing")
            except Exception:
                logger.warning("Cache unreachable: the claim expires by itself.", exc_info=True)
    return value


def _changed(sender, instance=None, **kwargs) -> None:
    # A draft counts nowhere: contractors saving drafts do not empty the managers' cache.
    if getattr(instance, "status", None) == "draft" and sender.__name__ == "PlacementReport":
        return
    figures_changed()


def connect_signals() -> None:
    """Edits made anywhere (the admin, the API, a shell) to what the figures are computed from
    move the generation on; bulk updates call :func:`figures_changed` themselves."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from internships.models import PlacementReport
    from procurement.models import Contractor, District

    from .models import ClauseMilestone, Contract, SocialClause, TargetGroup

    for model in (
        Contract,
        SocialClause,
        ClauseMilestone,
        PlacementReport,
        TargetGroup,
        District,
        Contractor,
    ):
        post_save.connect(_changed, sender=model, dispatch_uid=f"figures-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"figures-del-{model.__name__}")
    m2m_changed.connect(
        _changed, sender=SocialClause.target_groups.through, dispatch_uid="figures-m2m"
    )
