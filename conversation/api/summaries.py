"""The REST API's door to a chat's summary (docs/context.md "Summaries"): its owner rewrites the
newest summary of the active branch. (It is read with the rest of the context: GET .../context/.)"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictCharField, StrictIntegerField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import shapes
from conversation.api.schema import session_id_in_path
from conversation.api.serializers import ContextSummarySerializer
from conversation.summaries.services import SummarySuperseded, summary_edit


class SessionSummaryApi(ReadWriteThrottled, APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionSummaryInput"

        text = StrictCharField(
            trim_whitespace=False,
            allow_blank=True,
            help_text="The summary's new text: trimmed, at most MAX_SUMMARY_CHARS characters and "
            "SUMMARY_MAX_TOKENS tokens.",
        )
        seq = StrictIntegerField(
            required=False,
            min_value=0,
            help_text="The point (`seq`) of the summary the text rewrites, as GET .../context/ answered it. "
            "When given and a newer summary has been made since, nothing is saved: 409 with that summary.",
        )

    class ConflictSerializer(serializers.Serializer):
        class Meta:
            ref_name = "SessionSummaryConflict"

        detail = serializers.CharField()
        summary = ContextSummarySerializer(help_text="The newest summary, which the text was not written over.")

    @extend_schema(
        request=InputSerializer,
        responses={200: ContextSummarySerializer, 409: ConflictSerializer, **errors(400, 404)},
        description='Rewrite the summary of what came before the messages the model sees ("Earlier in '
        "this chat\"), the newest on the chat's active branch. The next replies use it; it holds until a "
        "newer summary, made from it, covers later messages. A chat with no summary yet is a 400; a `seq` "
        "that is no longer the newest summary's is a 409 (nothing saved) with the newest.",
    )
    def put(self, request: Request, session_id: str) -> Response:
        body = self.InputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            summary = summary_edit(user=request.user, session_id=session_id, **body.validated_data)
        except SummarySuperseded as exc:
            conflict = {"detail": str(exc), "summary": shapes.context_summary(exc.summary)}
            return Response(conflict, status=status.HTTP_409_CONFLICT)
        return Response(shapes.context_summary(summary))


session_id_in_path(SessionSummaryApi)
