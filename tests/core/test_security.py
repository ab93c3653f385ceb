"""Security settings and authentication (issue 6): the deployment check, HTTPS and CSP headers,
login lockout, idle timeout, password reset and invitations, staff two-factor authentication."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ContractorUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def _deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "HTTPS", "MFA_REQUIRED", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env |= {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "sociala-krav.example.se",
        "VAR_DIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_check(tmp_path):
    result = _deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deployment_check_fails_for_debug_and_a_weak_key(tmp_path):
    result = _deploy_check(tmp_path, DEBUG="1", SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG
    assert "security.W009" in result.stderr + result.stdout  # weak SECRET_KEY


def test_every_page_has_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_plain_http_is_redirected_and_https_answers_with_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = client.get(reverse("login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    secure = client.get(reverse("login"), secure=True)
    assert secure.status_code == 200
    assert "max-age=31536000" in secure["Strict-Transport-Security"]


# --- Lockout ------------------------------------------------------------------------------


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_repeated_failed_logins_lock_the_username_at_that_address_for_a_while(client, lockout):
    UserFactory(username="anna")
    UserFactory(username="bertil")
    for _ in range(2):
        assert _login(client, "anna", "wrong").status_code == 200
    assert _login(client, "anna", "wrong").status_code == 429  # the third failure locks
    locked = _login(client, "anna", "demo1234")
    assert locked.status_code == 429  # the right password does not help now
    assert _login(client, "bertil", "demo1234").status_code == 302  # others at that address
    assert _login(client, "anna", "demo1234", ip="10.9.9.9").status_code == 302  # elsewhere
    client.logout()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _login(client, "anna", "demo1234").status_code == 302  # after the cool-off


def test_the_admin_login_is_locked_too(client, lockout):
    UserFactory(username="olle", is_staff=True)
    for _ in range(3):
        client.post(
            reverse("admin:login"), {"username": "olle", "password": "x"}, REMOTE_ADDR="10.0.0.2"
        )
    response = client.post(
        reverse("admin:login"),
        {"username": "olle", "password": "demo1234"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 429


def test_the_token_endpoint_is_locked_too(client, lockout):
    UserFactory(username="api-user")
    url = reverse("auth-token")
    for _ in range(3):
        client.post(url, {"username": "api-user", "password": "x"}, REMOTE_ADDR="10.0.0.3")
    response = client.post(
        url, {"username": "api-user", "password": "demo1234"}, REMOTE_ADDR="10.0.0.3"
    )
    assert response.status_code == 429
    assert "token" not in response.json()


# --- Sessions and passwords -----------------------------------------------------------------


def test_an_idle_session_expires(client, contract_user_with_portal):
    client.post(reverse("login"), {"username": "portal-user", "password": "demo1234"})
    idle = settings.SESSION_COOKIE_AGE
    with time_machine.travel(timezone.now() + timedelta(seconds=idle - 60)):
        assert client.get(reverse("portal:index")).status_code == 200  # and renews the session
    with time_machine.travel(timezone.now() + timedelta(seconds=2 * idle - 120)):
        assert client.get(reverse("portal:index")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=3 * idle + 60)):
        assert client.get(reverse("portal:index")).status_code == 302  # idle too long


@pytest.fixture
def contract_user_with_portal(db):
    return ContractorUserFactory(username="portal-user", email="portal@bygg.example.se")


def _reset_link(message) -> str:
    return re.search(r"https?://[^\s]+/accounts/reset/[^\s]+/", message.body).group(0)


def test_password_reset_by_email_refuses_weak_passwords(client, contract_user_with_portal):
    client.post(reverse("password_reset"), {"email": "portal@bygg.example.se"})
    assert len(mail.outbox) == 1
    link = _reset_link(mail.outbox[0])
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and weak.context["form"].errors
    strong = "Tegel-Bruk-2026-Vatten"
    done = client.post(set_url, {"new_password1": strong, "new_password2": strong})
    assert done.status_code == 302
    assert client.login(username="portal-user", password=strong)


def test_invitation_email_lets_a_new_contractor_user_choose_a_password(client, officer, contractor):
    from procurement.models import ContractorMembership

    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(
        *__import__("django.contrib.auth.models").contrib.auth.models.Permission.objects.filter(
            codename__in=["view_contractormembership", "change_contractormembership"]
        )
    )
    newcomer = UserFactory(username="ny-entreprenor", email="ny@bygg.example.se")
    membership = ContractorMembership.objects.create(user=newcomer, contractor=contractor)
    client.force_login(officer)
    response = client.post(
        reverse("admin:procurement_contractormembership_changelist"),
        {"action": "invite", "_selected_action": [membership.pk]},
    )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["ny@bygg.example.se"] and contractor.name in message.body
    assert "demo1234" not in message.body
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()  # nobody's password works until the link is used
    client.logout()
    link = _reset_link(message)
    form = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True)
    strong = "Murbruk-och-Tegel-77"
    client.post(form.redirect_chain[-1][0], {"new_password1": strong, "new_password2": strong})
    assert client.login(username="ny-entreprenor", password=strong)


@pytest.fixture
def contractor(db):
    from tests.factories import ContractorFactory

    return ContractorFactory(name="Tegelbruket AB")


# --- Two-factor authentication ---------------------------------------------------------------


@pytest.fixture
def mfa(settings):
    settings.MFA_REQUIRED = True
    return settings


def _code(device: TOTPDevice, at=None) -> str:
    """The authenticator app's code for ``device`` at ``at`` (default now)."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = (at or timezone.now()).timestamp()
    return str(generator.token()).zfill(device.digits)


def test_staff_set_up_an_authenticator_then_need_a_code_at_every_login(client, mfa):
    officer = UserFactory(username="mfa-officer", groups=["officers"], is_staff=True)
    client.force_login(officer)
    first = client.get(reverse("admin:index"))
    assert first.status_code == 302 and first["Location"].startswith(reverse("mfa-setup"))
    setup = client.get(first["Location"])
    assert "<svg" in setup.content.decode()  # the QR code, drawn without script
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    wrong = client.post(first["Location"], {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    # A wrong code slows the next attempt down (django-otp's throttle): wait as a person would.
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        device.refresh_from_db()
        code = _code(device, timezone.now())
        confirmed = client.post(first["Location"], {"token": code, "next": "/admin/"})
        assert confirmed.status_code == 302 and confirmed["Location"] == "/admin/"
        assert client.get(reverse("admin:index")).status_code == 200
    # Next login: the password alone is not enough for the dashboard either.
    client.logout()
    client.force_login(officer)
    again = client.get(reverse("dashboard:index"))
    assert again["Location"].startswith(reverse("mfa-verify"))
    later = timezone.now() + timedelta(seconds=60)  # a new code (a used one cannot be replayed)
    with time_machine.travel(later):
        device.refresh_from_db()
        ok = client.post(again["Location"], {"token": _code(device, later), "next": "/dashboard/"})
        assert ok["Location"] == "/dashboard/"
        assert client.get(reverse("dashboard:index")).status_code == 200


def test_contractor_users_are_not_asked_for_a_second_factor(client, mfa):
    user = ContractorUserFactory(username="mfa-contractor")
    client.force_login(user)
    assert client.get(reverse("portal:index")).status_code == 200


def test_staff_api_tokens_need_the_current_code_too(client, mfa):
    manager = UserFactory(username="mfa-manager", groups=["managers"])
    device = TOTPDevice.objects.create(user=manager, name="app", confirmed=True)
    url = reverse("auth-token")
    refused = client.post(url, {"username": "mfa-manager", "password": "demo1234"})
    assert refused.status_code == 400 and "otp_token" in refused.json()
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):  # past the throttle
        device.refresh_from_db()
        code = _code(device, timezone.now())
        granted = client.post(
            url, {"username": "mfa-manager", "password": "demo1234", "otp_token": code}
        )
    assert granted.status_code == 200 and granted.json()["token"]


def test_the_health_check_answers_over_plain_http_for_the_container(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz/").status_code in (200, 503)
