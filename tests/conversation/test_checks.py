from conversation.checks import title_limit_fits_the_column


def test_it_accepts_a_title_limit_the_column_holds(settings):
    settings.MAX_TITLE_CHARS = 200
    assert title_limit_fits_the_column(None) == []


def test_it_refuses_a_title_limit_longer_than_the_column(settings):
    settings.MAX_TITLE_CHARS = 500
    (error,) = title_limit_fits_the_column(None)
    assert error.id == "conversation.E001"
    assert "MAX_TITLE_CHARS is 500; it must be from 1 to 200" in error.msg


def test_it_refuses_a_title_limit_of_zero(settings):
    settings.MAX_TITLE_CHARS = 0
    assert [error.id for error in title_limit_fits_the_column(None)] == ["conversation.E001"]
