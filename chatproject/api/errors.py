"""One error body for the whole API: {"detail": "..."} plus {"errors": {field: [messages]}} on 400."""

import logging

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from chatproject.api.fields import ErrorSerializer

logger = logging.getLogger(__name__)

NOT_FOUND = "Not found."

# The error answers of the schema, by status: each view names those it may give beyond the
# 401, 403 and 429 that every authenticated endpoint can.
ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, "Invalid input; `errors` names each field."),
    401: OpenApiResponse(ErrorSerializer, "Not authenticated."),
    403: OpenApiResponse(ErrorSerializer, "CSRF check failed (session authentication only)."),
    404: OpenApiResponse(ErrorSerializer, "No such session for this user (also for another user's or a malformed id)."),
    409: OpenApiResponse(ErrorSerializer, "A reply to another message is being written in this session."),
    413: OpenApiResponse(ErrorSerializer, "Request body over API_MAX_BODY_BYTES."),
    429: OpenApiResponse(ErrorSerializer, "Throttled; see Retry-After."),
}


def error_responses(*codes: int) -> dict:
    return {code: ERROR_RESPONSES[code] for code in (401, 403, 429, *codes)}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field": [...], "messages[2].text": [...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int):
                flat.update(_flatten(value, f"{prefix}[{key}]"))
            else:
                flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _bad_request(errors: dict[str, list[str]]) -> Response:
    first_field, messages = next(iter(errors.items()))
    detail = messages[0] if first_field == "non_field_errors" else f"{first_field}: {messages[0]}"
    return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc, context):
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return Response({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return _bad_request({field: list(messages) for field, messages in exc.message_dict.items()})
        return _bad_request({"non_field_errors": list(exc.messages)})
    if isinstance(exc, exceptions.ValidationError):
        return _bad_request(_flatten(exc.detail) or {"non_field_errors": ["Invalid input."]})
    if isinstance(exc, exceptions.NotFound):
        return Response({"detail": NOT_FOUND}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": f"The request body is over the limit of {settings.API_MAX_BODY_BYTES} bytes."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database went away mid-request (a restart, a failover); nothing of it was committed
        # unless the client hears so, and a retry with the same client_id stores nothing twice.
        logger.warning("database unavailable during %s", context["request"].path, exc_info=True)
        return Response(
            {"detail": "The database is unavailable for a moment; try again."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response


def api_not_found(request, *args, **kwargs):
    """Unmatched /api/ URLs answer JSON in every mode (DEBUG would otherwise send an HTML page)."""
    return JsonResponse({"detail": NOT_FOUND}, status=404)
