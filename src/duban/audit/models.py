"""Who changed what, when, from what to what. Rows are written once and never changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.audit.labels import verb_label


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: D102 - the trail is append-only
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    action_id = models.UUIDField(_("操作编号"), db_index=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人")
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True, default="")
    verb = models.CharField(_("动作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True, default="")
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    note = models.TextField(_("说明"), blank=True, default="")
    unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("单位")
    )

    objects = AuditEventQuerySet.as_manager()
    scope_field = "unit"

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self) -> str:
        # Beijing time and the verb in words, as the trail page shows them (admin lists use this).
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_name} {verb_label(self.verb)} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")
