"""DRF pages `{count, next, previous, results}`, every key always present."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """DRF pages {count, next, previous, results}; clients may ask for up to 200 rows."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """DRF's page schema in OpenAPI 3.1 terms: `next`/`previous` are a URL or null, and
        all four keys are always there (DRF marks only two required)."""
        page = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            page["properties"][link].pop("nullable", None)
            page["properties"][link]["type"] = ["string", "null"]
        page["required"] = ["count", "next", "previous", "results"]
        return page
