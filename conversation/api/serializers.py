"""Output serializers shared by several API views, and the utterance input.

Input serializers live inside their views (one per view); these outputs are shared because the
same session or utterance shape is answered by many endpoints.
"""

from datetime import tzinfo
from functools import cached_property

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from chatproject.api.fields import StrictBooleanField, StrictCharField, TimestampField
from conversation import shapes
from conversation.history.siblings import siblings_entry
from conversation.models.sessions import TitleSource

# Lists and history pages answer up to 200 of these: DRF's generic to_representation (a field object
# per value, its get_attribute and to_representation) cost more than the rest of the request. The
# output serializers below answer the shapes of conversation/shapes.py (built there for every door)
# directly; their fields still document the shape (the OpenAPI schema), and
# tests/conversation/api/test_serializers.py holds each to DRF's own output.


class DirectOutputSerializer(serializers.Serializer):
    """An output serializer whose to_representation builds its dict itself.

    The current time zone is read once per serializer: a list's rows share their child serializer,
    and reading it (a context-local look-up) for every timestamp cost more than formatting them.
    """

    @cached_property
    def zone(self) -> tzinfo:
        return timezone.get_current_timezone()


class PersonaOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SessionOutputSerializer(DirectOutputSerializer):
    id = serializers.UUIDField()
    title = serializers.CharField(help_text="Empty until the first user message names the session.")
    title_source = serializers.ChoiceField(
        choices=TitleSource.choices,
        help_text="Who named it: auto (its first user message, cut), model (the assistant's title after "
        "the first reply) or user (given at creation or by a rename; the model never replaces it).",
    )
    preview = serializers.CharField(
        help_text="The first user message of the active branch on one line, cut to SESSION_PREVIEW_CHARS "
        "characters (with …); empty while the branch has none."
    )
    persona = PersonaOutputSerializer()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    message_count = serializers.IntegerField()
    head_seq = serializers.IntegerField(
        allow_null=True,
        help_text="The newest utterance of the active branch (the one appends follow); null when empty.",
    )
    pinned_at = serializers.DateTimeField(allow_null=True, help_text="When it was pinned; null when not.")
    archived_at = serializers.DateTimeField(allow_null=True, help_text="When it was archived; null when not.")
    deleted_at = serializers.DateTimeField(allow_null=True, help_text="When it went to the trash; null when not.")
    folder = serializers.UUIDField(
        source="folder_id", allow_null=True, help_text="The id of the folder it is in; null when in none."
    )
    tags = serializers.ListField(
        source="tag_names", child=serializers.CharField(), help_text="Its tags' names, sorted without regard to case."
    )

    def to_representation(self, session) -> dict:
        return shapes.session(session, zone=self.zone)


class PersonaOfRowSerializer(PersonaOutputSerializer):
    slug = serializers.CharField(source="persona_slug")
    name = serializers.CharField(source="persona_name")


class SessionRowOutputSerializer(SessionOutputSerializer):
    """SessionOutputSerializer's fields, from a row of sessions.lists.session_list_for_user."""

    persona = PersonaOfRowSerializer(source="*")

    def to_representation(self, row: dict) -> dict:
        return shapes.session_of_row(row, zone=self.zone)


class SessionListItemSerializer(SessionOutputSerializer):
    rank = serializers.FloatField(required=False, help_text="With q only.")
    match_seq = serializers.IntegerField(allow_null=True, required=False, help_text="With q only.")
    snippet = serializers.CharField(required=False, help_text="With q only: the best match, plain text.")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        required=False,
        help_text="With q only: [start, end) of each matched word in snippet.",
    )

    def to_representation(self, hit) -> dict:
        """A search hit (conversation.search.SearchHit); a plain list's rows are SessionRowOutputSerializer's."""
        return shapes.search_hit(hit, zone=self.zone)


class SessionListPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SessionListItemSerializer(many=True)
    too_broad = serializers.BooleanField(
        required=False, help_text="Present and true when a search matched too much to rank in time: refine it."
    )
    detail = serializers.CharField(required=False, help_text="What to do about a search that was too broad.")


class RoleCountsSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_message_count")
    assistant = serializers.IntegerField(source="assistant_message_count")
    system = serializers.IntegerField(source="system_message_count")


class SessionDetailOutputSerializer(SessionOutputSerializer):
    metadata = serializers.DictField()
    counts = RoleCountsSerializer(source="*")
    last_seq = serializers.IntegerField()

    def to_representation(self, session) -> dict:
        return shapes.session_detail(session, zone=self.zone)


class SiblingsSerializer(serializers.Serializer):
    """An utterance's place among its parent's children, from the siblings' map in the context."""

    count = serializers.IntegerField(help_text="Utterances after the same parent (alternatives), this one included.")
    index = serializers.IntegerField(help_text="This one's place among them, from 1, oldest first.")
    prev = serializers.IntegerField(allow_null=True, help_text="The seq of the one before, or null.")
    next = serializers.IntegerField(allow_null=True, help_text="The seq of the one after, or null.")

    def to_representation(self, utterance) -> dict:
        return siblings_entry(self.context.get("siblings") or {}, utterance)


class UtteranceOutputSerializer(DirectOutputSerializer):
    """An utterance; its `siblings` come from the map in the context (history.siblings.utterance_siblings)."""

    seq = serializers.IntegerField()
    parent_seq = serializers.IntegerField(allow_null=True, help_text="The utterance it follows; null for a first.")
    siblings = SiblingsSerializer(source="*")
    role = serializers.CharField()
    text = serializers.CharField()
    is_final = serializers.BooleanField()
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    metadata = serializers.DictField()

    def to_representation(self, utterance) -> dict:
        siblings = siblings_entry(self.context.get("siblings") or {}, utterance)
        return shapes.utterance(utterance, zone=self.zone, siblings=siblings)


class ContextMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    text = serializers.CharField(help_text="As the model gets it: a message too long for the context is cut.")
    seq = serializers.IntegerField()
    tokens = serializers.IntegerField()


class ContextSummarySerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="The message it summarizes through, on this branch.")
    text = serializers.CharField()
    tokens = serializers.IntegerField()
    messages = serializers.IntegerField(help_text="How many messages it covers.")
    made_by = serializers.CharField(help_text="The backend and model that wrote it.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True, help_text="When its owner last rewrote it.")


class UtteranceInputSerializer(serializers.Serializer):
    role = StrictCharField(help_text="user, assistant or system (agent, AI and Human are accepted).")
    text = StrictCharField(trim_whitespace=False)
    is_final = StrictBooleanField(required=False, default=True)
    client_id = StrictCharField(required=False, allow_null=True, max_length=settings.MAX_CLIENT_ID_CHARS)
    timestamp = TimestampField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, default=dict)
