"""The default cache: a database table every worker process shares (Redis replaces it in production).

Django's DatabaseCache implements `incr` as read, add, write: two workers counting the
same rate-limit bucket at once can both read 4 and both write 5. Here `incr` first takes
the row's write lock with a no-op UPDATE (a row lock on PostgreSQL, the database write
lock on SQLite), so concurrent increments queue up and none is lost.
"""

from __future__ import annotations

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction

TABLE = "duban_cache"


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        qn = connection.ops.quote_name
        made = self.make_and_validate_key(key, version=version)
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {qn(self._table)} SET {qn('expires')} = {qn('expires')} WHERE {qn('cache_key')} = %s",  # noqa: S608 - our table
                    [made],
                )
            return super().incr(key, delta, version)
