"""Imports over the API: upload a file of conversations (a background job imports it), follow it,
read its report."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.drf import django_request
from chatproject.api.errors import error_responses
from chatproject.api.fields import ErrorSerializer
from chatproject.api.parsers import RequestTooLarge
from chatproject.jobs.api import JobDetailApi
from conversation.pagination import SessionCursorPagination
from imports import formats, selectors, services
from imports.models import ConversationImport, ConversationImportRow


def _too_large() -> RequestTooLarge:
    return RequestTooLarge(f"The file is over the limit of {settings.IMPORT_MAX_BYTES} bytes.")


class BoundedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Uploads go to a temporary file as they arrive (never held in memory), and stop with a 413
    once they pass IMPORT_MAX_BYTES, whatever the request declared."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_BYTES:
            raise _too_large()
        return super().receive_data_chunk(raw_data, start)


class ImportOutputSerializer(serializers.Serializer):
    class ProgressSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ImportProgress"

        conversations_done = serializers.IntegerField()
        conversations_total = serializers.IntegerField(allow_null=True, help_text="When the file says.")
        utterances = serializers.IntegerField(help_text="Messages stored so far.")
        bytes_done = serializers.IntegerField(help_text="Of the file, read so far.")
        bytes_total = serializers.IntegerField()

    class SummarySerializer(serializers.Serializer):
        class Meta:
            ref_name = "ImportSummary"

        imported = serializers.IntegerField(help_text="Conversations stored as new sessions, or grown ones updated.")
        present = serializers.IntegerField(help_text="Conversations imported before, with nothing new.")
        failed = serializers.IntegerField()
        skipped_turns = serializers.IntegerField(help_text="Hidden system, tool and reasoning turns left out.")

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ConversationImport.Status.values)
    format = serializers.ChoiceField(choices=list(formats.FORMATS), allow_null=True)
    file_name = serializers.CharField(allow_blank=True)
    progress = ProgressSerializer()
    summary = SummarySerializer()
    error = serializers.CharField(allow_null=True, help_text="Why the file as a whole could not be read.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportRowOutputSerializer(serializers.Serializer):
    source_id = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    result = serializers.ChoiceField(choices=ConversationImportRow.Result.values)
    session_id = serializers.UUIDField(allow_null=True)
    utterances = serializers.IntegerField(help_text="Messages this import stored.")
    error = serializers.CharField(allow_blank=True)


class ImportPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportOutputSerializer(many=True)


class ImportReportPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ImportRowOutputSerializer(many=True)


class PageParametersSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ImportPageParameters"

    limit = serializers.IntegerField(required=False, min_value=1, max_value=settings.MAX_PAGE_SIZE)
    cursor = serializers.CharField(required=False, help_text="As given in `next` or `previous`.")


class ImportCursorPagination(SessionCursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 20


class ImportRowCursorPagination(SessionCursorPagination):
    ordering = ("position",)
    page_size = 100


class ImportListApi(APIView):
    throttle_scope = "api_write"
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ImportInput"

        file = serializers.FileField(allow_empty_file=False)
        format = serializers.ChoiceField(choices=list(formats.FORMATS), required=False, allow_blank=True)

    def initial(self, request: Request, *args, **kwargs) -> None:
        # Before authentication: the CSRF check of a browser's upload reads the form, so the
        # body's handlers and limit must be in place before anything reads it.
        if request.method == "POST":
            declared = request.META.get("CONTENT_LENGTH") or ""
            if declared.isdigit() and int(declared) > settings.IMPORT_MAX_BYTES + 65536:  # the form's own bytes
                raise _too_large()
            django_request(request).upload_handlers = [BoundedTemporaryFileUploadHandler(django_request(request))]
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="imports_list",
        parameters=[PageParametersSerializer],
        responses={200: ImportPageSerializer, **error_responses(400)},
        description="The user's imports, newest first (cursor-paginated).",
    )
    def get(self, request: Request) -> Response:
        PageParametersSerializer(data=request.query_params).is_valid(raise_exception=True)
        paginator = ImportCursorPagination()
        page = paginator.paginate_queryset(selectors.conversation_import_list_for_user(user=request.user), request)
        states = [selectors.conversation_import_state(conversation_import=job) for job in page]
        return paginator.get_paginated_response(ImportOutputSerializer(states, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            202: ImportOutputSerializer,
            409: OpenApiResponse(ErrorSerializer, "Another import of the account is under way."),
            413: OpenApiResponse(ErrorSerializer, "The file is over IMPORT_MAX_BYTES."),
            **error_responses(400),
        },
        description=(
            "Imports a file of conversations as a background job: ChatGPT's `conversations.json` or export "
            "zip, Claude's `conversations.json`, Open WebUI's or LibreChat's chat export, or this product's "
            "account export zip. The format is detected from the content (`format` names the one expected). "
            "Each conversation is stored whole or not at all, once: importing it again adds only what is new. "
            "One import runs at a time per account."
        ),
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        if not data.is_valid():
            if "file" in data.errors:
                raise ValidationError({"file": ["Attach the export file as `file` (multipart/form-data)."]})
            raise ValidationError(data.errors)
        upload = data.validated_data["file"]
        try:
            job = services.conversation_import_start(
                user=request.user,
                upload=upload,
                file_name=upload.name or "",
                format_hint=data.validated_data.get("format") or "",
            )
        except services.ImportBusy:
            return Response(
                {"detail": "An import of your account is under way: wait for it to finish."},
                status=status.HTTP_409_CONFLICT,
            )
        state = selectors.conversation_import_state(conversation_import=job)
        headers = {"Location": reverse("api:import-detail", args=[job.pk])}
        return Response(ImportOutputSerializer(state).data, status=status.HTTP_202_ACCEPTED, headers=headers)


@extend_schema_view(get=extend_schema(responses={200: ImportOutputSerializer, **error_responses(404)}))
class ImportDetailApi(JobDetailApi):
    model = ConversationImport
    output_serializer = ImportOutputSerializer

    def state(self, job: ConversationImport) -> dict:
        return selectors.conversation_import_state(conversation_import=job)


class ImportReportApi(APIView):
    throttle_scope = "api_read"

    @extend_schema(
        parameters=[PageParametersSerializer],
        responses={200: ImportReportPageSerializer, **error_responses(400, 404)},
        description="What became of each conversation of the file, in its order (cursor-paginated).",
    )
    def get(self, request: Request, import_id: str) -> Response:
        job = selectors.conversation_import_get(user=request.user, import_id=import_id)
        PageParametersSerializer(data=request.query_params).is_valid(raise_exception=True)
        paginator = ImportRowCursorPagination()
        page = paginator.paginate_queryset(selectors.conversation_import_rows(conversation_import=job), request)
        return paginator.get_paginated_response(ImportRowOutputSerializer(page, many=True).data)
