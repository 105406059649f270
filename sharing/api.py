"""The REST API's doors to shared links (docs/sharing.md): the user's links, one link changed or
revoked, and a chat's links. Another user's link or chat, a missing one and a malformed id alike
are a 404."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictBooleanField, StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation.api.schema import session_id_in_path
from sharing import shapes
from sharing.models import Audience
from sharing.selectors import share_get_for_user, share_list_for_user
from sharing.services import MAX_DISPLAY_NAME, MAX_PASSWORD, UNSET, share_create, share_revoke, share_update


class ShareOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ShareOutput"

    id = serializers.CharField(help_text="The link's id: its page is /s/{id}/.")
    url = serializers.CharField()
    session = serializers.UUIDField()
    title = serializers.CharField()
    message_count = serializers.IntegerField()
    snapshot_at = serializers.DateTimeField()
    display_name = serializers.CharField()
    audience = serializers.ChoiceField(choices=Audience.choices)
    emails = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
    has_password = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    view_count = serializers.IntegerField()
    last_viewed_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, share) -> dict:
        return shapes.share(share)


class ShareSettingsSerializer(serializers.Serializer):
    """What the owner chooses of a link, on creation and change alike."""

    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    emails = serializers.ListField(
        child=StrictCharField(max_length=254),
        max_length=settings.MAX_SHARE_EMAILS,
        required=False,
        help_text="The named audience's e-mails (any case).",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="null: never.")
    password = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=MAX_PASSWORD,
        trim_whitespace=False,
        help_text='null or "": none. Stored hashed; never answered.',
    )
    display_name = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=MAX_DISPLAY_NAME,
        help_text="Shown as the author; never your e-mail.",
    )


SharesList = inline_serializer("ShareList", {"results": ShareOutputSerializer(many=True)})


class ShareListApi(ReadWriteThrottled, APIView):
    class InputSerializer(ShareSettingsSerializer):
        class Meta:
            ref_name = "ShareCreateInput"

        session = serializers.UUIDField(help_text="The chat to share (not one in the trash).")

    @extend_schema(
        operation_id="shares_list",
        responses={200: SharesList},
        description="Your links, newest first, revoked ones too. Not paginated: at most MAX_SHARES exist.",
    )
    def get(self, request: Request) -> Response:
        shares = share_list_for_user(user=request.user)
        return Response({"results": ShareOutputSerializer(shares, many=True).data})

    @extend_schema(
        request=InputSerializer,
        responses={201: ShareOutputSerializer, **errors(400, 404)},
        description="A new link to a snapshot of the chat's active branch (docs/sharing.md).",
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        share = share_create(user=request.user, session_id=body.validated_data.pop("session"), **body.validated_data)
        return Response(ShareOutputSerializer(share).data, status=status.HTTP_201_CREATED)


class ShareDetailApi(ReadWriteThrottled, APIView):
    class InputSerializer(ShareSettingsSerializer):
        class Meta:
            ref_name = "ShareUpdateInput"

        update = StrictBooleanField(
            required=False, default=False, help_text='true: take the chat as it is now ("update the link").'
        )

    @extend_schema(responses={200: ShareOutputSerializer, **errors(404)}, description="One of your links.")
    def get(self, request: Request, share_id: str) -> Response:
        return Response(ShareOutputSerializer(share_get_for_user(user=request.user, share_id=share_id)).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: ShareOutputSerializer, **errors(400, 404)},
        description="Change what is given; a revoked link cannot change (400).",
    )
    def patch(self, request: Request, share_id: str) -> Response:
        body = self.InputSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        changes = {key: data.get(key, UNSET) for key in ShareSettingsSerializer().fields}
        share = share_update(user=request.user, share_id=share_id, resnapshot=data.get("update", False), **changes)
        return Response(ShareOutputSerializer(share).data)

    @extend_schema(
        request=None,
        responses={204: None, **errors(404)},
        description="Revoke the link: it answers 410 from the next request on, and stays in your list.",
    )
    def delete(self, request: Request, share_id: str) -> Response:
        share_revoke(user=request.user, share_id=share_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionShareApi(ReadWriteThrottled, APIView):
    InputSerializer = ShareSettingsSerializer

    @extend_schema(
        operation_id="session_shares_list",
        responses={200: SharesList, **errors(404)},
        description="The chat's links (a chat in the trash too), newest first.",
    )
    def get(self, request: Request, session_id: str) -> Response:
        shares = share_list_for_user(user=request.user, session_id=session_id)
        return Response({"results": ShareOutputSerializer(shares, many=True).data})

    @extend_schema(
        request=ShareSettingsSerializer,
        responses={201: ShareOutputSerializer, **errors(400, 404)},
        description="A new link to a snapshot of this chat (as POST /api/shares/).",
    )
    def post(self, request: Request, session_id: str) -> Response:
        body = ShareSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        share = share_create(user=request.user, session_id=session_id, **body.validated_data)
        return Response(ShareOutputSerializer(share).data, status=status.HTTP_201_CREATED)


session_id_in_path(SessionShareApi)
extend_schema(parameters=[OpenApiParameter("share_id", OpenApiTypes.STR, OpenApiParameter.PATH)])(ShareDetailApi)
