"""chatproject.fixed_sql.FixedExpression: a part of an ORM query whose text is built once per vendor,
with its values as parameters."""

from django.db.models import IntegerField

from chatproject.fixed_sql import FixedExpression
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Utterance
from conversation.sessions.create import session_create


def test_a_fixed_expressions_text_is_built_once_and_its_values_are_bound_each_time(owner):
    session = session_create(user=owner)
    utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="a")] * 3)
    built = []

    def sql(quote) -> str:
        built.append(quote)
        return f"{quote(Utterance._meta.db_table)}.{quote('seq')} + %s"

    shifted = FixedExpression(sql=sql, output_field=IntegerField)
    queryset = Utterance.objects.filter(session=session).order_by("seq")
    assert list(queryset.annotate(n=shifted.of([10])).values_list("n", flat=True)) == [11, 12, 13]
    assert list(queryset.annotate(n=shifted.of([20])).values_list("n", flat=True)) == [21, 22, 23]
    assert len(built) == 1
