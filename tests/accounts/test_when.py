"""The `ago` filter: when something happened, as the pages say it."""

from datetime import timedelta

from django.template import Context, Template
from django.utils import timezone

from accounts.templatetags.when import ago


def test_it_says_never_for_no_moment():
    assert ago(None) == "never"


def test_it_says_just_now_under_a_minute_and_for_a_moment_a_little_ahead():
    now = timezone.now()
    assert ago(now - timedelta(seconds=59)) == "just now"
    assert ago(now + timedelta(seconds=5)) == "just now"  # another server's clock a little ahead


def test_it_says_how_long_ago_from_a_minute_on():
    now = timezone.now()
    assert ago(now - timedelta(minutes=1, seconds=5)) == "1\xa0minute ago"
    assert ago(now - timedelta(hours=3, minutes=2)) == "3\xa0hours, 2\xa0minutes ago"


def test_templates_load_it_by_its_library_name():
    rendered = Template("{% load when %}{{ moment|ago }}").render(Context({"moment": timezone.now()}))
    assert rendered == "just now"
