"""Throttle scopes of the API (rates in settings.REST_FRAMEWORK)."""


# Reads and writes are throttled in separate scopes, api_read and api_write. (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every view using it.)
class ReadWriteThrottled:
    def get_throttles(self):
        self.throttle_scope = "api_read" if self.request.method in ("GET", "HEAD", "OPTIONS") else "api_write"
        return super().get_throttles()
