"""Serializer bases shared by the apps."""

from __future__ import annotations

from django.db import transaction
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField


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
