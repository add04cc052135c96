"""The shared cache table (rate-limit counters of every worker process). See core/cache.py."""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        migrations.CreateModel(
            name='CacheEntry',
            fields=[
                ('cache_key', models.CharField(max_length=255, primary_key=True, serialize=False)),
                ('value', models.TextField()),
                ('expires', models.DateTimeField(db_index=True)),
            ],
            options={
                'verbose_name': '缓存',
                'verbose_name_plural': '缓存',
                'db_table': 'duban_cache',
            },
        ),
    ]
