"""The REST API's parts: the route table (scopes, bodies, answers), problem answers, cursor
pages, the read endpoints, evidence uploads and the OpenAPI document built from all of them.
`connector.web.api` holds the blueprint's key check and the write endpoints."""
