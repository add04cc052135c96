"""The shared cache table (see core/cache.py), declared as a model so a migration creates it
(`duban migrate`, `demo` and `serve` all migrate) and `flush` empties it."""

from __future__ import annotations

from django.db import models

from duban.core.cache import TABLE


class CacheEntry(models.Model):
    """Exactly the columns Django's database cache reads and writes (as `createcachetable` makes them)."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = TABLE
        verbose_name = "缓存"
        verbose_name_plural = "缓存"

    def __str__(self) -> str:
        return self.cache_key
