"""User accounts: invitations by e-mail for contractor users (issue 6)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import language_of


def user_invite(*, user, contractor_name: str = "") -> None:
    """E-mail ``user`` a one-time link to choose a password (Django's password-reset token: it
    expires after ``PASSWORD_RESET_TIMEOUT`` and stops working once the password is set).

    The password is never sent; until the link is used the account has no usable password.
    """
    if not user.email:
        raise ValidationError(
            _("The user %(username)s has no e-mail address.") % {"username": user.get_username()}
        )
    if user.has_usable_password() and user.last_login is None:
        # A new account: no password anyone has seen is left working.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse("password_reset_confirm", args=[uid, token])
    with translation.override(language_of(user)):
        subject = _("Your account in the social clause compliance tracker")
        body = render_to_string(
            "registration/invitation_email.txt",
            {"user": user, "link": link, "contractor": contractor_name},
        )
    send_mail(subject, body, None, [user.email])
