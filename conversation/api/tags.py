"""The REST API's tag doors (docs/tags.md): the user's tags (suggestions by prefix), one tag renamed
or deleted, and a chat's tags replaced. Another user's tag or session, a missing one and a
malformed id alike are a 404."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import shapes
from conversation.api.schema import session_id_in_path
from conversation.tags.names import TAG_NAME_MAX
from conversation.tags.selectors import TAG_SUGGESTIONS, tag_list_for_user
from conversation.tags.services import session_tags_set, tag_delete, tag_rename


class TagOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "TagOutput"

    id = serializers.UUIDField()
    name = serializers.CharField()

    def to_representation(self, tag) -> dict:
        return shapes.tag(tag)


class TagListApi(ReadWriteThrottled, APIView):
    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TagListFilter"

        prefix = StrictCharField(
            required=False, default="", allow_blank=True, max_length=TAG_NAME_MAX, trim_whitespace=False
        )
        limit = serializers.IntegerField(
            required=False, default=TAG_SUGGESTIONS, min_value=1, max_value=settings.MAX_TAGS
        )

    @extend_schema(
        parameters=[FilterSerializer],
        operation_id="tags_list",
        responses={200: inline_serializer("TagList", {"results": TagOutputSerializer(many=True)}), **errors(400)},
        description="Your tags whose name starts with `prefix` in any case (all with none), by name, at most "
        "`limit` (default 20, at most MAX_TAGS): the suggestions as a tag is typed. Not paginated.",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tags = tag_list_for_user(user=request.user, **filters.validated_data)
        return Response({"results": TagOutputSerializer(tags, many=True).data})


class TagDetailApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TagRenameInput"

        name = StrictCharField(trim_whitespace=False, help_text="Trimmed; one line, no comma, at most 50 characters.")

    @extend_schema(
        request=InputSerializer,
        responses={200: TagOutputSerializer, **errors(400, 404)},
        description="Rename the tag on every chat it is on. Another of your tags' names (in any case) is "
        "refused (400): tags are not merged.",
    )
    def patch(self, request: Request, tag_id: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tag = tag_rename(user=request.user, tag_id=tag_id, name=body.validated_data["name"])
        return Response(TagOutputSerializer(tag).data)

    @extend_schema(request=None, responses={204: None, **errors(404)}, description="Delete the tag from every chat.")
    def delete(self, request: Request, tag_id: str) -> Response:
        tag_delete(user=request.user, tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionTagsApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionTagsInput"

        tags = serializers.ListField(
            child=StrictCharField(trim_whitespace=False, allow_blank=True),
            max_length=settings.MAX_TAGS_PER_SESSION,
            help_text="The chat's tags, all of them ([] for none): names of your tags in any case, new names new tags.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionTagsOutput"

        tags = serializers.ListField(child=serializers.CharField(), help_text="Sorted in any case.")

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 404)},
        description="Replace the chat's tags (a chat in the trash is not found).",
    )
    def put(self, request: Request, session_id: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        names = session_tags_set(user=request.user, session_id=session_id, names=body.validated_data["tags"])
        return Response(self.OutputSerializer({"tags": names}).data)


session_id_in_path(SessionTagsApi)
extend_schema(parameters=[OpenApiParameter("tag_id", OpenApiTypes.UUID, OpenApiParameter.PATH)])(TagDetailApi)
