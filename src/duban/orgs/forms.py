from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core import validators as django_validators
from django.utils.translation import gettext_lazy as _

from duban.core.validation import CleanTextForm, max_length_of
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
