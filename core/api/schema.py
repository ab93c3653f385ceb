"""The API's error responses in the OpenAPI schema (drf-spectacular post-processing hook).

drf-spectacular documents only the successful answer of each operation; the errors every client
must handle (docs/API.md) are added here, in the one format of :mod:`core.api.errors`. Registered
in ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` after drf-spectacular's own enum hook.
"""

from __future__ import annotations

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


def document_errors(result: dict, generator, request, public) -> dict:
    """Add 400, 401, 403, 404, 409 and 429 to every operation that can answer with them."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", _ERROR)
    schemas.setdefault("ValidationError", _VALIDATION_ERROR)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            authenticated = operation.get("security") != [{}]
            takes_input = "requestBody" in operation or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", [])
            )
            wanted = {}
            if takes_input or method in ("post", "put", "patch"):
                wanted["400"] = _response("Invalid input.", "ValidationError")
            if authenticated:
                wanted["401"] = _response("No or invalid credentials.", "Error")
                wanted["403"] = _response("The caller's role may not do this.", "Error")
            if "{" in path:
                wanted["404"] = _response("No such object, or not visible to the caller.", "Error")
            if method in _WRITES and "{" in path:
                wanted["409"] = _response("Not allowed in the object's current state.", "Error")
            if method in _WRITES:
                wanted["429"] = _response("Too many requests: see the Retry-After header.", "Error")
            for status, response in wanted.items():
                responses.setdefault(status, response)
    return result


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
