"""Friendly error pages for people, problem JSON for API clients."""
from django.http import JsonResponse
from django.shortcuts import render

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    403: "You do not have permission to do this",
    404: "Not found",
    500: "Something went wrong on our side",
}


def _wants_problem_json(request) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def _respond(request, status: int, template: str, detail: str = ""):
    if _wants_problem_json(request):
        body = {"type": "about:blank", "title": _TITLES[status], "status": status}
        if detail:
            body["detail"] = detail
        return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)
    return render(request, template, {"detail": detail}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "400.html")


def permission_denied(request, exception=None):
    return _respond(request, 403, "403.html", str(exception or ""))


def page_not_found(request, exception=None):
    return _respond(request, 404, "404.html")


def server_error(request):
    return _respond(request, 500, "500.html")
