"""The API's error responses in the OpenAPI schema (drf-spectacular post-processing hook).

drf-spectacular documents only the successful answer of each operation; the errors every client
must handle (docs/API.md) are added here, in the one format of :mod:`core.api.errors`. Registered
in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` after drf-spectacular's own enum hook.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular import openapi
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from rest_framework import serializers

_ERROR = {
    "type": "object",
    "description": "What went wrong, in the caller's language.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_VALIDATION_ERROR = {
    "type": "object",
    "description": (
        'Messages by field: {"field": ["message", …]}; "non_field_errors" for the object as '
        'a whole; for a list of nested objects, {"rows": {"1": {"field": [...]}}} by the '
        "0-based index of each item with errors."
    ),
    "additionalProperties": True,
}
_WRITES = {"post", "put", "patch", "delete"}


def _response(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


#: Request bodies are documented as JSON (docs/API.md: "JSON in and out"); DRF also parses
#: forms, but a form cannot carry ``null``, a list of rows or a nested object. An operation that
#: takes only a form (the file import) keeps it.
_BODY_TYPE = "application/json"


def document_errors(result: dict, generator, request, public) -> dict:
    """Add every error status an operation can answer with, as it really happens:

    * 400 everywhere: an unknown ``?format=`` (core/api/pagination.py), besides invalid input;
    * 401 and 403 where credentials are needed; 404 on one object; 409 on writes to one
      object; 429 on writes (throttled);
    * 406 everywhere (an ``Accept`` header no renderer can answer);
    * 415 where a body is read (a ``Content-Type`` no parser reads).
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", _ERROR)
    schemas.setdefault("ValidationError", _VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            authenticated = operation.get("security") != [{}]
            body = operation.get("requestBody")
            if body and _BODY_TYPE in body.get("content", {}):
                body["content"] = {_BODY_TYPE: body["content"][_BODY_TYPE]}
            wanted = {"400": _response("Invalid input.", "ValidationError")}
            if authenticated:
                wanted["401"] = _response("No or invalid credentials.", "Error")
                wanted["403"] = _response("The caller's role may not do this.", "Error")
            if "{" in path:
                wanted["404"] = _response("No such object, or not visible to the caller.", "Error")
            wanted["406"] = _response(
                "No answer in a media type the Accept header allows.", "Error"
            )
            if method in _WRITES and "{" in path:
                wanted["409"] = _response("Not allowed in the object's current state.", "Error")
            if body or method in ("post", "put", "patch"):
                wanted["415"] = _response("The request body's media type is not read.", "Error")
            if method in _WRITES or path.endswith("/auth/token/"):
                wanted["429"] = _response("Too many requests: see the Retry-After header.", "Error")
            for status, response in wanted.items():
                responses.setdefault(status, response)
    return result


#: DRF's ``CharField`` refuses a NUL character (``ProhibitNullCharactersValidator``). One
#: character or more: drf-spectacular states a blank value allowed by ``allow_blank`` as a second
#: ``oneOf`` branch (``maxLength: 0``), which must not overlap this one.
NO_NUL = r"^[^\x00]+$"


def decimal_pattern(field: serializers.DecimalField) -> str | None:
    """The strings a ``DecimalField`` accepts, as a regular expression (``None``: none is
    stated). drf-spectacular's own pattern also matches ``""`` and ``-1`` for a field whose
    minimum is 0; this one states the digits, the sign and the bounds that matter here: a
    minimum of 0 or of the smallest positive step, and a maximum that is a power of ten."""
    whole, places = field.max_whole_digits, field.decimal_places
    if whole is None or places is None or whole < 1 or places < 1:
        return None
    low = None if field.min_value is None else Decimal(field.min_value)
    high = None if field.max_value is None else Decimal(field.max_value)
    sign = "" if low is not None and low >= 0 else "-?"
    fraction = rf"(\.\d{{0,{places}}})?"
    if high is not None:
        power = len(str(int(high))) - 1
        if high != Decimal(10) ** power or power > whole or low is None or low < 0:
            return None
        zeros = rf"(\.0{{0,{places}}})?"
        return rf"^0*({high}{zeros}|\d{{1,{power}}}{fraction}|\.\d{{1,{places}}})$"
    if low is not None and 0 < low <= Decimal(1).scaleb(-places):
        small = rf"0*\.(?:{'|'.join(_nonzero(places))})"
        return rf"^(0*[1-9]\d{{0,{whole - 1}}}{fraction}|{small})$"
    if low is not None and low > 0:
        return None
    return rf"^{sign}(\d{{1,{whole}}}{fraction}|\.\d{{1,{places}}})$"


def _nonzero(places: int) -> list[str]:
    """Fractions of at most ``places`` digits that are not all zeros: ``0?[1-9]`` etc."""
    return [rf"0{{{zeros}}}[1-9]\d{{0,{places - zeros - 1}}}" for zeros in range(places)]


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, stating the constraints its own mapping leaves out: the exact
    strings a decimal accepts, and that text never holds a NUL character."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or schema.get("readOnly") or field.read_only:
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal":
            pattern = decimal_pattern(field)
            if pattern:
                schema["pattern"] = pattern
        elif (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = NO_NUL
        return schema


_REPORT_ID = {"id": "$response.body#/id"}
_REPORT_LINKS = {
    "GetReport": "v1_reports_retrieve",
    "EditReport": "v1_reports_partial_update",
    "SubmitReport": "v1_reports_submit_create",
    "ApproveReport": "v1_reports_approve_create",
    "RejectReport": "v1_reports_reject_create",
    "CorrectReport": "v1_reports_correct_create",
    "DeleteReport": "v1_reports_destroy",
}
#: Which operations answer with a report, and the status code of that answer.
_REPORT_SOURCES = {
    ("/api/v1/reports/", "post"): "201",
    ("/api/v1/reports/{id}/submit/", "post"): "200",
    ("/api/v1/reports/{id}/approve/", "post"): "200",
    ("/api/v1/reports/{id}/correct/", "post"): "201",
    ("/api/v1/reports/import/", "post"): "201",
}


def add_links(result: dict, generator, request, public) -> dict:
    """OpenAPI links from the operations that answer with a report to what can be done with it
    next: a client (or a stateful test) can follow a report through its life."""
    for (path, method), code in _REPORT_SOURCES.items():
        response = result.get("paths", {}).get(path, {}).get(method, {}).get("responses", {})
        if code in response:
            response[code]["links"] = {
                name: {"operationId": operation, "parameters": dict(_REPORT_ID)}
                for name, operation in _REPORT_LINKS.items()
            }
    return result


class TokenScheme(KnoxTokenScheme):
    """Our token authentication (a subclass of knox's) in the schema, exactly as knox's."""

    target_class = "core.api.authentication.TokenAuthentication"
