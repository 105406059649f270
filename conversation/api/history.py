"""The REST API's history doors: a session's utterances (pages, append), a whole conversation saved
at once, and a session's export. Another user's session is a 404.
"""

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.drf import django_request
from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import ErrorSerializer, StrictBooleanField, StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import inputs
from conversation.api.conflicts import SessionIdConflict
from conversation.api.export import export_stream
from conversation.api.schema import session_id_in_path
from conversation.api.serializers import (
    SessionDetailOutputSerializer,
    SessionOutputSerializer,
    UtteranceInputSerializer,
    UtteranceOutputSerializer,
)
from conversation.exports import export_filename
from conversation.history.append import utterances_append
from conversation.history.landing import utterance_page_around
from conversation.history.pages import utterance_page
from conversation.history.save import conversation_save
from conversation.history.siblings import utterance_siblings
from conversation.inputs import UtteranceIn
from conversation.sessions.create import SessionIdTaken
from conversation.sessions.lookup import session_get_for_user


def utterances_from(validated: list[dict]) -> list[UtteranceIn]:
    return [UtteranceIn(**item) for item in validated]


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
        around = serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=inputs.MAX_SEQ,
            help_text="A page around this seq (it and up to half the page before it, the rest after it), on "
            "the branch that holds it; not with before/after. An unknown seq is a 400.",
        )
        leaf = serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=inputs.MAX_SEQ,
            help_text="Follow the path from the root to this seq instead of the active branch (the `leaf` an "
            "`around` page answers for another branch).",
        )

        def validate(self, attrs):
            others = {"before", "after", "leaf"} & attrs.keys()
            alone = not (others or attrs["branches"] == "all" or attrs["include_interim"])
            if "around" in attrs and not alone:
                raise serializers.ValidationError(
                    {"around": "Give around alone: not with before, after, leaf, branches=all or include_interim."}
                )
            if "leaf" in attrs and attrs["branches"] == "all":
                raise serializers.ValidationError({"leaf": "leaf follows one path: not with branches=all."})
            return attrs

    class PageSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceListPage"

        next = serializers.URLField(allow_null=True, help_text="Newer utterances.")
        previous = serializers.URLField(allow_null=True, help_text="Older utterances.")
        results = UtteranceOutputSerializer(many=True)
        around = serializers.IntegerField(required=False, help_text="With `around`: the seq landed on.")
        leaf = serializers.IntegerField(
            required=False,
            allow_null=True,
            help_text="With `around`: null when the seq is on the active branch; otherwise the last seq of the "
            "path shown (the root through the seq to its newest leaf), which `next` and `previous` follow.",
        )

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
        description="History by keyset on seq, oldest first within a page. Without before/after: the newest. "
        "With `around`: the page around a seq, on its branch (docs/landing.md).",
    )
    def get(self, request: Request, session_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = dict(filters.validated_data)
        all_branches = params.pop("branches") == "all"
        around = params.pop("around", None)
        landing = None
        if around is not None:
            landing = utterance_page_around(
                user=request.user, session_id=session_id, around=around, limit=params["limit"]
            )
            page = landing.page
        else:
            page = utterance_page(user=request.user, session_id=session_id, all_branches=all_branches, **params)
        link = request.build_absolute_uri(request.path)
        extra = f"&limit={params['limit']}"
        if params["include_interim"]:
            extra += "&include_interim=true"
        if all_branches:
            extra += "&branches=all"
        leaf = landing.leaf if landing else params.get("leaf")
        if leaf is not None:
            extra += f"&leaf={leaf}"
        newest, oldest = (page.utterances[-1].seq, page.utterances[0].seq) if page.utterances else (None, None)
        body = {
            "next": f"{link}?after={newest}{extra}" if page.has_after and newest else None,
            "previous": f"{link}?before={oldest}{extra}" if page.has_before and oldest else None,
            "results": UtteranceOutputSerializer(page.utterances, many=True, context={"siblings": page.siblings}).data,
        }
        if landing:
            body.update(around=landing.at, leaf=landing.leaf)
        return Response(body)

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


session_id_in_path(UtteranceListApi, SessionExportApi)
