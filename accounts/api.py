"""Token authentication for programs: exchange e-mail and password for a token, or revoke it."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from conversation.api.serializers import ErrorSerializer, StrictCharField


class TokenApi(APIView):
    throttle_scope = "api_auth"

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TokenInput"

        email = StrictCharField()
        password = StrictCharField(trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
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
        description="Your API token (the same one until revoked). Send it as `Authorization: Token <key>`.",
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: django-axes marks a locked-out attempt on it, and its
        # middleware answers 429 (accounts/lockout.py).
        user = authenticate(
            request._request, username=body.validated_data["email"], password=body.validated_data["password"]
        )
        if user is None:
            raise AuthenticationFailed("Wrong e-mail or password.")
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @extend_schema(responses={204: None, 401: OpenApiResponse(ErrorSerializer)})
    def delete(self, request: Request) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
