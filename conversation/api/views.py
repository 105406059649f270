"""REST API views: parse and authorize, call one service or selector, serialize.

Every view answers another user's session, a missing one and a malformed id alike: 404.
"""

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.drf import django_request
from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import ErrorSerializer, StrictBooleanField, StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import inputs
from conversation.api.export import export_stream
from conversation.api.serializers import (
    PersonaOutputSerializer,
    SessionDetailOutputSerializer,
    SessionListItemSerializer,
    SessionListPageSerializer,
    SessionOutputSerializer,
    SessionRowOutputSerializer,
    UtteranceInputSerializer,
    UtteranceOutputSerializer,
)
from conversation.branches.edits import session_fork
from conversation.branches.head import session_switch
from conversation.exports import export_filename
from conversation.history.append import utterances_append
from conversation.history.pages import utterance_page
from conversation.history.save import conversation_save
from conversation.history.siblings import utterance_siblings
from conversation.inputs import UtteranceIn
from conversation.pagination import SessionCursorPagination, session_list
from conversation.replies.claim import ReplyBusy
from conversation.search import SearchTooBroad, session_search_for_user
from conversation.sessions.bulk import BULK_ACTIONS, sessions_bulk, trash_empty
from conversation.sessions.create import SessionIdTaken, session_create, session_update
from conversation.sessions.lifecycle import session_clear, session_delete, session_restore, session_trash
from conversation.sessions.lists import SESSION_VIEW_ORDERING, SESSION_VIEWS, session_stats_for_user
from conversation.sessions.lookup import session_get_for_user
from conversation.sessions.personas import persona_list


def utterances_from(validated: list[dict]) -> list[UtteranceIn]:
    return [UtteranceIn(**item) for item in validated]


class ReplyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A reply is still being written in this session: wait for it to end, or stop it, then send."
    default_code = "reply_in_progress"


class SessionIdConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "session_id_taken"


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
        sessions = session_list(user=request.user, persona=params.get("persona"), view=params["view"])
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


class SeqInputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "SeqInput"

    seq = serializers.JSONField(help_text="An utterance of the session, by its seq (a whole number).")


class SessionSwitchApi(ReadWriteThrottled, APIView):
    @extend_schema(
        request=SeqInputSerializer,
        responses={200: SessionDetailOutputSerializer, **errors(400, 404, 409)},
        description="Make the branch through `seq` the active one: the head becomes the newest utterance under "
        "it. Every tab of the session hears `session.head`. 409 while a reply is being written in the session.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        body = SeqInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            session = session_switch(user=request.user, session_id=session_id, seq=body.validated_data["seq"])
        except ReplyBusy:
            raise ReplyConflict from None
        return Response(SessionDetailOutputSerializer(session).data)


class SessionForkApi(ReadWriteThrottled, APIView):
    @extend_schema(
        request=SeqInputSerializer,
        responses={201: SessionDetailOutputSerializer, **errors(400, 404)},
        description="A new session whose history is the branch from the first utterance up to `seq`; the "
        "original is unchanged.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        body = SeqInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fork = session_fork(user=request.user, session_id=session_id, seq=body.validated_data["seq"])
        return Response(SessionDetailOutputSerializer(fork).data, status=status.HTTP_201_CREATED)


class SessionBulkApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionBulkInput"

        ids = serializers.ListField(
            child=StrictCharField(max_length=64), allow_empty=False, max_length=settings.MAX_BULK_SESSIONS
        )
        action = serializers.ChoiceField(choices=BULK_ACTIONS)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionBulkOutput"

        done = serializers.IntegerField(help_text="Sessions the action applied to (those already so included).")
        not_found = serializers.ListField(
            child=serializers.CharField(), help_text="Ids that name none of your sessions (nothing done to them)."
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, **errors(400, 413)},
        description="One action on many sessions at once (at most MAX_BULK_SESSIONS, 500), all in one "
        "transaction. Sessions in the trash are found by restore and purge only.",
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = sessions_bulk(
            user=request.user, session_ids=body.validated_data["ids"], action=body.validated_data["action"]
        )
        return Response(self.OutputSerializer({"done": result.done, "not_found": result.not_found}).data)


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


class UtteranceListApi(ReadWriteThrottled, APIView):
    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceListFilter"

        before = serializers.IntegerField(
            required=False, min_value=0, max_value=inputs.MAX_SEQ, help_text="Older than this seq."
        )
        after = serializers.IntegerField(
            required=False, min_value=0, max_value=inputs.MAX_SEQ, help_text="Newer than this seq."
        )
        limit = serializers.IntegerField(required=False, min_value=1, max_value=settings.MAX_PAGE_SIZE, default=50)
        include_interim = serializers.BooleanField(required=False, default=False)
        branches = serializers.ChoiceField(
            choices=["active", "all"],
            default="active",
            help_text="active: the active branch (the first utterance to the head); all: every stored one, by seq.",
        )

    class PageSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceListPage"

        next = serializers.URLField(allow_null=True, help_text="Newer utterances.")
        previous = serializers.URLField(allow_null=True, help_text="Older utterances.")
        results = UtteranceOutputSerializer(many=True)

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceListInput"

        utterances = UtteranceInputSerializer(many=True)

    class AppendOutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceListAppendOutput"

        session = SessionOutputSerializer()
        created = serializers.IntegerField(help_text="How many were new; 0 when all were stored already.")
        utterances = UtteranceOutputSerializer(many=True)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: PageSerializer, **errors(400, 404)},
        description="History by keyset on seq, oldest first within a page. Without before/after: the newest.",
    )
    def get(self, request: Request, session_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = dict(filters.validated_data)
        all_branches = params.pop("branches") == "all"
        page = utterance_page(user=request.user, session_id=session_id, all_branches=all_branches, **params)
        link = request.build_absolute_uri(request.path)
        extra = f"&limit={params['limit']}"
        if params["include_interim"]:
            extra += "&include_interim=true"
        if all_branches:
            extra += "&branches=all"
        newest, oldest = (page.utterances[-1].seq, page.utterances[0].seq) if page.utterances else (None, None)
        return Response(
            {
                "next": f"{link}?after={newest}{extra}" if page.has_after and newest else None,
                "previous": f"{link}?before={oldest}{extra}" if page.has_before and oldest else None,
                "results": UtteranceOutputSerializer(
                    page.utterances, many=True, context={"siblings": page.siblings}
                ).data,
            }
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: AppendOutputSerializer, 200: AppendOutputSerializer, **errors(400, 404, 413)},
        description='Append one or many utterances in order: `{"utterances": [...]}`, or one utterance '
        "object sent bare. Idempotent by client_id: a batch already stored answers 200 with the stored "
        "rows and writes nothing; otherwise 201.",
    )
    def post(self, request: Request, session_id: str) -> Response:
        data = request.data
        if isinstance(data, list):
            data = {"utterances": data}
        elif isinstance(data, dict) and "utterances" not in data:
            data = {"utterances": [data]}  # one utterance, sent bare
        body = self.InputSerializer(data=data)
        body.is_valid(raise_exception=True)
        result = utterances_append(
            user=request.user, session_id=session_id, utterances=utterances_from(body.validated_data["utterances"])
        )
        siblings = utterance_siblings(session=result.session, utterances=result.utterances)
        data = self.AppendOutputSerializer(result, context={"siblings": siblings}).data
        return Response(data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class SessionClearApi(ReadWriteThrottled, APIView):
    @extend_schema(request=None, responses={200: SessionDetailOutputSerializer, **errors(404)})
    def post(self, request: Request, session_id: str) -> Response:
        session = session_clear(user=request.user, session_id=session_id)
        return Response(SessionDetailOutputSerializer(session).data)


class SessionExportApi(ReadWriteThrottled, APIView):
    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionExportFilter"

        format = serializers.ChoiceField(choices=["json", "markdown"], default="json")
        branches = serializers.ChoiceField(
            choices=["active", "all"],
            default="active",
            help_text="all: every stored message (the whole tree, each with its parent_seq); JSON only.",
        )

        def validate(self, attrs):
            if attrs["branches"] == "all" and attrs["format"] != "json":
                raise serializers.ValidationError(
                    {"branches": "The whole tree exports as JSON only; Markdown holds the active branch."}
                )
            return attrs

    @extend_schema(
        parameters=[FilterSerializer],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, "The session and every final message of its active branch (or every branch)."
            ),
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, "The conversation as Markdown."),
            **errors(400, 404),
        },
        description="A download (Content-Disposition: attachment), streamed page by page.",
    )
    def get(self, request: Request, session_id: str):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        export_format = filters.validated_data["format"]
        session = session_get_for_user(user=request.user, session_id=session_id)
        response = export_stream(
            session=session,
            export_format=export_format,
            all_branches=filters.validated_data["branches"] == "all",
            asynchronous=isinstance(django_request(request), ASGIRequest),
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=export_filename(session=session, export_format=export_format)
        )
        return response


class ConversationSaveApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ConversationSaveInput"

        session_id = serializers.UUIDField(required=False, allow_null=True)
        persona = StrictCharField(required=False, allow_null=True)
        title = StrictCharField(required=False, allow_null=True, allow_blank=True)
        end = StrictBooleanField(required=False, default=False)
        messages = UtteranceInputSerializer(many=True, allow_empty=True)

    class OutputSerializer(SessionDetailOutputSerializer):
        class Meta:
            ref_name = "ConversationSaveOutput"

        created = serializers.IntegerField(help_text="Messages stored by this call.")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            **errors(400, 404, 413),
            409: OpenApiResponse(ErrorSerializer, "`session_id` named another user's session, since removed."),
        },
        description=(
            "Save a whole conversation (the voice agent's save on New Chat): creates the session under "
            "`session_id` when new, continues it otherwise, stores only messages not stored yet, and "
            "marks it ended with `end`. A message without client_id is identified by its position, role, "
            "text and timestamp, so a retried or re-sent save never duplicates it. An id that once named "
            "another user's session is never given out again: 409 (its owner may use it again)."
        ),
    )
    def post(self, request: Request) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            result = conversation_save(
                user=request.user,
                session_id=data.get("session_id"),
                persona=data.get("persona"),
                title=data.get("title"),
                end=data["end"],
                messages=utterances_from(data["messages"]),
            )
        except SessionIdTaken as exc:
            raise SessionIdConflict(str(exc)) from exc
        session = session_get_for_user(user=request.user, session_id=result.session.pk)
        return Response({**SessionDetailOutputSerializer(session).data, "created": result.created})


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

        sessions = serializers.IntegerField()
        today = serializers.IntegerField(help_text="Sessions created today (server time zone).")
        this_week = serializers.IntegerField(help_text="Sessions created since Monday.")
        messages = serializers.IntegerField()
        messages_by_role = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(responses={200: OutputSerializer, **errors()})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(session_stats_for_user(user=request.user)).data)


SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
for view in (SessionDetailApi, UtteranceListApi, SessionClearApi, SessionExportApi):
    extend_schema(parameters=[SESSION_ID])(view)
