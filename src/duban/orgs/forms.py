from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators as django_validators
from django.utils.translation import gettext_lazy as _

from duban.core.validation import CleanTextForm, check_text, max_length_of
from duban.orgs.models import Membership, OrgUnit, Role, UnitKind


class UnitForm(CleanTextForm, forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=max_length_of(OrgUnit, "name"))
    kind = forms.ChoiceField(label=_("单位类型"), choices=UnitKind.choices)
    code = forms.CharField(label=_("单位代码"), max_length=max_length_of(OrgUnit, "code"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx、.xls、.et、.ods）"))


class MemberForm(CleanTextForm, forms.Form):
    """Add a person to a unit: a new account, or an existing username with a new role."""

    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    password = forms.CharField(label=_("初始密码（新账号）"), required=False, widget=forms.PasswordInput, min_length=8)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, initial=Role.LIAISON)
    title = forms.CharField(label=_("职务"), max_length=max_length_of(Membership, "title"), required=False)


class TokenForm(forms.Form):
    """A new API token of one's own: what it is for and how long it lives."""

    name = forms.CharField(label=_("名称"), max_length=80, required=False, help_text=_("例如：数据同步脚本"))
    days = forms.IntegerField(
        label=_("有效期（天）"),
        initial=90,
        min_value=1,
        max_value=3650,
        error_messages={
            "invalid": _("有效期须为 1 到 3650 天之间的整数"),
            "min_value": _("有效期须为 1 到 3650 天之间的整数"),
            "max_value": _("有效期须为 1 到 3650 天之间的整数"),
            "required": _("请填写有效期"),
        },
    )


class _BoundedLogin(CleanTextForm):
    """Django's login forms set the username's max_length after the field is built, so only
    the HTML attribute knew it, and a 10,000-character name reached authenticate() — and the
    lockout table, whose column it overflows (a 500 on PostgreSQL). Enforce it, and cap the password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(django_validators.MaxLengthValidator(username.max_length))
        self.fields["password"].validators.append(django_validators.MaxLengthValidator(4096))


class LoginForm(_BoundedLogin, AuthenticationForm):
    pass


class AdminLoginForm(_BoundedLogin, AdminAuthenticationForm):
    pass


class UnitPicker(forms.Widget):
    """A searchable unit picker: a text box for the name and a hidden box for the chosen id.

    The script (duban/unit-picker.js) asks `orgs:unit_search` as the user types and fills
    the id when a unit is picked, by mouse, finger or keyboard. Without the script it is a
    plain text box whose name the field resolves, "上级单位/单位名称" where names repeat.
    """

    def format_value(self, value):
        return value

    def value_from_datadict(self, data, files, name):
        return (data.get(name) or "", data.get(f"{name}_id") or "")

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_id" not in data

    def render(self, name, value, attrs=None, renderer=None):
        from django.template.loader import render_to_string

        text, unit_id = "", ""
        if isinstance(value, OrgUnit):
            text, unit_id = value.name, value.pk
        elif isinstance(value, (tuple, list)):
            text, unit_id = value
        elif value:
            text = str(value)
        attrs = self.build_attrs(self.attrs, attrs)
        return render_to_string("orgs/_unit_picker.html", {
            "text_name": name, "id_name": f"{name}_id", "text": text, "unit_id": unit_id,
            "input_id": attrs.get("id", ""), "required": self.is_required,
        })


class UnitIdHiddenInput(forms.HiddenInput):
    """The value a form was loaded with (show_hidden_initial): the unit's id, not its name."""

    def format_value(self, value):
        return str(value.pk) if isinstance(value, OrgUnit) else super().format_value(value)


class UnitField(forms.Field):
    """A unit the user may choose: by id from the picker, or by name typed in the box.

    The id is checked against the user's scope with one query and a name is looked up
    by the name index (`matching.resolve_in`): the visible tree, 111,601 units in a
    province, is never loaded. `unit_ids` narrows the choice further (a campaign's tree).
    """

    widget = UnitPicker
    hidden_widget = UnitIdHiddenInput

    def __init__(self, *args, user=None, within: OrgUnit | None = None, **kwargs):
        self.user, self.within = user, within
        self._resolved: dict[tuple[str, str], OrgUnit | str] = {}
        super().__init__(*args, **kwargs)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._resolved = {}
        return result

    def _choosable(self):
        from duban.orgs.scoping import visible_units

        qs = visible_units(self.user)
        return qs.filter(path__subtree=self.within.path) if self.within is not None else qs

    def resolve(self, text: str, raw_id: str) -> OrgUnit | str | None:
        """The unit for what was posted (cached: `has_changed` and `clean` both ask)."""
        from duban.core.validation import id_or_none
        from duban.orgs.matching import resolve_in

        text, raw_id = str(text or "").strip(), str(raw_id or "").strip()
        key = (text, raw_id)
        if key not in self._resolved:
            if text:
                check_text(text, 2 * max_length_of(OrgUnit, "name") + 1)  # "上级单位/单位名称"
            unit_id = id_or_none(raw_id)
            unit = self._choosable().filter(pk=unit_id).first() if unit_id else None
            if unit is not None and text and text != unit.name and not text.endswith(unit.name):
                unit = None  # the name was edited after picking (or without the script): the name decides
            if unit is not None:
                self._resolved[key] = unit
            elif text:
                self._resolved[key] = resolve_in(self._choosable(), text)
            elif raw_id:
                self._resolved[key] = str(_("所选单位不存在或不在您的范围内"))
            else:
                self._resolved[key] = None
        return self._resolved[key]

    def to_python(self, value):
        if isinstance(value, (tuple, list)):
            resolved = self.resolve(*value)
            if isinstance(resolved, str):
                raise forms.ValidationError(resolved)
            return resolved
        return value  # the hidden initial (an id) or an OrgUnit given as initial

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data) -> bool:
        initial_id = initial.pk if isinstance(initial, OrgUnit) else (str(initial).strip() or None if initial else None)
        try:
            current = self.to_python(data)
        except forms.ValidationError:
            return True
        current_id = current.pk if isinstance(current, OrgUnit) else None
        return str(initial_id or "") != str(current_id or "")
