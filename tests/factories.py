import functools

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import User
from conversation.models import Persona

DEFAULT_PASSWORD = "correct horse battery staple"


@functools.cache
def default_password_hash() -> str:
    """DEFAULT_PASSWORD hashed once per test process: a hash (salted, PBKDF2 as in production, so the
    servers the browser tests start accept it) costs about a third of a second, and most tests make
    a user."""
    return make_password(DEFAULT_PASSWORD)


class PasswordDeclaration(factory.declarations.PostGenerationDeclaration):
    """`password=` sets that password (None: none usable); left out, DEFAULT_PASSWORD's hash."""

    def call(self, instance, step, context):
        if context.value_provided:
            instance.set_password(context.value)
        else:
            instance.password = default_password_hash()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    password = PasswordDeclaration()

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
