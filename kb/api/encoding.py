"""Content codings a client takes (Accept-Encoding, RFC 9110 §12.5.3)."""

from django.http import HttpRequest


def accepted_codings(request: HttpRequest) -> dict[str, float]:
    """Each coding the client named, with its weight (q); `identity` is acceptable unless refused."""
    weights: dict[str, float] = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        if not coding:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    return weights


def accepts_gzip(request: HttpRequest) -> bool:
    weights = accepted_codings(request)
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0
