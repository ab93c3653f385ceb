"""The audit trail (issue 6): who changed what and when, and who read participant-level rows.

Changes are recorded by django-simple-history on the models (``history = HistoricalRecords()``).
The web middleware tells it the logged-in user; API requests authenticate inside the view, after
that middleware, and Celery tasks have no request at all, so services name the user explicitly
with :func:`by`. ``QuerySet.update()`` and ``bulk_create()`` record nothing by themselves: services
that need them go through :func:`bulk_create` here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TypeVar

from django.db import models
from simple_history.utils import bulk_create_with_history

from .models import ReadLog

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)
#: Where participant-level rows were read (``read_logged(what=What.REVIEW, ...)``).
What = ReadLog.What


def by(instance: M, user) -> M:
    """Record the next save or delete of ``instance`` as done by ``user``."""
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user  # read by simple-history
    return instance


def bulk_create(model: type[M], objects: Iterable[M], *, user, reason: str = "") -> list[M]:
    """``bulk_create`` that writes one history record per object, in bulk too."""
    objects = list(objects)
    if not objects:
        return []
    return bulk_create_with_history(
        objects,
        model,
        batch_size=2000,
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=reason or None,
    )


def read_logged(
    *,
    user,
    what: ReadLog.What,
    object_ids: Sequence[int] | None = None,
    count: int | None = None,
    detail: str = "",
) -> None:
    """Record that ``user`` (an officer, manager or superuser) read participant-level rows.

    Contractors reading their own reports are not logged: the rows are their own data.
    """
    if not getattr(user, "is_authenticated", False):
        return
    from .roles import contractor_id_of

    if contractor_id_of(user) is not None and not user.is_superuser:
        return
    ids = list(object_ids or [])
    ReadLog.objects.create(
        user=user,
        what=what,
        object_ids=",".join(str(i) for i in ids[:200]) + ("…" if len(ids) > 200 else ""),
        count=len(ids) if count is None else count,
        detail=detail[:200],
    )
