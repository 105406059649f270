"""What the OpenAPI schema says of the conversation API's paths that drf-spectacular cannot read
off the URL table: a session id in the path is a UUID."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

SESSION_ID = OpenApiParameter("session_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


def session_id_in_path(*views: type) -> None:
    for view in views:
        extend_schema(parameters=[SESSION_ID])(view)
