"""What every API v1 route shares, one module per job.

parsers (request bodies), negotiation (always JSON), fields (serializer pieces),
exception_handler (every error in one JSON shape, the code -> status table),
middleware (JSON for what Django would answer in HTML), routing (both slash forms),
views (the mixin every API view starts from), schema (OpenAPI pieces), index (the
API's own routes: index, schema, docs) and urls (everything under /api/v1/).
"""
