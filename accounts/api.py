"""The account over the API: its settings; device tokens for programs (exchange e-mail and password
for a named token, list and revoke them)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import DeviceToken
from chatproject.api.drf import django_request
from chatproject.api.fields import ErrorSerializer, StrictCharField, StrictIntegerField
from chatproject.api.throttling import ReadWriteThrottled


class DeviceTokenOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenApi(APIView):
    throttle_scope = "api_auth"

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenInput"

        email = StrictCharField()
        password = StrictCharField(trim_whitespace=False)
        name = StrictCharField(required=False, allow_blank=True, max_length=100)

    class OutputSerializer(DeviceTokenOutputSerializer):
        class Meta:
            ref_name = "TokenOutput"

        token = serializers.CharField()

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer),
            401: OpenApiResponse(ErrorSerializer, "Wrong e-mail or password."),
            429: OpenApiResponse(ErrorSerializer),
        },
        auth=[],
        description=(
            "A new device token, named after the program or device (`name`; the User-Agent when not "
            "given). Send it as `Authorization: Token <key>`. The key is shown only in this answer; "
            "the token expires after API_TOKEN_TTL_DAYS and is revoked by a password change."
        ),
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: django-axes marks a locked-out attempt on it, and its
        # middleware answers 429 (accounts/lockout.py).
        user = authenticate(
            django_request(request), username=body.validated_data["email"], password=body.validated_data["password"]
        )
        if user is None:
            raise AuthenticationFailed("Wrong e-mail or password.")
        name = body.validated_data.get("name") or request.headers.get("User-Agent", "")[:100] or "API token"
        token, key = services.device_token_create(user=user, name=name)
        return Response({"token": key, **DeviceTokenOutputSerializer(token).data})

    @extend_schema(
        responses={204: None, 400: OpenApiResponse(ErrorSerializer), 401: OpenApiResponse(ErrorSerializer)},
        description="Revokes the token this call is authenticated with.",
    )
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, DeviceToken):
            raise ValidationError("Authenticate this call with the token to revoke (Authorization: Token <key>).")
        services.device_token_revoke(user=request.user, public_id=request.auth.public_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeviceTokenListApi(APIView):
    throttle_scope = "api_read"

    @extend_schema(responses={200: DeviceTokenOutputSerializer(many=True), 401: OpenApiResponse(ErrorSerializer)})
    def get(self, request: Request) -> Response:
        tokens = selectors.device_token_list_for_user(user=request.user)
        return Response(DeviceTokenOutputSerializer(tokens, many=True).data)


class DeviceTokenDetailApi(APIView):
    throttle_scope = "api_write"

    @extend_schema(responses={204: None, 401: OpenApiResponse(ErrorSerializer), 404: OpenApiResponse(ErrorSerializer)})
    def delete(self, request: Request, token_id: str) -> Response:
        services.device_token_revoke(user=request.user, public_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountSettingsApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountSettingsInput"

        retention_days = StrictIntegerField(required=False, allow_null=True)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AccountSettings"

        retention_days = serializers.IntegerField(
            allow_null=True,
            help_text="Days without activity before a chat moves to the trash (pinned ones never do); null keeps it.",
        )
        retention_days_effective = serializers.IntegerField(
            allow_null=True, help_text="retention_days after the deployment's cap (SESSION_RETENTION_DAYS)."
        )
        retention_choices = serializers.ListField(
            child=serializers.IntegerField(allow_null=True), help_text="The values retention_days accepts."
        )

    @extend_schema(responses={200: OutputSerializer, 401: OpenApiResponse(ErrorSerializer)})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(selectors.account_settings_get(user=request.user)).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: OpenApiResponse(ErrorSerializer), 401: OpenApiResponse(ErrorSerializer)},
    )
    def patch(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.account_settings_update(user=request.user, **body.validated_data)
        return Response(self.OutputSerializer(selectors.account_settings_get(user=user)).data)
