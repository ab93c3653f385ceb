"""The Celery application. Tasks are "just another interface" to the services (STYLE.md)."""

import os

from celery import Celery, bootsteps
from celery.apps.worker import Worker
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("socialclause")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic job, in one place. django-celery-beat's DatabaseScheduler copies these into the
# database at start, where the admin shows them. Run exactly one beat.
app.conf.beat_schedule = {
    "heartbeat": {"task": "core.heartbeat", "schedule": 60.0},
    "nightly-compliance": {
        "task": "contracts.evaluate_all",
        "schedule": crontab(hour=2, minute=15),
    },
    # Goes on with a day's run whose worker was lost, once its lease has expired.
    "resume-compliance-runs": {"task": "contracts.resume_compliance_runs", "schedule": 60.0},
    "requested-evaluations": {"task": "contracts.evaluate_requested", "schedule": 300.0},
    "alert-digests": {"task": "contracts.send_alert_digests", "schedule": 600.0},
    "retention": {"task": "internships.apply_retention", "schedule": crontab(hour=3, minute=30)},
}


class EvaluateWhatWaited(bootsteps.StartStopStep):
    """Each time a worker connects to the broker (at start, and again after Redis was down or
    hung), it evaluates at once the contracts whose evaluation could not be queued
    (``evaluation_requested_at``), rather than at the next five-minute run.

    Only in ``celery worker``: test workers (``celery.contrib.testing``) send nothing."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer) -> None:
        if isinstance(consumer.controller, Worker):
            consumer.app.send_task("contracts.evaluate_requested")


app.steps["consumer"].add(EvaluateWhatWaited)
