"""Django's error handlers, answering with the JSON envelope instead of HTML pages."""
from django.http import JsonResponse

from config.exceptions import error_body


def bad_request(request, exception=None):
    return JsonResponse(error_body("invalid", "The request is malformed."), status=400)


def permission_denied(request, exception=None):
    return JsonResponse(error_body("forbidden", "You do not have permission."), status=403)


def page_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request):
    return JsonResponse(error_body("internal_error", "An unexpected error occurred."), status=500)
