"""OpenAPI description of the bearer-session authentication (loaded by AccountsConfig)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerSessionAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Session token from /auth/login"}
