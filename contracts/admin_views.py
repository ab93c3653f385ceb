"""Pages of the admin site that belong to no single model: the officers' work queue."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import sees_everything

from .work_queue import work_queue


def work_queue_view(request: HttpRequest) -> TemplateResponse:
    """What waits for the officers today: reports to review, overdue reports, clauses behind.

    Officers land here after logging in; managers may read it too (docs/RULES.md §6)."""
    if not sees_everything(request.user):
        raise PermissionDenied(_("The work queue is for officers and managers."))
    context = {
        **admin.site.each_context(request),
        "title": _("Work queue"),
        "queue": work_queue(as_of=timezone.localdate()),
    }
    return TemplateResponse(request, "admin/work_queue.html", context)
