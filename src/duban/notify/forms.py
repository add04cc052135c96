from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from duban.notify import senders

WIDE = forms.TextInput(attrs={"autocomplete": "off", "style": "width:100%"})


class ChannelsForm(forms.Form):
    """A unit's three channels. A blank robot field keeps what is stored (the page never
    shows it back in full, so it cannot be re-submitted); "清除" removes it."""

    dingtalk_url = forms.CharField(widget=WIDE, label=_("钉钉群机器人地址"), max_length=500, required=False,
                                   help_text=_("群设置 › 机器人 › 自定义机器人的 Webhook，整段复制"))
    dingtalk_secret = forms.CharField(label=_("钉钉加签密钥"), max_length=200, required=False,
                                      widget=forms.PasswordInput(attrs={"autocomplete": "off", "style": "width:100%"}),
                                      help_text=_("安全设置选“加签”时显示的 SEC 开头的字符串"))
    dingtalk_clear = forms.BooleanField(label=_("清除钉钉设置"), required=False)
    wecom_url = forms.CharField(widget=WIDE, label=_("企业微信群机器人地址"), max_length=500, required=False,
                                help_text=_("群机器人的 Webhook 地址，带 key=…"))
    wecom_clear = forms.BooleanField(label=_("清除企业微信设置"), required=False)
    emails = forms.CharField(widget=WIDE, label=_("通知邮箱"), max_length=500, required=False,
                             help_text=_("多个地址用逗号或顿号分隔；留空表示不发邮件"))

    def clean_dingtalk_url(self) -> str:
        return _checked(self.cleaned_data["dingtalk_url"], lambda v: senders.check_robot_url(v, "dingtalk"))

    def clean_wecom_url(self) -> str:
        return _checked(self.cleaned_data["wecom_url"], lambda v: senders.check_robot_url(v, "wecom"))

    def clean_emails(self) -> str:
        return _checked(self.cleaned_data["emails"], senders.check_emails)


def _checked(value: str, check: Callable[[str], object]) -> str:
    """The field's text, stripped; a blank one is not checked (it keeps or clears what is
    stored), anything else must pass `check`, whose messages become the field's."""
    value = value.strip()
    if value:
        try:
            check(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
    return value
