"""The admin's clause form: the kind, the Swedish model's options and the model clauses."""

from __future__ import annotations

import json

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from internships.choices import EmploymentType

from .clause_templates import TEMPLATES, template_choices, template_fill
from .models import SocialClause

#: The order of a clause's fields in the admin (the clause page and the contract's inline).
CLAUSE_FIELDS = [
    "template",
    "kind",
    "metric",
    "target",
    "start_date",
    "due_date",
    "min_placement_weeks",
    "target_groups",
    "employment_types",
    "full_time_hours_per_week",
    "first_start_within_days",
    "requires_matcher_confirmation",
    "tolerance_pct",
    "penalty_per_unit_sek",
    "text",
]


class SocialClauseForm(forms.ModelForm):
    """A clause, optionally filled from a model clause (``contracts.clause_templates``).

    Choosing a template fills, when the clause is saved, every field the officer left as it
    was (kind, metric, minimum weeks, employment types, full-time hours, first start, the
    matcher's confirmation) and the Swedish wording with the clause's target in it. Fields the
    officer changed are kept. Works without JavaScript: the fill happens on the server.
    """

    template = forms.ChoiceField(
        label=capfirst(_("template")),
        choices=[("", "---------"), *template_choices()],
        required=False,
        help_text=_(
            "Fill the clause from a model clause: on save, the kind, metric, options and the "
            "Swedish contract wording are filled in; fields you changed yourself are kept. "
            "Enter the target yourself (a dialogue clause has none): the wording states it."
        ),
    )
    employment_types = forms.TypedMultipleChoiceField(
        label=capfirst(_("employment types")),
        choices=EmploymentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Which employment types count. None ticked: every type."),
    )

    class Media:
        js = ["contracts/clause_template.js"]

    class Meta:
        model = SocialClause
        fields = ["contract", *CLAUSE_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A template may give the metric, so the form asks for it only if none does (clean).
        self.fields["metric"].required = False
        # What each template fills, for the small script that fills the form at once.
        self.fields["template"].widget.attrs["data-clause-templates"] = json.dumps(
            {code: template.values() for code, template in TEMPLATES.items()}, default=str
        )
        if self.instance.template and self.instance.template not in TEMPLATES:
            # A code from a template since retired: keep showing (and keeping) it.
            field = self.fields["template"]
            field.choices = [*field.choices, (self.instance.template, self.instance.template)]
        self.fields["kind"].help_text = _(
            "A dialogue clause is followed without a target. To convert a dialogue clause "
            "into a numeric one, choose numeric and enter a target: its history, reports and "
            "snapshots are kept."
        )

    def clean(self) -> dict:
        data = super().clean()
        code = data.get("template")
        if code in TEMPLATES and "template" in self.changed_data:
            keep = {name for name in self.changed_data if name != "template"}
            data.update(template_fill(data, template=TEMPLATES[code], keep=keep))
        if not data.get("metric") and "metric" not in self.errors:
            self.add_error("metric", forms.Field.default_error_messages["required"])
        return data
