"""factory_boy factories for rows of mcportal.core (states come from services, not factories)."""
import factory

from mcportal.core.models import Institution, Membership, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    legal_name = factory.Sequence(lambda n: f"University number {n}")
    short_name = factory.Sequence(lambda n: f"UNI{n}")
    slug = factory.Sequence(lambda n: f"uni-{n}")
    country = "CZ"
    city = "Brno"
    website = "https://www.example.edu"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = "instructor"
