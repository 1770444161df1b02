"""A Redis cache that fails open: a Redis that is down or hung never fails a request.

The cache holds only counters that may be lost (the login and password-reset throttles),
so when Redis does not answer within its socket timeout the read is a miss and the write
is dropped, and for a few seconds afterwards Redis is not asked at all: one slow answer
per few seconds, not one per request.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5.0


class FailOpenRedisCache(RedisCache):
    _down_until = 0.0

    def _call(self, name: str, default, *args, **kwargs):
        if time.monotonic() < FailOpenRedisCache._down_until:
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            FailOpenRedisCache._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            logger.warning("cache: Redis unavailable (%s); throttles are open for %ss", exc, RETRY_AFTER_SECONDS)
            return default

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def add(self, key, value, timeout=None, version=None):
        return self._call("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=None, version=None):
        return self._call("set", None, key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        # A key that expired between add and incr still raises ValueError: the caller handles it.
        return self._call("incr", None, key, delta, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def clear(self):
        return self._call("clear", False)
