"""Strings of third-party apps that ship no Swedish catalogue, listed here so that ours has them.

``makemessages`` finds these calls and the strings get their Swedish in
``locale/sv/LC_MESSAGES/django.po``, which Django reads before any app's catalogue
(``LOCALE_PATHS``). Nothing imports this module: the strings are translated where the apps use them.

* django-simple-history: the history pages of the admin (every model with a history).
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
    ngettext_lazy("entry", "entries", 1),
]

REST_FRAMEWORK = [
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
]
