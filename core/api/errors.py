"""One error format for the whole API (documented in docs/API.md).

* 400 ``{"field": ["message", …], "non_field_errors": [...]}`` — field-level messages; for a
  list of nested objects (a report's ``rows``), ``{"rows": {"1": {"field": [...]}}}``, keyed by
  the 0-based index of each item that has errors, whichever check found them;
* 401/403/404/405/429 ``{"detail": "message"}``;
* 409 ``{"detail": "message"}`` when a transition is not allowed in the object's state, or when an
  object cannot be deleted because other objects still refer to it (``on_delete=PROTECT``).

Django's own ``ValidationError`` (raised by ``full_clean`` in the services) becomes the same 400
as a serializer's, so a rule lives once, in the model or service.
"""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import TransitionError

#: Django's own message for this refusal (the admin's), translated by Django's catalogue: it is
#: deliberately not a literal inside ``gettext()`` here, because it is not one of our strings.
_PROTECTED = (
    "Deleting %(class_name)s %(instance)s would require deleting the following protected "
    "related objects: %(related_objects)s"
)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


def _protected(error: ProtectedError | RestrictedError, context) -> Conflict:
    """A delete that ``PROTECT`` refuses: a 409 that names what is in the way by kind and number,
    never by name (the caller may not be allowed to see those objects)."""
    blocking = (
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    counts = Counter(str(obj._meta.verbose_name_plural) for obj in blocking)
    view = context.get("view")
    model = getattr(getattr(view, "queryset", None), "model", None)
    if model is None and view is not None and hasattr(view, "get_queryset"):
        model = view.get_queryset().model
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
    return Conflict(
        gettext(_PROTECTED)
        % {
            "class_name": str(model._meta.verbose_name) if model else "",
            "instance": getattr(view, "kwargs", {}).get(lookup, ""),
            "related_objects": ", ".join(f"{name} ({n})" for name, n in sorted(counts.items())),
        }
    )


def _indexed(detail):
    """One format for errors of a list of objects: DRF gives ``{index: errors}`` for the items'
    own fields, while a serializer's ``validate`` that checks the items together may give
    ``[{}, {errors}, …]``; the latter becomes the former, so a client handles one shape."""
    if isinstance(detail, dict):
        return {key: _indexed(value) for key, value in detail.items()}
    if isinstance(detail, list) and detail and all(_is_field_errors(item) for item in detail):
        return {str(index): _indexed(item) for index, item in enumerate(detail) if item}
    return detail


def _is_field_errors(item) -> bool:
    # ``{"field": [messages] or {nested}}``; not a record such as an import error
    # ``{"row": 3, "column": "hours", "message": "…"}``, which is left as it is.
    return isinstance(item, dict) and all(isinstance(v, list | dict) for v in item.values())


def _as_drf(error: Exception, context) -> Exception:
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in error.message_dict.items()
            }
        else:
            detail = {"non_field_errors": error.messages}
        return exceptions.ValidationError(detail)
    if isinstance(error, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(error) or None)
    if isinstance(error, TransitionError):
        return Conflict(str(error))
    if isinstance(error, ProtectedError | RestrictedError):
        return _protected(error, context)
    if isinstance(error, DataError) and "NUL" in str(error):
        # PostgreSQL cannot hold a NUL character: a lookup such as a target-group code with one
        # in it fails in the driver. That is bad input, not a server error (nothing was written).
        return exceptions.ParseError()
    if isinstance(error, Http404):
        # DRF would pass on Django's "No Contract matches the given query.": English only, and
        # naming the model. The plain, translated "Not found." says all a caller needs.
        return exceptions.NotFound()
    if isinstance(error, exceptions.ValidationError):
        error.detail = _indexed(error.detail)
    return error


def exception_handler(error: Exception, context) -> Response | None:
    return drf_exception_handler(_as_drf(error, context), context)
