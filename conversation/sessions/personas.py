"""The personas a session speaks as: the list, and a slug (or none) resolved to one."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from conversation.models import Persona


def persona_list() -> QuerySet[Persona]:
    return Persona.objects.order_by("position", "id")


def persona_resolve(*, persona: Persona | str | None) -> Persona:
    """A Persona, a slug, or None for the default persona."""
    if isinstance(persona, Persona):
        return persona
    if persona is None or persona == "":
        found = Persona.objects.filter(is_default=True).first() or Persona.objects.order_by("position").first()
        if found is None:
            raise ValidationError({"persona": "No persona is configured."})
        return found
    if not isinstance(persona, str):
        raise ValidationError({"persona": "Persona must be a slug."})
    try:
        return Persona.objects.get(slug=persona)
    except Persona.DoesNotExist:
        raise ValidationError({"persona": f"Unknown persona {persona!r}."}) from None
