"""The account's data over the API: the whole-account export (start it, follow it, download it)
and erasing the account with everything it owns."""

from django.contrib.auth import authenticate, logout
from django.core.files.storage import storages
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from account_data import selectors, services
from accounts.models import AccountExport, DeviceToken
from chatproject.api.drf import django_request
from chatproject.api.fields import ErrorSerializer, StrictCharField
from chatproject.jobs.api import JobDetailApi


class AccountExportOutputSerializer(serializers.Serializer):
    class ProgressSerializer(serializers.Serializer):
        sessions_done = serializers.IntegerField()
        sessions_total = serializers.IntegerField(allow_null=True, help_text="Known once the job has started.")
        utterances = serializers.IntegerField()

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed", "expired"])
    progress = ProgressSerializer()
    size = serializers.IntegerField(allow_null=True, help_text="The zip's size in bytes, once done.")
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="The download is removed after this.")
    download = serializers.CharField(allow_null=True, help_text="The zip's address while it can be downloaded.")


class AccountExportApi(APIView):
    throttle_scope = "api_write"

    @extend_schema(
        request=None,
        responses={202: AccountExportOutputSerializer, 401: OpenApiResponse(ErrorSerializer)},
        description=(
            "Starts an export of the whole account as a background job: a zip with one JSON and one "
            "Markdown file per session (the trash included) and `manifest.json`. One runs at a time: "
            "while one is queued or running, this answers it."
        ),
    )
    def post(self, request: Request) -> Response:
        export = services.account_export_start(user=request.user)
        state = selectors.account_export_state(export=export)
        headers = {"Location": reverse("api:account-export-detail", args=[export.pk])}
        return Response(AccountExportOutputSerializer(state).data, status=status.HTTP_202_ACCEPTED, headers=headers)


@extend_schema_view(
    get=extend_schema(
        responses={
            200: AccountExportOutputSerializer,
            401: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer),
        }
    )
)
class AccountExportDetailApi(JobDetailApi):
    model = AccountExport
    output_serializer = AccountExportOutputSerializer

    def state(self, job: AccountExport) -> dict:
        return selectors.account_export_state(export=job)


class AccountExportDownloadApi(APIView):
    throttle_scope = "api_read"

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(description="The zip."),
            401: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer),
            409: OpenApiResponse(ErrorSerializer, "Not ready yet, failed, or past its time."),
        }
    )
    def get(self, request: Request, export_id: str) -> Response | FileResponse:
        export = selectors.account_export_get(user=request.user, export_id=export_id)
        state = selectors.account_export_status(export=export)
        if state != AccountExport.Status.DONE:
            reason = {
                "queued": "The export has not started yet.",
                "running": "The export is still being written.",
                "expired": "This download is past its time: start a new export.",
            }.get(state, "The export failed: start a new one.")
            return Response({"detail": reason}, status=status.HTTP_409_CONFLICT)
        day = timezone.localtime(export.created_at).date().isoformat()
        response = FileResponse(
            storages["exports"].open(export.file, "rb"), as_attachment=True, filename=f"chat-export-{day}.zip"
        )
        response["Cache-Control"] = "no-store"  # private data: kept by no browser or proxy cache
        return response


class AccountApi(APIView):
    throttle_scope = "api_auth"

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountEraseInput"

        password = StrictCharField(trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            204: None,
            400: OpenApiResponse(ErrorSerializer, "No password, or a wrong one."),
            401: OpenApiResponse(ErrorSerializer),
            429: OpenApiResponse(ErrorSerializer),
        },
        description=(
            "Erases the account and everything it owns (sessions, utterances, device tokens, exports), "
            "for good, with the account's password as confirmation. Its open sockets close (4401)."
        ),
    )
    def delete(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # authenticate(), not check_password(): django-axes counts a wrong password here as at log-in.
        confirmed = authenticate(
            django_request(request), username=request.user.email, password=body.validated_data["password"]
        )
        if confirmed is None or confirmed.pk != request.user.pk:
            raise ValidationError({"password": ["Wrong password."]})
        services.account_erase(user=request.user)
        if request.user.is_authenticated and not isinstance(request.auth, DeviceToken):
            logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
