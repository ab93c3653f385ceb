"""The contractor's referrals, mounted at /portal/referrals/."""

from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referrals, name="index"),
    path("<int:referral_id>/answer/", views.referral_answer, name="answer"),
]
