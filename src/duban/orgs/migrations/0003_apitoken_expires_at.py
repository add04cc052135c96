"""API tokens expire. Tokens that exist already get 90 days from the upgrade, so no
running script breaks at once and none lives forever."""

import datetime as dt

from django.db import migrations, models
from django.utils import timezone


def give_existing_tokens_90_days(apps, schema_editor):
    ApiToken = apps.get_model("orgs", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=timezone.now() + dt.timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_tree_path_field")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(give_existing_tokens_90_days, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="创建时间"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="label",
            field=models.CharField(blank=True, default="", max_length=80, verbose_name="名称"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最后使用"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="revoked",
            field=models.BooleanField(default=False, verbose_name="已吊销"),
        ),
    ]
