import factory

from accounts.models import User
from conversation.models import Persona

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    slug = factory.Sequence(lambda n: f"persona-{n}")
    name = factory.Sequence(lambda n: f"Persona {n}")
    system_prompt = "You answer briefly."
    position = 10
