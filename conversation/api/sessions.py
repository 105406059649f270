"""The REST API's session doors: the lists (and search), one session (read, change, trash, delete),
restore, clear, bulk actions, the trash, personas and stats. Parse and authorize, call one service or
selector, serialize; another user's session, a missing one and a malformed id alike are a 404.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictBooleanField, StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import shapes
from conversation.api.schema import session_id_in_path
from conversation.api.serializers import (
    PersonaOutputSerializer,
    SessionDetailOutputSerializer,
    SessionListItemSerializer,
    SessionListPageSerializer,
    SessionRowOutputSerializer,
)
from conversation.folders.selectors import folder_get_for_user
from conversation.pagination import SessionCursorPagination, session_list
from conversation.search import SearchTooBroad, session_search_for_user
from conversation.sessions.bulk import BULK_ACTIONS, sessions_bulk, trash_empty
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_clear, session_delete, session_restore, session_trash
from conversation.sessions.lists import NO_FOLDER, SESSION_VIEW_ORDERING, SESSION_VIEWS
from conversation.sessions.lookup import session_get_for_user
from conversation.sessions.personas import persona_list
from conversation.usage.selectors import stats_for_user


class SessionListApi(ReadWriteThrottled, APIView):
    def get_throttles(self):
        throttles = super().get_throttles()
        if "q" in self.request.query_params:
            # Searches have a budget of their own: each costs more than a page of the list.
            self.throttle_scope = "api_search"
        return throttles

    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionListFilter"

        q = StrictCharField(
            required=False,
            help_text="Search titles and message text of live and archived sessions; answers the best matches.",
        )
        persona = StrictCharField(required=False)
        tag = StrictCharField(required=False, max_length=50, help_text="Only the sessions with this tag (any case).")
        folder = StrictCharField(
            required=False, help_text="One folder's sessions (its id), or `none`: those in no folder."
        )
        view = serializers.ChoiceField(
            choices=list(SESSION_VIEWS),
            default="live",
            help_text="live: not archived (pinned ones included); pinned; archived; trash (newest deletion first).",
        )
        limit = serializers.IntegerField(required=False, min_value=1, max_value=settings.MAX_PAGE_SIZE)
        cursor = StrictCharField(required=False)

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionListInput"

        persona = StrictCharField(required=False, allow_null=True)
        title = StrictCharField(required=False, allow_blank=True, default="")
        metadata = serializers.DictField(required=False, default=dict)
        folder = StrictCharField(
            required=False,
            allow_null=True,
            help_text="Start it in this folder: it takes the folder's persona if none is given.",
        )

    @extend_schema(
        parameters=[FilterSerializer],
        operation_id="sessions_list",
        responses={200: SessionListPageSerializer, **errors(400)},
        description="The user's sessions, newest activity first, cursor-paginated (`next`/`previous`). "
        "With `q`, the best matches by rank (at most `limit`, default 50) with a snippet; not paginated.",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        if "q" in params:
            try:
                hits = session_search_for_user(user=request.user, q=params["q"], limit=params.get("limit", 50))
            except SearchTooBroad as exc:
                return Response(
                    {"next": None, "previous": None, "results": [], "too_broad": True, "detail": exc.message}
                )
            results = SessionListItemSerializer(hits, many=True).data
            return Response({"next": None, "previous": None, "results": results})
        folder = params.get("folder")
        if folder is not None and folder != NO_FOLDER:
            folder = folder_get_for_user(user=request.user, folder_id=folder).pk  # another user's: a 404
        sessions = session_list(
            user=request.user, persona=params.get("persona"), view=params["view"], tag=params.get("tag"), folder=folder
        )
        paginator = SessionCursorPagination(ordering=SESSION_VIEW_ORDERING[params["view"]])
        page = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(SessionRowOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: SessionDetailOutputSerializer, **errors(400, 413)})
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = session_create(user=request.user, **body.validated_data)
        return Response(SessionDetailOutputSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionDetailInput"

        title = StrictCharField(required=False, allow_blank=True, help_text="Empty gives the automatic title back.")
        persona = StrictCharField(required=False)
        metadata = serializers.DictField(required=False)
        pinned = StrictBooleanField(required=False, help_text="Pin (true) or unpin (false).")
        archived = StrictBooleanField(
            required=False, help_text="Archive (true: out of the default list) or unarchive (false)."
        )
        folder = StrictCharField(
            required=False, allow_null=True, help_text="Move it into this folder; null: no folder."
        )

    @extend_schema(responses={200: SessionDetailOutputSerializer, **errors(404)})
    def get(self, request: Request, session_id: str) -> Response:
        session = session_get_for_user(user=request.user, session_id=session_id)
        return Response(SessionDetailOutputSerializer(session).data)

    @extend_schema(request=InputSerializer, responses={200: SessionDetailOutputSerializer, **errors(400, 404, 413)})
    def patch(self, request: Request, session_id: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = session_update(user=request.user, session_id=session_id, **body.validated_data)
        return Response(SessionDetailOutputSerializer(session).data)

    class DeleteFilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionDeleteFilter"

        permanent = serializers.ChoiceField(
            choices=["true", "false"],
            default="false",
            help_text="true: remove it for good (from the trash or not) instead of moving it to the trash.",
        )

    @extend_schema(
        parameters=[DeleteFilterSerializer],
        responses={204: None, **errors(400, 404)},
        description="Move the session to the trash (restore it with restore/), or with `permanent=true` "
        "remove it and every utterance for good.",
    )
    def delete(self, request: Request, session_id: str) -> Response:
        filters = self.DeleteFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        if filters.validated_data["permanent"] == "true":
            session_delete(user=request.user, session_id=session_id)
        else:
            session_trash(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionRestoreApi(ReadWriteThrottled, APIView):
    @extend_schema(
        request=None,
        responses={200: SessionDetailOutputSerializer, **errors(404)},
        description="Take the session out of the trash as it was (a session not in the trash is answered as is).",
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = session_restore(user=request.user, session_id=session_id)
        return Response(SessionDetailOutputSerializer(session).data)


class SessionClearApi(ReadWriteThrottled, APIView):
    @extend_schema(request=None, responses={200: SessionDetailOutputSerializer, **errors(404)})
    def post(self, request: Request, session_id: str) -> Response:
        session = session_clear(user=request.user, session_id=session_id)
        return Response(SessionDetailOutputSerializer(session).data)


class BulkUndoSerializer(serializers.Serializer):
    """One bulk call of a bulk action's undo."""

    class Meta:
        ref_name = "SessionBulkUndo"

    action = serializers.ChoiceField(choices=BULK_ACTIONS)
    ids = serializers.ListField(child=serializers.CharField())
    folder = serializers.CharField(required=False, help_text="move: the folder (null: none).")
    tags = serializers.ListField(child=serializers.CharField(), required=False)


class SessionBulkApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionBulkInput"

        ids = serializers.ListField(
            child=StrictCharField(max_length=64), allow_empty=False, max_length=settings.MAX_BULK_SESSIONS
        )
        action = serializers.ChoiceField(choices=BULK_ACTIONS)
        folder = StrictCharField(
            required=False, allow_null=True, max_length=64, help_text="move: the folder's id, null for none."
        )
        tags = serializers.ListField(
            child=StrictCharField(max_length=50),
            required=False,
            allow_empty=False,
            max_length=settings.MAX_TAGS_PER_SESSION,
            help_text="tag, untag: the tags' names.",
        )

        def validate(self, data):
            if data["action"] == "move" and "folder" not in data:
                raise serializers.ValidationError({"folder": ["move needs a folder (an id, or null for none)."]})
            if data["action"] in ("tag", "untag") and not data.get("tags"):
                raise serializers.ValidationError({"tags": [f"{data['action']} needs the tags' names."]})
            return data

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionBulkOutput"

        done = serializers.IntegerField(help_text="Sessions the action applied to (those already so included).")
        not_found = serializers.ListField(
            child=serializers.CharField(), help_text="Ids that name none of your sessions (nothing done to them)."
        )
        changed = serializers.ListField(
            child=serializers.CharField(), help_text="Those the action changed (not those already so)."
        )
        undo = serializers.ListField(
            child=BulkUndoSerializer(),
            help_text="The bulk calls that take this one back exactly (its changed sessions only): one for "
            "most actions, one per previous folder for move, one per tag for tag and untag, none for purge.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 404, 413)},
        description="One action on many sessions at once (at most MAX_BULK_SESSIONS, 1000), all in one "
        "transaction. Sessions in the trash are found by restore and purge only. A folder that is not "
        "yours is a 404.",
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        result = sessions_bulk(
            user=request.user,
            session_ids=data["ids"],
            action=data["action"],
            folder=data.get("folder"),
            tags=data.get("tags", ()),
        )
        return Response(self.OutputSerializer(result).data)


class TrashApi(ReadWriteThrottled, APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "TrashEmptyOutput"

        sessions = serializers.IntegerField(help_text="Sessions removed for good.")
        utterances = serializers.IntegerField(help_text="Their utterances.")

    @extend_schema(request=None, responses={200: OutputSerializer}, description="Empty the trash: remove for good.")
    def delete(self, request: Request) -> Response:
        sessions, utterances = trash_empty(user=request.user)
        return Response(self.OutputSerializer({"sessions": sessions, "utterances": utterances}).data)


class PersonaListApi(ReadWriteThrottled, APIView):
    class OutputSerializer(PersonaOutputSerializer):
        class Meta:
            ref_name = "PersonaListOutput"

        is_default = serializers.BooleanField()

    @extend_schema(responses={200: inline_serializer("PersonaList", {"results": OutputSerializer(many=True)})})
    def get(self, request: Request) -> Response:
        return Response({"results": self.OutputSerializer(persona_list(), many=True).data})


class StatsApi(ReadWriteThrottled, APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StatsOutput"

        class TokensSerializer(serializers.Serializer):
            class Meta:
                ref_name = "StatsTokens"

            class DaySerializer(serializers.Serializer):
                class Meta:
                    ref_name = "StatsTokensDay"

                day = serializers.DateField(help_text="The day, in the server's time zone.")
                prompt_tokens = serializers.IntegerField()
                completion_tokens = serializers.IntegerField()
                calls = serializers.IntegerField(help_text="Model calls: replies, summaries, titles.")
                estimated_calls = serializers.IntegerField(
                    help_text="Of those, how many the server reported no usage for: their tokens are our count."
                )

            days = DaySerializer(many=True, help_text="The last 30 days, oldest first, zero-filled.")
            total_prompt_tokens = serializers.IntegerField()
            total_completion_tokens = serializers.IntegerField()

        sessions = serializers.IntegerField()
        today = serializers.IntegerField(help_text="Sessions created today (server time zone).")
        this_week = serializers.IntegerField(help_text="Sessions created since Monday.")
        messages = serializers.IntegerField()
        messages_by_role = serializers.DictField(child=serializers.IntegerField())
        tokens = TokensSerializer(help_text="Tokens used a day over the last 30 days (docs/context.md).")

        def to_representation(self, stats) -> dict:
            return shapes.stats(stats)

    @extend_schema(responses={200: OutputSerializer, **errors()})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(stats_for_user(user=request.user)).data)


session_id_in_path(SessionDetailApi, SessionClearApi)
