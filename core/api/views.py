"""Authentication endpoints: token, logout, me."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.mfa import needs_mfa
from core.roles import contractor_id_of, matcher_unit_id_of, roles_of

from .authentication import TokenAuthentication, expired_tokens_delete
from .throttling import LoginRateThrottle


class LockedOut(Exception):
    """django-axes refused the login: too many failures for this username and address."""


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    otp_token = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Staff accounts: the current code from the authenticator app."),
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        # django-axes counts failures per username and address on the plain HttpRequest.
        http_request = getattr(request, "_request", request)
        user = authenticate(http_request, username=attrs["username"], password=attrs["password"])
        if getattr(http_request, "axes_locked_out", False):
            raise LockedOut
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                _("Unable to log in with these credentials."), code="authorization"
            )
        # A token must not be a way around the staff's second factor.
        if (
            settings.MFA_REQUIRED
            and needs_mfa(user)
            and match_token(user, attrs.get("otp_token") or "") is None
        ):
            raise serializers.ValidationError(
                {"otp_token": [_("Staff accounts need the current code from the app.")]},
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class TokenView(APIView):
    """Exchange a username and password for an API token (hashed at rest, expiring)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except LockedOut:
            return Response(
                {"detail": _("Too many failed logins. Try again later.")},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
            )
        user = serializer.validated_data["user"]
        # Requests check only their own token's expiry (core.api.authentication): the user's
        # other expired tokens are swept here.
        expired_tokens_delete(user)
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_200_OK)


@extend_schema(request=None, responses={204: None})
class LogoutView(KnoxLogoutView):
    """Revoke the token used for this request."""

    authentication_classes = (TokenAuthentication,)


@extend_schema(request=None, responses={204: None})
class LogoutAllView(KnoxLogoutAllView):
    """Revoke every token of the user."""

    authentication_classes = (TokenAuthentication,)


class MeView(APIView):
    """Who the caller is: id, username, roles, contractor and (for a matcher) labour-market
    unit."""

    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "id": serializers.IntegerField(),
                "username": serializers.CharField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "contractor": serializers.IntegerField(allow_null=True),
                "unit": serializers.IntegerField(allow_null=True),
            },
        )
    )
    def get(self, request):
        user = request.user
        return Response(
            {
                "id": user.id,
                "username": user.get_username(),
                "roles": roles_of(user),
                "contractor": contractor_id_of(user),
                "unit": matcher_unit_id_of(user),
            }
        )
