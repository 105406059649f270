"""GET /api/search/: the user's messages that match a search, best first, a page at a time
(docs/search.md). Parse and authorize, call message_search_for_user, serialize."""

from urllib.parse import urlencode

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatproject.api.errors import error_responses as errors
from chatproject.api.fields import StrictCharField
from chatproject.api.throttling import ReadWriteThrottled
from conversation import shapes
from conversation.api.serializers import DirectOutputSerializer
from conversation.search import SearchTooBroad, message_search_for_user
from conversation.search.messages import BRANCHES, VIEWS


class MessageSearchApi(ReadWriteThrottled, APIView):
    def get_throttles(self):
        throttles = super().get_throttles()
        self.throttle_scope = "api_search"  # a search's budget, as GET /api/sessions/?q= has
        return throttles

    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessageSearchFilter"

        q = StrictCharField(
            help_text='Words and "quoted phrases" (all must match) and filters: tag:, folder:, after:, before:, '
            "role:, persona: (docs/search.md)."
        )
        view = serializers.ChoiceField(
            choices=list(VIEWS),
            default="live",
            help_text="live (default: not archived, pinned included), pinned, archived, or trash (only here).",
        )
        branch = serializers.ChoiceField(
            choices=list(BRANCHES),
            default="all",
            help_text="all (default: every branch; each hit says active_branch) or active (the active branch only).",
        )
        role = StrictCharField(required=False)
        persona = StrictCharField(required=False, help_text="A persona's slug.")
        folder = serializers.UUIDField(required=False, help_text="A folder's id: its chats and its subfolders'.")
        tag = serializers.ListField(
            child=StrictCharField(max_length=50),
            required=False,
            max_length=10,
            help_text="A tag's name; repeat for several (the chat must have all of them).",
        )
        to_date = serializers.DateField(required=False, help_text="Up to this day, included (YYYY-MM-DD).")
        limit = serializers.IntegerField(required=False, min_value=1, max_value=settings.MAX_PAGE_SIZE, default=20)
        cursor = StrictCharField(required=False)

        def get_fields(self):
            fields = super().get_fields()
            # `from` is a Python keyword: the field is declared here under its query parameter's name.
            fields["from"] = serializers.DateField(required=False, help_text="From this day, included (YYYY-MM-DD).")
            fields["to"] = fields.pop("to_date")
            return fields

    class OutputSerializer(DirectOutputSerializer):
        class Meta:
            ref_name = "MessageHit"

        session = serializers.DictField(help_text="The chat: id, title, folder (id or null), tags (names).")
        seq = serializers.IntegerField()
        role = serializers.CharField()
        created_at = serializers.DateTimeField()
        rank = serializers.FloatField(
            help_text="Higher is better; 0 in a partial answer. Not comparable across runtimes."
        )
        active_branch = serializers.BooleanField(help_text="Whether it lies on the chat's active branch.")
        snippet = serializers.CharField(help_text="Plain text around the match.")
        highlights = serializers.ListField(
            child=serializers.ListField(child=serializers.IntegerField()),
            help_text="[start, end) of each matched word in snippet.",
        )
        url = serializers.CharField(help_text="The chat page opened at this message.")

        def to_representation(self, hit) -> dict:
            return shapes.message_hit(hit, zone=self.zone)

    class PageSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MessageSearchPage"

        next = serializers.URLField(allow_null=True)
        results = serializers.ListField(child=serializers.DictField(), help_text="MessageHit objects.")
        partial = serializers.BooleanField(
            help_text="True when the search matched too much to rank in SEARCH_TIMEOUT_MS: the results are the "
            "newest matches, unranked, and there is no next page."
        )
        message = serializers.CharField(help_text="What a partial answer means; empty otherwise.")

    @extend_schema(
        parameters=[FilterSerializer],
        operation_id="messages_search",
        responses={200: PageSerializer, **errors(400)},
        description="The user's final messages that match `q`, best first (rank, then the newest), "
        "cursor-paginated (`next`). Filters combine (all must hold); the same filters may be written in `q`.",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        try:
            page = message_search_for_user(
                user=request.user,
                q=params["q"],
                view=params["view"],
                branch=params["branch"],
                role=params.get("role"),
                persona=params.get("persona"),
                folder=str(params["folder"]) if "folder" in params else None,
                tags=params.get("tag", []),
                date_from=params.get("from"),
                date_to=params.get("to"),
                cursor=params.get("cursor"),
                limit=params["limit"],
            )
        except SearchTooBroad as exc:
            return Response({"next": None, "results": [], "partial": True, "message": exc.message})
        next_link = None
        if page.next_cursor:
            query = request.query_params.copy()
            query["cursor"] = page.next_cursor
            next_link = request.build_absolute_uri(f"{request.path}?{urlencode(query, doseq=True)}")
        results = self.OutputSerializer(page.hits, many=True).data
        return Response({"next": next_link, "results": results, "partial": page.partial, "message": page.message})
