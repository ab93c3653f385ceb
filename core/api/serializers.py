"""Serializer bases shared by the apps."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import (
    ManyRelatedField,
    PKOnlyObject,
    PrimaryKeyRelatedField,
    SlugRelatedField,
)


class CleanModelSerializer(serializers.ModelSerializer):
    """Saves through ``Model.full_clean()``, so the model's own rules answer with a 400.

    DRF does not run ``Model.clean()``; without this the API would accept what the admin refuses.
    """

    def _split_many(self, validated_data: dict) -> dict:
        many = {}
        for name in list(validated_data):
            field = self.fields.get(name)
            if isinstance(field, ManyRelatedField | serializers.ListSerializer):
                many[name] = validated_data.pop(name)
        return many

    def create(self, validated_data: dict):
        many = self._split_many(validated_data)
        instance = self.Meta.model(**validated_data)
        return self._save(instance, many)

    def update(self, instance, validated_data: dict):
        many = self._split_many(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._save(instance, many)

    def _save(self, instance, many: dict):
        instance.full_clean()
        with transaction.atomic():
            instance.save()
            for name, value in many.items():
                if isinstance(self.fields[name], ManyRelatedField):
                    getattr(instance, name).set(value)
        return instance


def _plain_source(field) -> str | None:
    """The attribute a field reads, when it is a single plain name (no dots, no ``*``)."""
    source = getattr(field, "source", None)
    if not source or source == "*" or "." in source:
        return None
    return source


def _many_reader(source: str, child) -> Callable[[Any], list] | None:
    if type(child) is PrimaryKeyRelatedField and child.pk_field is None:
        pick = operator.attrgetter("pk")
        by_ids = True
    elif isinstance(child, SlugRelatedField):
        pick = operator.attrgetter(child.slug_field)
        by_ids = False
    else:
        return None

    def read_many(instance) -> list:
        if by_ids:
            known = getattr(instance, PKS_ATTRIBUTE, {}).get(source)
            if known is not None:
                return list(known)
        cached = getattr(instance, "_prefetched_objects_cache", {}).get(source)
        items = cached if cached is not None else getattr(instance, source).all()
        return [pick(item) for item in items]

    return read_many


def _field_reader(model, field) -> Callable[[Any], Any] | None:
    """A function instance -> the field's representation that skips DRF's generic attribute
    lookup, for the simple kinds of field; None for the others (they take DRF's own way)."""
    source = _plain_source(field)
    if source is None or isinstance(
        field,
        serializers.BaseSerializer | serializers.SerializerMethodField | serializers.HiddenField,
    ):
        return None
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    if model_field.auto_created and model_field.is_relation:
        return None  # a reverse relation
    if isinstance(field, PrimaryKeyRelatedField):
        if field.pk_field is not None or not (model_field.many_to_one or model_field.one_to_one):
            return None
        return operator.attrgetter(model_field.attname)  # the id itself, no query
    if type(field) is SlugRelatedField or (
        isinstance(field, SlugRelatedField)
        and type(field).to_representation is SlugRelatedField.to_representation
    ):
        if "__" in field.slug_field or not (model_field.many_to_one or model_field.one_to_one):
            return None
        slug = operator.attrgetter(field.slug_field)

        def read_slug(instance):
            related = getattr(instance, source)
            return None if related is None else slug(related)

        return read_slug
    if isinstance(field, ManyRelatedField):
        return _many_reader(source, field.child_relation) if model_field.many_to_many else None
    if model_field.is_relation or isinstance(field, serializers.ReadOnlyField):
        return None
    represent = field.to_representation

    def read(instance):
        value = getattr(instance, source)
        return None if value is None else represent(value)

    return read


#: Where :func:`attach_related_pks` keeps the ids of a many-to-many field, by field name.
PKS_ATTRIBUTE = "_api_related_pks"


def attach_related_pks(instances: Sequence[models.Model], name: str) -> None:
    """Read the ids of the many-to-many field ``name`` of every instance in one query.

    ``prefetch_related`` would do the same in one query too, but then builds a related manager
    and a queryset per instance: for a page of contracts that cost more than the rest of the
    request. Ordered by id. :class:`FastRepresentationMixin` uses them.
    """
    if not instances:
        return
    field = type(instances[0])._meta.get_field(name)
    through = field.remote_field.through
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    found: dict[Any, list] = {instance.pk: [] for instance in instances}
    pairs = (
        through.objects.filter(**{f"{own}__in": list(found)})
        .order_by(f"{other}_id")
        .values_list(f"{own}_id", f"{other}_id")
    )
    for instance_pk, related_pk in pairs:
        found[instance_pk].append(related_pk)
    for instance in instances:
        instance.__dict__.setdefault(PKS_ATTRIBUTE, {})[name] = found[instance.pk]


# ``to_representation`` that gives exactly DRF's output for a model serializer, faster.
#
# DRF looks every field of every row up through its generic machinery (``get_attribute``
# over ``source_attrs``, a callable check, a ``PKOnlyObject`` per foreign key, a related
# manager per many-to-many). For plain model fields, foreign keys and many-to-many ids this
# reads the attribute directly and calls the same field's ``to_representation``; any other
# field goes DRF's way. The plan is made once per serializer (once per list, for a page).
#
# (A comment, not a docstring: drf-spectacular would show a docstring as every
# serializer's description in the schema.)
class FastRepresentationMixin:
    def _representation_plan(self) -> list[tuple[str, Any, Callable | None]]:
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            model = self.Meta.model
            plan = [
                (field.field_name, field, _field_reader(model, field))
                for field in self._readable_fields
            ]
            self.__dict__["_fast_plan"] = plan
        return plan

    def to_representation(self, instance) -> dict:
        result = {}
        for name, field, reader in self._representation_plan():
            if reader is not None:
                result[name] = reader(instance)
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            result[name] = None if check is None else field.to_representation(attribute)
        return result
