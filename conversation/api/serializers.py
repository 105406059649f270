"""Output serializers shared by several API views, and the utterance input.

Input serializers live inside their views (one per view); these outputs are shared because the
same session or utterance shape is answered by many endpoints.
"""

from django.conf import settings
from rest_framework import serializers

from chatproject.api.fields import StrictBooleanField, StrictCharField, TimestampField


class PersonaOutputSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SessionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField(help_text="Empty until the first user message names the session.")
    persona = PersonaOutputSerializer()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    message_count = serializers.IntegerField()


class PersonaOfRowSerializer(PersonaOutputSerializer):
    slug = serializers.CharField(source="persona_slug")
    name = serializers.CharField(source="persona_name")


class SessionRowOutputSerializer(SessionOutputSerializer):
    """SessionOutputSerializer's fields, from a row of selectors.session_list_for_user."""

    persona = PersonaOfRowSerializer(source="*")


class SessionListItemSerializer(SessionOutputSerializer):
    rank = serializers.FloatField(required=False, help_text="With q only.")
    match_seq = serializers.IntegerField(allow_null=True, required=False, help_text="With q only.")
    snippet = serializers.CharField(required=False, help_text="With q only: the best match, plain text.")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        required=False,
        help_text="With q only: [start, end) of each matched word in snippet.",
    )


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


class UtteranceOutputSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    role = serializers.CharField()
    text = serializers.CharField()
    is_final = serializers.BooleanField()
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    metadata = serializers.DictField()


class ContextMessageSerializer(serializers.Serializer):
    role = serializers.CharField()
    text = serializers.CharField()
    seq = serializers.IntegerField()


class UtteranceInputSerializer(serializers.Serializer):
    role = StrictCharField(help_text="user, assistant or system (agent, AI and Human are accepted).")
    text = StrictCharField(trim_whitespace=False)
    is_final = StrictBooleanField(required=False, default=True)
    client_id = StrictCharField(required=False, allow_null=True, max_length=settings.MAX_CLIENT_ID_CHARS)
    timestamp = TimestampField(required=False, allow_null=True)
    metadata = serializers.DictField(required=False, default=dict)
