"""How the OpenAPI schema describes device-token authentication (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.DeviceTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            **build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token"),  # noqa: S106 (the scheme name)
            "description": "A device token from POST /api/auth/token/: `Authorization: Token <key>`.",
        }
