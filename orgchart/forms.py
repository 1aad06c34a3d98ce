from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from orgchart import access


class AsOfForm(forms.Form):
    """The "as of date" picker: dd/mm/yyyy (or ISO from a date input); defaults to today."""

    as_of = forms.DateField(label=_("As of"), required=False, localize=True)

    def clean_as_of(self):
        return self.cleaned_data.get("as_of") or access.today()


def as_of_from_request(request):
    form = AsOfForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form.cleaned_data["as_of"], form
    return access.today(), AsOfForm(initial={"as_of": access.today()}) if not form.is_bound else form


class GrantForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=list(access.GRANT_ROLES.items()))
    valid_from = forms.DateField(label=_("Valid from"), localize=True)
    valid_to = forms.DateField(label=_("Valid to"), required=False, localize=True)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user named %(name)s.") % {"name": username})
        return user

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end date is before the start date."))
        return data
