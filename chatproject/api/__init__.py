"""The REST API's project-wide plumbing: one error shape, the bounded JSON parser, strict input
fields, throttle scopes, the schema and docs, and the `/api/` URL table each app adds its routes to."""
