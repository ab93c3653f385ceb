"""The filter backend of every list (``DEFAULT_FILTER_BACKENDS``)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, building each view's ``filterset_fields`` class once.

    django-filter makes a new ``FilterSet`` class on every request of a view that names
    ``filterset_fields`` (a class statement, then a filter per field from the model's fields):
    about a tenth of a list request's time. The class depends only on the view, its model and
    the fields, so it is kept per process. The filters and their answers are the same.
    """

    _classes: dict[tuple, type] = {}

    def get_filterset_class(self, view, queryset=None):
        fields = getattr(view, "filterset_fields", None)
        if getattr(view, "filterset_class", None) or not fields or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model, repr(fields))
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().get_filterset_class(view, queryset)
        return found
