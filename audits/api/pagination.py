"""DRF pages `{count, next, previous, results}`, every key always present."""

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination

from audits.api.fields import DATABASE_ID


class Pagination(PageNumberPagination):
    """DRF pages {count, next, previous, results}; clients may ask for up to 200 rows."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request) -> int | None:
        """DRF ignores a `page_size` it cannot read and serves the default page; the schema
        says it is a positive integer, so anything else is a 400 naming it (schemathesis
        found `?page_size=abc` answered 200). Above 200 the page is 200 rows."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and (not DATABASE_ID.fullmatch(raw) or int(raw) < 1):
            message = "A page size is a whole number from 1 (at most 200 rows are served)."
            raise ValidationError({self.page_size_query_param: [ErrorDetail(message, "invalid")]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters

    def get_paginated_response_schema(self, schema: dict) -> dict:
        """DRF's page schema in OpenAPI 3.1 terms: `next`/`previous` are a URL or null, and
        all four keys are always there (DRF marks only two required)."""
        page = super().get_paginated_response_schema(schema)
        for link in ("next", "previous"):
            page["properties"][link].pop("nullable", None)
            page["properties"][link]["type"] = ["string", "null"]
        page["required"] = ["count", "next", "previous", "results"]
        return page
