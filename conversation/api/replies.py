"""The conversation loop over HTTP: the cached context window, and a reply as Server-Sent Events."""

import json
from collections.abc import AsyncIterator, Callable

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import inputs, shapes
from conversation.api.conflicts import ReplyConflict
from conversation.api.schema import session_id_in_path
from conversation.api.serializers import (
    ContextMessageSerializer,
    ContextSummarySerializer,
    SessionOutputSerializer,
    UtteranceOutputSerializer,
)
from conversation.budgets import ReplyRateThrottle
from conversation.db_threads import release_connection
from conversation.replies.claim import ReplyBudgetExceeded, ReplyBusy
from conversation.replies.stream import ReplyDelta, ReplyDone, ReplyStarted, reply_events
from conversation.replies.turn import Turn, prompt_for_session, reply_begin
from conversation.sessions.lookup import session_get_for_user


class SessionContextApi(ReadWriteThrottled, APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionContextOutput"

        class TokensSerializer(serializers.Serializer):
            prompt = serializers.IntegerField(help_text="The prompt's tokens, as the model should count them.")
            system = serializers.IntegerField(help_text="The system prompt's (persona and folder instructions).")
            summary = serializers.IntegerField(help_text="The summary's, 0 when there is none.")
            messages = serializers.IntegerField(help_text="The messages'.")
            budget = serializers.IntegerField(help_text="The most a prompt holds: context_max - ASSISTANT_MAX_TOKENS.")
            context_max = serializers.IntegerField(help_text="The model's context for this chat's persona.")
            exact = serializers.BooleanField(help_text="Counted with the model's tokenizer; else an estimate.")

        summary = ContextSummarySerializer(
            allow_null=True,
            help_text="The chat summarized up to its point (seq); made ahead, it may cover the oldest messages too.",
        )
        messages = ContextMessageSerializer(many=True, help_text="The newest messages that fit, oldest first.")
        size = serializers.IntegerField(help_text="How many messages the prompt holds.")
        first_seq = serializers.IntegerField(allow_null=True, help_text="The oldest of them.")
        cached = serializers.BooleanField(help_text="The window was served from the cache rather than rebuilt.")
        tokens = TokensSerializer()
        cut = serializers.BooleanField(help_text="A message too long for the context was cut, in the prompt only.")

    @extend_schema(responses={200: OutputSerializer, **errors(404)})
    def get(self, request: Request, session_id: str) -> Response:
        session = session_get_for_user(user=request.user, session_id=session_id)
        prompt, cached = prompt_for_session(session=session)
        return Response(shapes.context(prompt, cached=cached))


class EventStreamRenderer(BaseRenderer):
    """Lets `Accept: text/event-stream` through content negotiation; the view streams the events."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return sse_event("message", data)


class SessionReplyApi(APIView):
    renderer_classes = [EventStreamRenderer, JSONRenderer]
    # One replies-a-minute budget per user with the chat socket's sends.
    throttle_classes = [ReplyRateThrottle]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionReplyInput"

        text = StrictCharField(trim_whitespace=False)
        client_id = StrictCharField(
            required=False,
            allow_null=True,
            max_length=settings.MAX_CLIENT_ID_CHARS,
            help_text="Makes a retry store no second message.",
        )

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionReplyOutput"

        session = SessionOutputSerializer()
        user_utterance = UtteranceOutputSerializer()
        reply = UtteranceOutputSerializer(allow_null=True)

    def handle_exception(self, exc):
        # Errors are answered as JSON whatever was accepted: they come before any event.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        request=InputSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                "Server-Sent Events, each data a JSON object: `start` {user_utterance}, `delta` {text}..., "
                "`done` {session, utterance}.",
            ),
            (200, "application/json"): OutputSerializer,
            **errors(400, 404, 409, 413),
        },
        description="Send a user message and get the assistant's reply, streamed as Server-Sent Events, or "
        "whole with `Accept: application/json`. The message is stored before the model is called; a "
        "model failure ends the reply with its message in the reply's metadata.error.",
    )
    def post(self, request: Request, session_id: str):
        return self.reply(request, session_id=session_id)

    def reply(self, request: Request, *, session_id: str, edit_seq: str | None = None):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text = inputs.check_text(body.validated_data["text"])
        client_id = body.validated_data.get("client_id")
        return self.answer(
            request,
            lambda: reply_begin(
                user=request.user, session_id=session_id, text=text, client_id=client_id, edit_seq=edit_seq
            ),
        )

    def answer(self, request: Request, begin: Callable[[], Turn]):
        """Begin the turn, then answer its events as SSE, or as one JSON body when asked."""
        try:
            turn = begin()
        except ReplyBusy:
            raise ReplyConflict from None
        except ReplyBudgetExceeded as exc:
            raise TooManyReplies(str(exc)) from None
        # The model may take minutes: the request's pooled connection goes back now; storing the
        # reply takes one briefly.
        release_connection()
        events = reply_events(user=request.user, turn=turn)
        if request.accepted_renderer.format == "json":
            return Response(async_to_sync(reply_collect)(events))
        response = StreamingHttpResponse(reply_sse(events), content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response


class UtteranceEditApi(SessionReplyApi):
    """Edit a user message and get the reply to the edit, with reply/'s rules and answers."""

    class InputSerializer(SessionReplyApi.InputSerializer):
        class Meta:
            ref_name = "UtteranceEditInput"

    @extend_schema(
        request=InputSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                "As reply/: `start` {user_utterance}, `delta` {text}..., `done` {session, utterance}.",
            ),
            (200, "application/json"): SessionReplyApi.OutputSerializer,
            **errors(400, 404, 409, 413),
        },
        description="Edit the user message `seq`: the new text is stored after the same parent, on a new branch "
        "that becomes the active one (the old message stays, its sibling), then answered as reply/ answers. "
        "Idempotent by client_id.",
    )
    def post(self, request: Request, session_id: str, seq: str):
        return self.reply(request, session_id=session_id, edit_seq=seq)


class UtteranceRegenerateApi(SessionReplyApi):
    """Another reply in place of an assistant message, answered as reply/ answers."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "UtteranceRegenerateInput"

        client_id = StrictCharField(
            required=False,
            allow_null=True,
            max_length=settings.MAX_CLIENT_ID_CHARS,
            help_text="Makes a retry regenerate no second time.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.OBJECT, "As reply/: `start` {user_utterance: the message answered}, `delta`..., `done`."
            ),
            (200, "application/json"): SessionReplyApi.OutputSerializer,
            **errors(400, 404, 409),
        },
        description="Regenerate the assistant message `seq`: a new reply to the same message, stored after it on "
        "a new branch that becomes the active one (the old reply stays, its sibling). Idempotent by client_id.",
    )
    def post(self, request: Request, session_id: str, seq: str):
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client_id = body.validated_data.get("client_id")
        return self.answer(
            request,
            lambda: reply_begin(user=request.user, session_id=session_id, client_id=client_id, regenerate_seq=seq),
        )


def sse_event(name: str, data) -> bytes:
    """`data` as the API's JSONRenderer writes it (its encoder: times as DRF writes them)."""
    return f"event: {name}\ndata: {json.dumps(data, cls=encoders.JSONEncoder)}\n\n".encode()


class TooManyReplies(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_replies"


async def reply_sse(events) -> AsyncIterator[bytes]:
    async for event in events:
        if isinstance(event, ReplyDelta):
            yield sse_event("delta", {"text": event.text})
        elif isinstance(event, ReplyStarted):
            yield sse_event("start", {"user_utterance": UtteranceOutputSerializer(event.user_utterance).data})
        elif isinstance(event, ReplyDone):
            yield sse_event(
                "done",
                {
                    "session": SessionOutputSerializer(event.session).data,
                    "utterance": UtteranceOutputSerializer(event.utterance).data,
                },
            )


async def reply_collect(events) -> dict:
    result = {"session": None, "user_utterance": None, "reply": None}
    async for event in events:
        if isinstance(event, ReplyStarted):
            result["user_utterance"] = UtteranceOutputSerializer(event.user_utterance).data
        elif isinstance(event, ReplyDone):
            result["reply"] = UtteranceOutputSerializer(event.utterance).data
            result["session"] = SessionOutputSerializer(event.session).data
    return result


session_id_in_path(SessionContextApi, SessionReplyApi, UtteranceEditApi, UtteranceRegenerateApi)
