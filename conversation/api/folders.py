"""The REST API's folder doors (docs/folders.md): the user's folder tree, one folder (read, change,
move, remove). Parse and authorize, call one service or selector, serialize; another user's folder,
a missing one and a malformed id alike are a 404."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import shapes
from conversation.api.serializers import DirectOutputSerializer
from conversation.folders.selectors import folder_get_for_user, folder_list_for_user
from conversation.folders.services import FOLDER_DELETE_CHATS, folder_create, folder_delete, folder_update


class FolderOutputSerializer(DirectOutputSerializer):
    id = serializers.UUIDField()
    parent = serializers.UUIDField(allow_null=True, help_text="The folder it is in; null for a top folder.")
    name = serializers.CharField()
    depth = serializers.IntegerField(
        help_text=f"1 for a top folder, at most MAX_FOLDER_DEPTH ({settings.MAX_FOLDER_DEPTH})."
    )
    persona = serializers.CharField(allow_null=True, help_text="The slug of the persona new chats in it take; or null.")
    instructions = serializers.CharField(help_text="Added to the system prompt of the replies of its chats.")
    created_at = serializers.DateTimeField()

    def to_representation(self, folder) -> dict:
        return shapes.folder(folder, zone=self.zone)


class FolderListApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FolderCreateInput"

        name = StrictCharField(
            max_length=200, help_text="Trimmed; 1 to 100 characters, unique among its siblings in any case."
        )
        parent = StrictCharField(
            required=False, allow_null=True, default=None, help_text="A folder's id; null: at the top."
        )
        persona = StrictCharField(required=False, allow_null=True, allow_blank=True, default=None)
        instructions = StrictCharField(required=False, allow_blank=True, default="", trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FolderListOutput"

        results = FolderOutputSerializer(many=True)

    @extend_schema(
        operation_id="folders_list",
        responses={200: OutputSerializer, **errors()},
        description="All of the user's folders (at most MAX_FOLDERS), in the tree's order: each folder followed "
        "by its subfolders, siblings by name. Not paginated.",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": FolderOutputSerializer(folder_list_for_user(user=request.user), many=True).data})

    @extend_schema(request=InputSerializer, responses={201: FolderOutputSerializer, **errors(400, 404)})
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        folder = folder_create(
            user=request.user,
            name=data["name"],
            parent_id=data["parent"],
            persona=data["persona"],
            instructions=data["instructions"],
        )
        return Response(FolderOutputSerializer(folder).data, status=status.HTTP_201_CREATED)


class FolderDetailApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FolderUpdateInput"

        name = StrictCharField(required=False)
        parent = StrictCharField(
            required=False,
            allow_null=True,
            help_text="Move it (with its subfolders) under this folder; null: to the top.",
        )
        persona = StrictCharField(required=False, allow_null=True, allow_blank=True)
        instructions = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)

    class DeleteFilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FolderDeleteFilter"

        chats = serializers.ChoiceField(
            choices=list(FOLDER_DELETE_CHATS),
            default="move_out",
            help_text="What becomes of the chats in it and in its subfolders: move_out (into no folder) or trash.",
        )

    class DeleteOutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FolderDeleteOutput"

        trashed = serializers.ListField(
            child=serializers.UUIDField(), help_text="The chats moved to the trash: restore them (bulk) to undo."
        )

    @extend_schema(responses={200: FolderOutputSerializer, **errors(404)})
    def get(self, request: Request, folder_id: str) -> Response:
        return Response(FolderOutputSerializer(folder_get_for_user(user=request.user, folder_id=folder_id)).data)

    @extend_schema(request=InputSerializer, responses={200: FolderOutputSerializer, **errors(400, 404)})
    def patch(self, request: Request, folder_id: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        if "parent" in changes:
            changes["parent_id"] = changes.pop("parent")
        folder = folder_update(user=request.user, folder_id=folder_id, **changes)
        return Response(FolderOutputSerializer(folder).data)

    @extend_schema(
        parameters=[DeleteFilterSerializer],
        responses={200: DeleteOutputSerializer, **errors(400, 404)},
        description="Remove the folder and its subfolders. Their chats are moved out (the default) or, with "
        "`chats=trash`, moved to the trash: the answer names them, for an Undo (bulk restore).",
    )
    def delete(self, request: Request, folder_id: str) -> Response:
        filters = self.DeleteFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        trashed = folder_delete(user=request.user, folder_id=folder_id, chats=filters.validated_data["chats"])
        return Response(self.DeleteOutputSerializer({"trashed": trashed}).data)


FOLDER_ID = OpenApiParameter("folder_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
extend_schema(parameters=[FOLDER_ID])(FolderDetailApi)
