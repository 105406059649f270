"""The REST API's branch doors (docs/branches.md): switch the active branch, fork a session at a
message. Another user's session is a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.throttling import ReadWriteThrottled
from conversation.api.conflicts import ReplyConflict
from conversation.api.serializers import SessionDetailOutputSerializer
from conversation.branches.edits import session_fork
from conversation.branches.head import session_switch
from conversation.replies.claim import ReplyBusy


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
        description="A new session whose history is the branch from the first utterance up to `seq`, titled "
        '"Copy of <the original\'s title>" (a copy\'s fork: "Copy 2 of ..."); the original is unchanged.',
    )
    def post(self, request: Request, session_id: str) -> Response:
        body = SeqInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fork = session_fork(user=request.user, session_id=session_id, seq=body.validated_data["seq"])
        return Response(SessionDetailOutputSerializer(fork).data, status=status.HTTP_201_CREATED)
