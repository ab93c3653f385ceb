"""Load shedding (core/overload.py): beyond the per-process limit a heavy request gets a quick
503 with Retry-After; light paths never wait for it; a burst of normal clients is queued, not
refused."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from core.overload import HeavyRequestLimiter, heavy_limiter


@pytest.fixture
def limit_one(settings):
    """One heavy request per process, no waiting room, and that one slot taken (as by a slow
    dashboard still running in another thread of the process)."""
    settings.HEAVY_REQUESTS_PER_PROCESS = 1
    settings.HEAVY_REQUEST_QUEUE = 0
    settings.HEAVY_REQUEST_WAIT = 0
    limiter = heavy_limiter()
    assert limiter.acquire("dashboard")
    assert limiter.acquire("api")
    yield limiter
    limiter.release("dashboard")
    limiter.release("api")


@pytest.mark.django_db
def test_page_beyond_the_limit_gets_a_quick_translated_503(
    client, manager, limit_one, compiled_catalogue
):
    client.force_login(manager)
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Tjänsten är upptagen" in body
    assert "Sociala krav" in body or "sociala krav" in body.lower()


@pytest.mark.django_db
def test_page_503_in_english_for_an_english_visitor(client, manager, limit_one):
    client.force_login(manager)
    response = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "The service is busy" in response.content.decode()


@pytest.mark.django_db
def test_api_beyond_the_limit_gets_a_json_503(manager, limit_one, compiled_catalogue):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(manager)
    response = api.get("/api/v1/contracts/", HTTP_ACCEPT_LANGUAGE="sv")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {"detail": "Tjänsten är upptagen. Försök igen om några sekunder."}


@pytest.mark.django_db
def test_light_paths_pass_while_the_limit_is_reached(client, manager, limit_one):
    assert client.get("/healthz/").status_code in (200, 503)  # 503 only if the broker is down
    assert client.get("/healthz/").json()["database"] == "ok"
    client.force_login(manager)
    assert client.get("/api/v1/auth/me/").status_code == 200


@pytest.mark.django_db
def test_heavy_request_passes_again_once_the_slot_is_free(client, manager, limit_one):
    client.force_login(manager)
    assert client.get("/api/v1/districts/").status_code == 503
    limit_one.release("api")
    try:
        assert client.get("/api/v1/districts/").status_code == 200
    finally:
        assert limit_one.acquire("api")


@pytest.mark.django_db
def test_slow_dashboards_do_not_refuse_the_rest_of_the_site(admin_client, limit_one):
    """The dashboard's and the API's slots are taken; the admin and the portal have their own."""
    assert admin_client.get("/dashboard/").status_code == 503
    assert admin_client.get("/admin/contracts/contract/").status_code == 200
    assert admin_client.get("/portal/").status_code != 503


@pytest.mark.django_db
def test_a_waiting_request_gets_the_slot_when_it_frees(client, manager, settings):
    settings.HEAVY_REQUESTS_PER_PROCESS = 1
    settings.HEAVY_REQUEST_QUEUE = 1
    settings.HEAVY_REQUEST_WAIT = 10
    limiter = heavy_limiter()
    assert limiter.acquire("api")
    client.force_login(manager)
    # The slot frees while the request waits for it.
    timer = threading.Timer(0.3, limiter.release, args=["api"])
    timer.start()
    response = client.get("/api/v1/districts/")
    timer.join()
    assert response.status_code == 200


def test_limiter_queues_up_to_its_waiting_room_and_refuses_the_rest():
    limiter = HeavyRequestLimiter(limit=2, queue=3, wait=2.0)
    assert limiter.acquire() and limiter.acquire()
    release = threading.Event()

    def take_and_give_back() -> bool:
        taken = limiter.acquire()
        if taken:
            limiter.release()
        return taken

    with ThreadPoolExecutor(max_workers=6) as pool:
        waiting = [pool.submit(take_and_give_back) for _ in range(3)]
        # Wait until the three are in the waiting room, then a fourth is refused at once.
        for _ in range(200):
            if limiter._waiting == 3:
                break
            release.wait(0.01)
        assert limiter.acquire() is False
        limiter.release()
        limiter.release()
        assert [future.result() for future in waiting] == [True, True, True]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_concurrent_normal_clients_are_never_refused(settings):
    """The defaults (2 running, 8 waiting, 5 s) queue ten simultaneous page loads of a process."""

    def load_login_page() -> int:
        return Client().get("/accounts/login/").status_code

    start = threading.Barrier(10)

    def at_once() -> int:
        start.wait()
        return load_login_page()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: at_once(), range(10)))
    assert statuses == [200] * 10
