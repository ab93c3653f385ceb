"""One error format for the whole API (documented in docs/API.md).

* 400 ``{"field": ["message", …], "non_field_errors": [...]}`` — field-level messages;
* 401/403/404/405/429 ``{"detail": "message"}``;
* 409 ``{"detail": "message"}`` when a transition is not allowed in the object's state.

Django's own ``ValidationError`` (raised by ``full_clean`` in the services) becomes the same 400
as a serializer's, so a rule lives once, in the model or service.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


def _as_drf(error: Exception) -> Exception:
    from internships.services import TransitionError

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
    return error


def exception_handler(error: Exception, context) -> Response | None:
    return drf_exception_handler(_as_drf(error), context)
