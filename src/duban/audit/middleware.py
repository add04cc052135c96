"""One audit action id per request, so every row one click writes shares it."""

from duban.audit.services import user_action


class AuditActionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return self.get_response(request)
        with user_action():
            return self.get_response(request)
