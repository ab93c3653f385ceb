"""Pagination and content negotiation of every list, in one place.

A ``?page=`` that is not a page of the list (``0``, ``abc``, past the end) answers 400 with a
message under ``page``, not DRF's 404, which a client cannot tell from "no such URL". The schema
(drf-spectacular reads :meth:`PageNumberPagination.get_schema_operation_parameters`) states the
same bounds the validation applies.
"""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, negotiation, pagination

#: docs/API.md: at most 500 results a page; a larger ``page_size`` gives 500 (docs/API.md).
MAX_PAGE_SIZE = 500


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=`` (1 to the last page) and ``?page_size=`` (1–500, default ``PAGE_SIZE``)."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    #: ``?page=last`` is DRF's; it stays, for clients that use it.
    last_page_strings = ("last",)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise exceptions.ValidationError(
                {self.page_query_param: [self._invalid_page_message(paginator.num_pages)]},
                code="invalid_page",
            ) from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Ensure this value is a whole number from 1 to %(max)d.")
                        % {"max": self.max_page_size}
                    ]
                },
                code="invalid_page_size",
            )
        return min(size, self.max_page_size)

    @staticmethod
    def _invalid_page_message(last: int) -> str:
        return str(_("Invalid page: choose a page from 1 to %(last)d.") % {"last": last})

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("A page number from 1 to the last page; another page answers 400.")
                ),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Results per page, from 1; a value above %(max)d gives %(max)d.")
                    % {"max": self.max_page_size}
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """``?format=`` with a format the view cannot answer in is a 400 with a message under
    ``format`` (DRF answers 404). A ``.json`` suffix the view cannot answer in stays a 404: it is
    part of the URL, and that URL does not exist."""

    def select_renderer(self, request, renderers, format_suffix=None):
        query_param = self.settings.URL_FORMAT_OVERRIDE
        wanted = None if format_suffix else request.query_params.get(query_param)
        if wanted:
            available = [renderer.format for renderer in renderers]
            if wanted not in available:
                raise exceptions.ValidationError(
                    {
                        query_param: [
                            # The value is not echoed: it is whatever the client sent.
                            _("Unknown format: choose one of %(formats)s.")
                            % {"formats": ", ".join(available)}
                        ]
                    },
                    code="invalid_format",
                )
        return super().select_renderer(request, renderers, format_suffix)
