"""Strings of third-party apps that ship no Swedish catalogue, listed here so that ours has them.

``makemessages`` finds these calls and the strings get their Swedish in
``locale/sv/LC_MESSAGES/django.po``, which Django reads before any app's catalogue
(``LOCALE_PATHS``). Nothing imports this module: the strings are translated where the apps use them.

* django-simple-history: the history pages of the admin (every model with a history).
* django-axes: the login attempts and lockouts in the admin.
* django-celery-beat: the names of its admin section and lists (its pages themselves are for
  operators and stay in English).
* Django REST framework ships Swedish, but its date message has a typo and names the format in
  English ("Använde ett av dessa format istället: YYYY-MM-DD"). Every date the API and the import
  read is an ISO date (DRF's default ``DATE_INPUT_FORMATS``), so ours names it in Swedish.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

SIMPLE_HISTORY = [
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    gettext_noop("You may edit it again below"),
    gettext_noop("Revert %s"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop(
        "Choose a date from the list below to revert to a previous version of this object."
    ),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Or press the 'Change History' button to edit the history."),
    gettext_noop("Object"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Changes"),
    gettext_noop("None"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
    # The history pages of a model the user may only view (e.g. an officer and the referrals).
    gettext_noop("View history: %s"),
    gettext_noop("View %s"),
    gettext_noop("View %(verbose_name)s"),
    ngettext_lazy("entry", "entries", 1),
]

AXES = [
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account."
    ),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Locked Out"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
]

CELERY_BEAT = [
    gettext_noop("Periodic Tasks"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("clocked"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
]

REST_FRAMEWORK = [
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
]
