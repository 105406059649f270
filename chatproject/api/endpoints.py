from django.contrib.auth.decorators import login_not_required


def endpoint(view_class):
    """An API view for a URL table: DRF authenticates API calls itself (401, not a redirect to the
    login page that LoginRequiredMiddleware would send)."""
    return login_not_required(view_class.as_view())
