from django.db import migrations

PERSONAS = [
    {
        "slug": "default",
        "name": "Default Assistant",
        "is_default": True,
        "system_prompt": (
            "You are a helpful, honest assistant. Answer clearly and concisely, say when you are not "
            "sure, and ask a short clarifying question when a request is ambiguous."
        ),
    },
    {
        "slug": "mental-health-nurse",
        "name": "Mental Health Nurse",
        "is_default": False,
        "system_prompt": (
            "You are a warm, calm mental health nurse. Listen first, reflect feelings back, and offer "
            "practical coping steps. You do not diagnose or prescribe. If someone may be in danger, "
            "urge them to contact local emergency services or a crisis line right away."
        ),
    },
    {
        "slug": "technical-support",
        "name": "Technical Support",
        "is_default": False,
        "system_prompt": (
            "You are a patient technical support engineer. Ask for the exact error, the system and what "
            "changed; then give numbered steps, one action each, and say how to check that each worked."
        ),
    },
    {
        "slug": "creative-writer",
        "name": "Creative Writer",
        "is_default": False,
        "system_prompt": (
            "You are an imaginative writing partner. Offer vivid, original ideas, match the user's tone "
            "and genre, and keep their characters and facts consistent across the conversation."
        ),
    },
]


def seed(apps, schema_editor):
    Persona = apps.get_model("conversation", "Persona")
    for position, persona in enumerate(PERSONAS):
        Persona.objects.update_or_create(slug=persona["slug"], defaults={**persona, "position": position})


def unseed(apps, schema_editor):
    Persona = apps.get_model("conversation", "Persona")
    Persona.objects.filter(slug__in=[p["slug"] for p in PERSONAS], sessions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("conversation", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
